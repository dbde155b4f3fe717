import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from './testing.ts';

test('eviction under a PodDisruptionBudget: allowed while disruptionsAllowed > 0 (decremented, pod recorded), then 429 with the DisruptionBudget cause', async () => {
  const s = await startTestServer();
  try {
    const ns = '/api/v1/namespaces/default';
    const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });
    for (const name of ['p1', 'p2']) {
      assert.equal((await s.request('POST', `${ns}/pods`, pod(name))).status, 201);
      const ready = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
      assert.equal((await s.request('PATCH', `${ns}/pods/${name}/status`, ready, { 'content-type': 'application/merge-patch+json' })).status, 200);
    }
    const pdbs = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
    const created = await s.request('POST', pdbs, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
    assert.equal(created.status, 201, created.text);
    const evict = (name: string) => s.request('POST', `${ns}/pods/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } });

    // No status yet: the budget is still being processed.
    const early = await evict('p1');
    assert.equal(early.status, 429, early.text);
    assert.equal(early.body.details.causes[0].message, 'The disruption budget web is still being processed by the server.');

    const status = { status: { observedGeneration: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 1 } };
    assert.equal((await s.request('PATCH', `${pdbs}/web/status`, status, { 'content-type': 'application/merge-patch+json' })).status, 200);
    assert.equal((await evict('p1')).status, 201);
    assert.equal((await s.request('GET', `${ns}/pods/p1`)).status, 404);
    const after = (await s.request('GET', `${pdbs}/web`)).body;
    assert.equal(after.status.disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(after.status.disruptedPods), ['p1']);

    const refused = await evict('p2');
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body.reason, 'TooManyRequests');
    assert.equal(refused.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(refused.body.details.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 2 currently' }]);
    assert.equal((await s.request('GET', `${ns}/pods/p2`)).status, 200, 'the refused pod is still there');
  } finally {
    await s.stop();
  }
});
