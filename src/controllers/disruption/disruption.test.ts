import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '../../api/index.ts';
import { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { DisruptionController } from './disruption.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const readyPod = (name: string, owner: { kind: string; name: string; uid: string; apiVersion: string }): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'd', uid: `uid-${name}`, labels: { app: 'db' }, ownerReferences: [{ ...owner, controller: true }] },
  spec: { containers: [] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});
const budget = () => server.list('policy/poddisruptionbudgets').find((b) => b.metadata.name === 'db') as PodDisruptionBudget | undefined;

test('a budget over a StatefulSet\'s pods: expectedPods from its replicas, and a scale-up changes it', async () => {
  const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'ss1' };
  server.put('apps/statefulsets', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'd', uid: 'ss1' }, spec: { replicas: 3, selector: { matchLabels: { app: 'db' } } } });
  for (const n of ['db-0', 'db-1']) server.put('pods', readyPod(n, ref));
  server.put('policy/poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'd', generation: 1 }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'db' } } } });
  const c = new DisruptionController({ client });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    // Two of three replicas ready and one may be unavailable: no disruption left.
    const s = await until(() => (budget()?.status?.expectedPods === 3 ? budget()!.status! : undefined), 'expectedPods 3');
    assert.deepEqual([s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed], [2, 2, 0]);
    assert.equal(s.conditions?.[0]?.reason, 'InsufficientPods');
    server.put('pods', readyPod('db-2', ref));
    const t = await until(() => (budget()?.status?.disruptionsAllowed === 1 ? budget()!.status! : undefined), 'one disruption allowed');
    assert.deepEqual([t.expectedPods, t.desiredHealthy, t.currentHealthy], [3, 2, 3]);
    server.put('apps/statefulsets', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'd', uid: 'ss1' }, spec: { replicas: 4, selector: { matchLabels: { app: 'db' } } } });
    const u = await until(() => (budget()?.status?.expectedPods === 4 ? budget()!.status! : undefined), 'expectedPods 4 after the scale-up');
    assert.deepEqual([u.desiredHealthy, u.disruptionsAllowed], [3, 0]);
  } finally {
    ac.abort();
    await running;
  }
});
