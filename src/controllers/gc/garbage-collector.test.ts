import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../client/index.ts';
import { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { until } from '../../client/testing/until.ts';
import { GarbageCollector } from './garbage-collector.ts';

test('dependents go when their owner is deleted; live, recreated-with-new-uid and unknown owners are handled', async () => {
  const server = await new FakeApiServer().start();
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  const gc = new GarbageCollector({ client });
  const ac = new AbortController();
  const running = gc.run(ac.signal);
  try {
    const rs = server.put('apps/replicasets', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'g' }, spec: {} });
    const ref = (uid: string) => [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid, controller: true }];
    server.put('pods', { metadata: { name: 'owned', namespace: 'g', ownerReferences: ref(rs.metadata.uid) }, spec: {} });
    server.put('pods', { metadata: { name: 'stale', namespace: 'g', ownerReferences: ref('an-older-web') }, spec: {} });
    server.put('pods', { metadata: { name: 'foreign', namespace: 'g', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w1' }] }, spec: {} });
    server.put('pods', { metadata: { name: 'free', namespace: 'g' }, spec: {} });
    const names = () => server.list('pods').filter((p) => p.metadata.namespace === 'g').map((p) => p.metadata.name).sort();

    await until(() => !names().includes('stale'), 'the pod of a previous owner with that name to go');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(names(), ['foreign', 'free', 'owned']);

    server.remove('apps/replicasets', 'g', 'web');
    await until(() => !names().includes('owned'), 'the owned pod to go with its owner');
    assert.deepEqual(names(), ['foreign', 'free']);

    // Owners of a watched kind that are not dependents themselves (a Deployment) are watched too.
    const d = server.put('apps/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', namespace: 'g' }, spec: {} });
    server.put('apps/replicasets', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'app-1', namespace: 'g', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'app', uid: d.metadata.uid, controller: true }] }, spec: {} });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.list('apps/replicasets').filter((r) => r.metadata.name === 'app-1').length, 1);
    server.remove('apps/deployments', 'g', 'app');
    await until(() => server.list('apps/replicasets').filter((r) => r.metadata.name === 'app-1').length === 0, 'the replica set to go with its deployment');
    const del = server.requests.find((r) => r.method === 'DELETE' && r.path === '/api/v1/namespaces/g/pods/owned')!;
    assert.deepEqual((del.body as { propagationPolicy: string }).propagationPolicy, 'Background');
  } finally {
    ac.abort();
    await running;
    client.close();
    await server.stop();
  }
});
