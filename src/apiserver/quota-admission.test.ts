import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from './testing.ts';

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] } });
const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'none' }, spec: { hard: { pods: '0' } } };
const range = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '200m' } }] } };

/** What the chain does with a synced pods=0 quota and a defaulting LimitRange in `default`. */
async function createPod(config: { limitRanger?: boolean; resourceQuota?: boolean }) {
  const s = await startTestServer({ config });
  try {
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/limitranges', range)).status, 201);
    const created = await s.request('POST', '/api/v1/namespaces/default/resourcequotas', quota);
    assert.equal(created.status, 201);
    // No controller runs here: fill in the status as it would.
    const status = { ...created.body, status: { hard: { pods: '0' }, used: { pods: '0' } } };
    assert.equal((await s.request('PUT', '/api/v1/namespaces/default/resourcequotas/none/status', status)).status, 200);
    return await s.request('POST', '/api/v1/namespaces/default/pods', pod('p'));
  } finally {
    await s.stop();
  }
}

test('the API server runs LimitRanger and ResourceQuota by default, and each can be turned off', async () => {
  const on = await createPod({});
  assert.equal(on.status, 403);
  assert.equal(on.body.message, 'pods "p" is forbidden: exceeded quota: none, requested: pods=1, used: pods=0, limited: pods=0');
  const off = await createPod({ resourceQuota: false });
  assert.equal(off.status, 201);
  assert.equal(off.body.spec.containers[0].resources.limits.cpu, '200m');
  const neither = await createPod({ resourceQuota: false, limitRanger: false });
  assert.equal(neither.status, 201);
  assert.equal(neither.body.spec.containers[0].resources?.limits, undefined);
});
