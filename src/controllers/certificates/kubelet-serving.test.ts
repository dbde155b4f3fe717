import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateSigningRequest, Node } from '../../api/index.ts';
import { makeCsr, parseCsr } from '../../machinery/index.ts';
import { signerValidationError } from './decisions.ts';
import { KUBELET_SERVING_SIGNER, servingApproval, servingRequester } from './kubelet-serving.ts';

const USAGES = ['digital signature', 'key encipherment', 'server auth'];

async function csr(o: { cn?: string; orgs?: string[]; sans?: string[]; usages?: string[]; username?: string; groups?: string[]; conditions?: { type: string; status: string }[] } = {}): Promise<CertificateSigningRequest> {
  const { csrPem } = await makeCsr(o.cn ?? 'system:node:n1', o.orgs ?? ['system:nodes'], o.sans ?? ['n1', '10.0.0.5']);
  return {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'c' },
    spec: {
      request: Buffer.from(csrPem).toString('base64'), signerName: KUBELET_SERVING_SIGNER, usages: o.usages ?? USAGES,
      username: o.username ?? 'system:node:n1', groups: o.groups ?? ['system:nodes', 'system:authenticated'],
    },
    status: o.conditions ? { conditions: o.conditions } : {},
  } as CertificateSigningRequest;
}

const node: Node = {
  apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' },
  status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1.lan' }] },
} as Node;

const subjectOf = (c: CertificateSigningRequest) => parseCsr(Buffer.from(c.spec!.request!, 'base64').toString('utf8'));

test('a node\'s own serving request for its name, hostname and InternalIP is approved', async () => {
  const c = await csr({ sans: ['n1', 'n1.lan', '10.0.0.5'] });
  assert.equal(servingRequester(c, subjectOf(c)), 'n1');
  assert.equal(servingApproval(subjectOf(c), node)?.reason, 'AutoApproved');
  // Without key encipherment (an ECDSA key) too, as upstream's validation allows.
  const ec = await csr({ usages: ['digital signature', 'server auth'] });
  assert.equal(servingRequester(ec, subjectOf(ec)), 'n1');
});

test('a serving request naming a SAN that is not the node\'s own is not approved', async () => {
  for (const sans of [['n1', '10.0.0.6'], ['n2'], ['n1', 'localhost'], ['127.0.0.1'], ['kubernetes.default.svc']]) {
    const c = await csr({ sans });
    assert.equal(servingRequester(c, subjectOf(c)), 'n1', `${sans}: a valid request from n1`);
    assert.equal(servingApproval(subjectOf(c), node), undefined, sans.join(','));
  }
});

test('a serving request from anyone but the node it names, or unfit for the signer, is left to a human', async () => {
  const cases: [string, Parameters<typeof csr>[0]][] = [
    ['another node', { username: 'system:node:n2' }],
    ['the join identity', { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] }],
    ['not in system:nodes', { groups: ['system:authenticated'] }],
    ['not system:nodes', { orgs: ['system:masters'] }],
    ['a CN that is not a node', { cn: 'n1', username: 'n1' }],
    ['no SANs', { sans: [] }],
    ['client auth', { usages: ['digital signature', 'key encipherment', 'client auth'] }],
    ['already denied', { conditions: [{ type: 'Denied', status: 'True' }] }],
  ];
  for (const [name, o] of cases) {
    const c = await csr(o);
    assert.equal(servingRequester(c, subjectOf(c)), undefined, name);
  }
});

test('the signer validates kubelet serving requests with upstream\'s messages', async () => {
  assert.equal(signerValidationError(await csr()), undefined);
  assert.equal(signerValidationError(await csr({ orgs: ['x'] })), 'subject organization is not system:nodes');
  assert.equal(signerValidationError(await csr({ cn: 'bob' })), 'subject common name does not begin with system:node:');
  assert.equal(signerValidationError(await csr({ sans: [] })), 'DNS or IP subjectAltName is required');
  assert.equal(signerValidationError(await csr({ usages: ['server auth', 'client auth'] })), 'usages did not match [digital signature key encipherment server auth]');
  // In upstream's order: the usages before the common name.
  assert.equal(signerValidationError(await csr({ cn: 'bob', usages: ['server auth'] })), 'usages did not match [digital signature key encipherment server auth]');
});
