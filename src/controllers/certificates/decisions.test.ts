import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateSigningRequest } from '../../api/index.ts';
import { makeCsr } from '../../machinery/index.ts';
import { approval, shouldSign, signerValidationError, signingSeconds, KUBELET_CLIENT_SIGNER, API_SERVER_CLIENT_SIGNER } from './decisions.ts';

const isBootstrapper = (_u: string, groups: readonly string[]) => groups.includes('system:bootstrappers');

async function csr(o: { cn?: string; orgs?: string[]; signer?: string; usages?: string[]; username?: string; groups?: string[]; conditions?: { type: string; status: string }[]; certificate?: string; seconds?: number } = {}): Promise<CertificateSigningRequest> {
  const { csrPem } = await makeCsr(o.cn ?? 'system:node:n1', o.orgs ?? ['system:nodes']);
  return {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'c' },
    spec: {
      request: Buffer.from(csrPem).toString('base64'), signerName: o.signer ?? KUBELET_CLIENT_SIGNER, usages: o.usages ?? ['digital signature', 'client auth'],
      username: o.username ?? 'system:node-bootstrap', groups: o.groups ?? ['system:bootstrappers', 'system:authenticated'],
      ...(o.seconds !== undefined ? { expirationSeconds: o.seconds } : {}),
    },
    status: { ...(o.conditions ? { conditions: o.conditions } : {}), ...(o.certificate ? { certificate: o.certificate } : {}) },
  } as CertificateSigningRequest;
}

test('the approver approves a kubelet client request from the join identity (nodeclient)', async () => {
  assert.deepEqual(approval(await csr(), { isBootstrapper }), { reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' });
  // key encipherment is allowed beside the two required usages (RSA keys).
  assert.ok(approval(await csr({ usages: ['key encipherment', 'digital signature', 'client auth'] }), { isBootstrapper }));
});

test('the approver approves a node renewing its own certificate (selfnodeclient), no other node\'s', async () => {
  const self = await csr({ username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
  assert.equal(approval(self, { isBootstrapper })?.message, 'Auto approving self kubelet client certificate after SubjectAccessReview.');
  const other = await csr({ username: 'system:node:n2', groups: ['system:nodes', 'system:authenticated'] });
  assert.equal(approval(other, { isBootstrapper }), undefined);
});

test('the approver leaves everything else to a human', async () => {
  const cases: [string, Parameters<typeof csr>[0]][] = [
    ['any other requester', { username: 'alice', groups: ['system:authenticated'] }],
    ['another signer', { signer: API_SERVER_CLIENT_SIGNER }],
    ['not system:nodes', { orgs: ['system:masters'] }],
    ['two organizations', { orgs: ['system:nodes', 'extra'] }],
    ['a CN that is not a node', { cn: 'admin' }],
    ['server auth usage', { usages: ['digital signature', 'client auth', 'server auth'] }],
    ['no client auth', { usages: ['digital signature'] }],
    ['already approved', { conditions: [{ type: 'Approved', status: 'True' }] }],
    ['already denied', { conditions: [{ type: 'Denied', status: 'True' }] }],
  ];
  for (const [name, o] of cases) assert.equal(approval(await csr(o), { isBootstrapper }), undefined, name);
});

test('the signer signs approved requests of its signers once, and refuses unfit ones', async () => {
  assert.equal(shouldSign(await csr()), false, 'not approved');
  assert.equal(shouldSign(await csr({ conditions: [{ type: 'Approved', status: 'True' }] })), true);
  assert.equal(shouldSign(await csr({ conditions: [{ type: 'Approved', status: 'True' }], certificate: 'eA==' })), false, 'issued');
  assert.equal(shouldSign(await csr({ conditions: [{ type: 'Approved', status: 'True' }, { type: 'Failed', status: 'True' }] })), false);
  assert.equal(shouldSign(await csr({ signer: 'example.com/other', conditions: [{ type: 'Approved', status: 'True' }] })), false);
  assert.equal(signerValidationError(await csr()), undefined);
  assert.equal(signerValidationError(await csr({ orgs: ['x'] })), 'subject organization is not system:nodes');
  assert.equal(signerValidationError(await csr({ cn: 'bob' })), 'subject common name does not begin with system:node:');
  assert.equal(signerValidationError(await csr({ usages: ['server auth', 'client auth'] })), 'invalid usage for client certificate: server auth');
  assert.equal(signerValidationError(await csr({ signer: API_SERVER_CLIENT_SIGNER, cn: 'bob', orgs: ['dev'] })), undefined);
  assert.equal(signerValidationError(await csr({ signer: API_SERVER_CLIENT_SIGNER, usages: ['digital signature'] })), 'missing required usage for client certificate: client auth');
});

test('the signer honours expirationSeconds up to its own limit', async () => {
  assert.equal(signingSeconds(await csr()), 365 * 24 * 3600);
  assert.equal(signingSeconds(await csr({ seconds: 3600 })), 3600);
  assert.equal(signingSeconds(await csr({ seconds: 10 ** 9 })), 365 * 24 * 3600);
});
