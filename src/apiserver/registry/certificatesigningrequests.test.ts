import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCsr } from '../../machinery/index.ts';
import { startTestServer } from '../testing.ts';

const PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

async function csrBody(name: string, o: { orgs?: string[]; signer?: string; request?: string; usages?: string[]; seconds?: number } = {}) {
  const { csrPem } = await makeCsr('jane', o.orgs ?? ['dev']);
  return {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
    spec: {
      request: o.request ?? Buffer.from(csrPem).toString('base64'), signerName: o.signer ?? 'kubernetes.io/kube-apiserver-client',
      usages: o.usages ?? ['client auth'], username: 'someone-else', groups: ['system:masters'], ...(o.seconds !== undefined ? { expirationSeconds: o.seconds } : {}),
    },
  };
}

test('CertificateSigningRequests: validation, the requester, and what each subresource may change', async (t) => {
  const s = await startTestServer();
  t.after(() => s.stop());

  // Bad input: Kubernetes' field errors, nothing stored.
  const bad = await s.request('POST', PATH, await csrBody('bad', { request: Buffer.from('hello').toString('base64'), usages: ['flying'], seconds: 60 }));
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.details.causes.map((c: { field: string }) => c.field), ['spec.request', 'spec.usages[0]', 'spec.expirationSeconds']);
  assert.match(bad.body.details.causes[0].message, /PEM block type must be CERTIFICATE REQUEST/);
  assert.equal(bad.body.details.causes[2].message, 'Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)');
  assert.equal((await s.request('GET', `${PATH}/bad`)).status, 404);
  // A system:masters client certificate is never requested from the kube-apiserver-client signer.
  const masters = await s.request('POST', PATH, await csrBody('masters', { orgs: ['system:masters'] }));
  assert.equal(masters.status, 403);
  assert.equal(masters.body.message, 'certificatesigningrequests.certificates.k8s.io "masters" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed');

  // The requester is whoever sent it, whatever the body says; status starts empty.
  const created = await s.request('POST', PATH, { ...(await csrBody('jane')), status: { certificate: 'eA==' } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.spec.username, 'admin');
  assert.deepEqual(created.body.spec.groups, ['system:masters']);
  assert.deepEqual(created.body.status, {});

  // The main resource changes only metadata.
  const main = await s.request('PUT', `${PATH}/jane`, { ...created.body, metadata: { ...created.body.metadata, labels: { a: 'b' } }, spec: { ...created.body.spec, signerName: 'example.com/x' }, status: { conditions: [{ type: 'Approved', status: 'True' }] } });
  assert.equal(main.status, 200, main.text);
  assert.equal(main.body.metadata.labels.a, 'b');
  assert.equal(main.body.spec.signerName, 'kubernetes.io/kube-apiserver-client');
  assert.deepEqual(main.body.status, {});

  // approval: only conditions, stamped with times.
  const approved = await s.request('PUT', `${PATH}/jane/approval`, { ...main.body, spec: { ...main.body.spec, usages: ['server auth'] }, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove' }] } });
  assert.equal(approved.status, 200, approved.text);
  assert.deepEqual(approved.body.spec.usages, ['client auth']);
  assert.equal(approved.body.status.conditions[0].type, 'Approved');
  assert.ok(approved.body.status.conditions[0].lastUpdateTime);
  const both = await s.request('PUT', `${PATH}/jane/approval`, { ...approved.body, status: { conditions: [...approved.body.status.conditions, { type: 'Denied', status: 'True' }] } });
  assert.equal(both.status, 422);
  assert.match(both.text, /Approved and Denied conditions are mutually exclusive/);
  const removed = await s.request('PUT', `${PATH}/jane/approval`, { ...approved.body, status: { conditions: [] } });
  assert.equal(removed.status, 422);

  // status: the certificate (once), and the approval stays even when the signer's write leaves it out.
  const cert = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
  const issued = await s.request('PUT', `${PATH}/jane/status`, { ...approved.body, status: { certificate: cert } });
  assert.equal(issued.status, 200, issued.text);
  assert.equal(issued.body.status.certificate, cert);
  assert.equal(issued.body.status.conditions[0].type, 'Approved');
  const again = await s.request('PUT', `${PATH}/jane/status`, { ...issued.body, status: { ...issued.body.status, certificate: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n').toString('base64') } });
  assert.equal(again.status, 422);
  assert.match(again.text, /updates may not modify existing certificate content/);

  // kubectl's table.
  const table = await s.request('GET', `${PATH}/jane`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  assert.deepEqual(table.body.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
  assert.deepEqual(table.body.rows[0].cells.slice(2), ['kubernetes.io/kube-apiserver-client', 'admin', '<none>', 'Approved,Issued']);
});
