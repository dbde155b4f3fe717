import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod, ReplicaSet } from '../../api/index.ts';
import { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { runDuring } from '../testing/run-during.ts';
import { deletionOrder, ReplicaSetController } from './replicaset.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const rs = (ns: string, name: string, replicas: number): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: ns, generation: 1 },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } },
  },
});

const podsIn = (ns: string) => server.list('pods').filter((p) => p.metadata.namespace === ns) as Pod[];
const storedRs = (ns: string, name: string) => server.list('apps/replicasets').find((r) => r.metadata.namespace === ns && r.metadata.name === name) as ReplicaSet | undefined;

const withController = (body: () => Promise<void>) => runDuring(new ReplicaSetController({ client }), body);

test('creates the missing pods with owner references, replaces deleted ones, scales down, reports status', async () => {
  const set = server.put('apps/replicasets', rs('r1', 'web', 3));
  await withController(async () => {
    await until(() => podsIn('r1').length === 3, 'three pods');
    for (const p of podsIn('r1')) {
      assert.match(p.metadata!.name!, /^web-/);
      assert.deepEqual(p.metadata?.labels, { app: 'web' });
      assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    await until(() => storedRs('r1', 'web')?.status?.replicas === 3, 'status.replicas 3');
    assert.equal(storedRs('r1', 'web')?.status?.observedGeneration, 1);
    const created = await until(() => {
      const evs = server.list('events').filter((e) => e.reason === 'SuccessfulCreate' && e.involvedObject?.name === 'web') as unknown as Event[];
      return evs.length === 3 ? evs : undefined;
    }, 'SuccessfulCreate events');
    assert.deepEqual(created.map((e) => e.message).sort(), podsIn('r1').map((p) => `Created pod: ${p.metadata?.name}`).sort());
    assert.equal(created[0]!.involvedObject.kind, 'ReplicaSet');

    // A pod goes away: the set makes a new one.
    const gone = podsIn('r1')[0]!;
    server.remove('pods', 'r1', gone.metadata!.name!);
    await until(() => podsIn('r1').length === 3 && !podsIn('r1').some((p) => p.metadata?.name === gone.metadata?.name), 'replacement');

    // Scale down to 1, keeping a running ready pod over pending ones.
    const keeper = podsIn('r1')[1]!;
    server.put('pods', { ...keeper, spec: { ...keeper.spec, nodeName: 'n1' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    // The controller ranks pods from its informer: wait until it has seen the keeper ready (its status says so).
    await until(() => storedRs('r1', 'web')?.status?.readyReplicas === 1, 'the keeper seen ready');
    const cur = storedRs('r1', 'web')!;
    server.put('apps/replicasets', { ...cur, metadata: { ...cur.metadata, generation: 2 }, spec: { ...cur.spec!, replicas: 1 } });
    await until(() => podsIn('r1').length === 1, 'scale down');
    assert.equal(podsIn('r1')[0]!.metadata?.name, keeper.metadata?.name);
    await until(() => storedRs('r1', 'web')?.status?.replicas === 1 && storedRs('r1', 'web')?.status?.readyReplicas === 1, 'status after scale down');
    assert.equal(storedRs('r1', 'web')?.status?.observedGeneration, 2);
  });
});

test('adopts a matching orphan instead of creating a pod for it; terminal pods do not count', async () => {
  server.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'r2', labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  server.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'r2', labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  const set = server.put('apps/replicasets', rs('r2', 'api', 2));
  await withController(async () => {
    await until(() => podsIn('r2').filter((p) => p.metadata?.ownerReferences?.[0]?.uid === set.metadata.uid).length === 2, 'two owned pods');
    const orphan = podsIn('r2').find((p) => p.metadata?.name === 'orphan')!;
    assert.equal(orphan.metadata?.ownerReferences?.[0]?.name, 'api');
    assert.equal(podsIn('r2').find((p) => p.metadata?.name === 'other')?.metadata?.ownerReferences, undefined);
    assert.equal(podsIn('r2').length, 3);

    // One of its pods completes: a replacement is made (2 active again).
    const done = podsIn('r2').find((p) => p.metadata?.name !== 'orphan' && p.metadata?.name !== 'other')!;
    server.put('pods', { ...done, status: { phase: 'Succeeded' } });
    await until(() => podsIn('r2').filter((p) => p.metadata?.ownerReferences && p.status?.phase !== 'Succeeded').length === 2, 'replacement of the completed pod');
  });
});

test('deletion order: unscheduled, then pending, then not ready, then newer pods go first', () => {
  const p = (name: string, extra: Partial<Pod>): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [] }, ...extra }) as Pod;
  const pods = [
    p('ready', { spec: { containers: [], nodeName: 'n' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }),
    p('unready', { spec: { containers: [], nodeName: 'n' }, status: { phase: 'Running' } }),
    p('pending', { spec: { containers: [], nodeName: 'n' }, status: { phase: 'Pending' } }),
    p('unscheduled', { status: { phase: 'Pending' } }),
    p('ready-new', { metadata: { name: 'ready-new', creationTimestamp: '2026-02-01T00:00:00Z' }, spec: { containers: [], nodeName: 'n' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }),
  ];
  assert.deepEqual([...pods].sort(deletionOrder).map((x) => x.metadata?.name), ['unscheduled', 'pending', 'unready', 'ready-new', 'ready']);
});
