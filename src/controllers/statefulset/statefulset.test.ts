import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from '../../api/index.ts';
import { FakeClock } from '../../machinery/index.ts';
import { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { StatefulSetController } from './statefulset.ts';
import { updateRevision } from './identity.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const sts = (ns: string, replicas: number, extra: Partial<StatefulSet['spec']> = {}): StatefulSet => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet',
  metadata: { name: 'web', namespace: ns, generation: 1 },
  spec: {
    replicas, serviceName: 'nginx', podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...extra,
  },
});

const podsIn = (ns: string) => (server.list('pods') as unknown as Pod[]).filter((p) => p.metadata?.namespace === ns);
const names = (ns: string) => podsIn(ns).map((p) => p.metadata!.name!).sort();
const claimsIn = (ns: string) => (server.list('persistentvolumeclaims') as unknown as PersistentVolumeClaim[]).filter((c) => c.metadata?.namespace === ns);
const stored = (ns: string) => server.list('apps/statefulsets').find((s) => s.metadata.namespace === ns) as unknown as StatefulSet;
function markReady(ns: string, name: string): void {
  const p = podsIn(ns).find((x) => x.metadata?.name === name)!;
  server.put('pods', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
}

async function withController(body: () => Promise<void>, clock?: FakeClock): Promise<void> {
  const c = new StatefulSetController({ client, ...(clock ? { clock } : {}) });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await body();
  } finally {
    ac.abort();
    await running;
  }
}

test('OrderedReady: web-0, web-1, web-2 one at a time, each after the previous is Ready, each with its own claim', async () => {
  const set = server.put('apps/statefulsets', sts('s1', 3));
  await withController(async () => {
    const order: string[] = [];
    for (const name of ['web-0', 'web-1', 'web-2']) {
      await until(() => names('s1').includes(name), name);
      // Nothing further until this one is Running and Ready.
      assert.deepEqual(names('s1'), [...order, name]);
      order.push(name);
      markReady('s1', name);
    }
    const pod = podsIn('s1').find((p) => p.metadata?.name === 'web-1')!;
    assert.equal(pod.spec?.hostname, 'web-1');
    assert.equal(pod.spec?.subdomain, 'nginx');
    assert.equal(pod.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(pod.metadata?.labels?.['apps.kubernetes.io/pod-index'], '1');
    assert.deepEqual(pod.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }]);
    assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, set.metadata.uid);
    assert.deepEqual(claimsIn('s1').map((c) => c.metadata!.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    // whenDeleted Retain (the default): claims are not owned by the set.
    assert.equal(claimsIn('s1')[0]!.metadata?.ownerReferences, undefined);
    assert.deepEqual(claimsIn('s1')[0]!.metadata?.labels, { app: 'web' });
    await until(() => stored('s1')?.status?.readyReplicas === 3, 'ready 3');
    const st = stored('s1').status!;
    assert.equal(st.currentRevision, updateRevision(stored('s1')));
    assert.equal(st.updateRevision, st.currentRevision);
    assert.equal(st.currentReplicas, 3);

    // A deleted pod comes back under the same name, with the same claim.
    server.remove('pods', 's1', 'web-1');
    await until(() => names('s1').includes('web-1'), 'web-1 again');
    assert.equal(claimsIn('s1').length, 3);
  });
});

test('Parallel makes all pods at once; scale down removes the highest ordinals, deleting claims when whenScaled is Delete', async () => {
  server.put('apps/statefulsets', sts('s2', 3, { podManagementPolicy: 'Parallel', persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
  await withController(async () => {
    await until(() => names('s2').length === 3, 'three pods without any Ready');
    assert.deepEqual(names('s2'), ['web-0', 'web-1', 'web-2']);
    // whenDeleted Delete: the set owns its claims, so the garbage collector removes them with it.
    assert.equal(claimsIn('s2')[0]!.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
    const cur = stored('s2');
    server.put('apps/statefulsets', { ...cur, spec: { ...cur.spec!, replicas: 1 } });
    await until(() => names('s2').length === 1, 'scaled to 1');
    assert.deepEqual(names('s2'), ['web-0']);
    await until(() => claimsIn('s2').length === 1, 'claims of web-1 and web-2 deleted');
  });
});

test('rolling update replaces pods from the highest ordinal down to the partition', async () => {
  server.put('apps/statefulsets', sts('s3', 3, { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } }));
  await withController(async () => {
    for (const name of ['web-0', 'web-1', 'web-2']) {
      await until(() => names('s3').includes(name), name);
      markReady('s3', name);
    }
    await until(() => stored('s3')?.status?.readyReplicas === 3, 'ready 3');
    const oldRevision = stored('s3').status!.currentRevision!;
    const cur = stored('s3');
    const template = structuredClone(cur.spec!.template);
    template.spec!.containers[0]!.image = 'busybox:2';
    server.put('apps/statefulsets', { ...cur, metadata: { ...cur.metadata, generation: 2 }, spec: { ...cur.spec!, template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } } });
    const revisionOf = (name: string) => podsIn('s3').find((p) => p.metadata?.name === name)?.metadata?.labels?.['controller-revision-hash'];
    await until(() => revisionOf('web-2') !== undefined && revisionOf('web-2') !== oldRevision, 'web-2 replaced');
    assert.equal(podsIn('s3').find((p) => p.metadata?.name === 'web-2')!.spec?.containers[0]?.image, 'busybox:2');
    markReady('s3', 'web-2');
    await until(() => stored('s3')?.status?.updatedReplicas === 1 && stored('s3')?.status?.readyReplicas === 3, 'one updated');
    // Below the partition nothing changes; the current revision stays the old one.
    assert.equal(revisionOf('web-1'), oldRevision);
    assert.equal(revisionOf('web-0'), oldRevision);
    assert.equal(stored('s3').status?.currentRevision, oldRevision);
    assert.equal(stored('s3').status?.currentReplicas, 2);
  });
});

test('a controller restarted mid-rollout makes no second pod of one identity', async () => {
  server.put('apps/statefulsets', sts('s4', 2));
  await withController(async () => {
    await until(() => names('s4').includes('web-0'), 'web-0');
  });
  // A new controller (no memory of the first) sees web-0 not Ready and waits; then continues once it is.
  await withController(async () => {
    await until(() => stored('s4')?.status?.replicas === 1, 'status seen');
    assert.deepEqual(names('s4'), ['web-0']);
    markReady('s4', 'web-0');
    await until(() => names('s4').length === 2, 'web-1');
    assert.deepEqual(names('s4'), ['web-0', 'web-1']);
  });
});

const revisionsIn = (ns: string) => (server.list('apps/controllerrevisions') as unknown as ControllerRevision[]).filter((r) => r.metadata?.namespace === ns);
const podIn = (ns: string, name: string) => podsIn(ns).find((p) => p.metadata?.name === name);

test('ControllerRevisions: one per template, a pod below the partition comes back at the current revision, an undo renumbers the old one', async () => {
  const set = server.put('apps/statefulsets', sts('s5', 3, { volumeClaimTemplates: [] }));
  await withController(async () => {
    for (const name of ['web-0', 'web-1', 'web-2']) {
      await until(() => names('s5').includes(name), name);
      markReady('s5', name);
    }
    await until(() => stored('s5')?.status?.readyReplicas === 3, 'ready 3');
    const [first] = revisionsIn('s5');
    assert.equal(revisionsIn('s5').length, 1);
    const hash = first!.metadata!.labels!['controller.kubernetes.io/hash']!;
    assert.equal(first!.metadata!.name, `web-${hash}`);
    assert.equal(first!.revision, 1);
    assert.equal(first!.metadata!.labels!['app'], 'web');
    assert.deepEqual(first!.metadata!.ownerReferences?.map((o) => [o.kind, o.uid, o.controller]), [['StatefulSet', set.metadata.uid, true]]);
    assert.deepEqual((first!.data as { spec: { template: { $patch: string } } }).spec.template.$patch, 'replace');
    assert.equal(stored('s5').status?.currentRevision, first!.metadata!.name);
    assert.equal(podIn('s5', 'web-0')?.metadata?.labels?.['controller-revision-hash'], first!.metadata!.name);

    // A new template with partition 2: web-2 moves to revision 2; web-1, deleted, comes back at revision 1.
    const cur = stored('s5');
    const template = structuredClone(cur.spec!.template);
    template.spec!.containers[0]!.image = 'busybox:2';
    server.put('apps/statefulsets', { ...cur, spec: { ...cur.spec!, template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } } });
    await until(() => revisionsIn('s5').length === 2, 'a second revision');
    const second = revisionsIn('s5').find((r) => r.metadata?.name !== first!.metadata!.name)!;
    assert.equal(second.revision, 2);
    await until(() => podIn('s5', 'web-2')?.metadata?.labels?.['controller-revision-hash'] === second.metadata!.name, 'web-2 at revision 2');
    markReady('s5', 'web-2');
    const oldUid = podIn('s5', 'web-1')!.metadata!.uid;
    server.remove('pods', 's5', 'web-1');
    await until(() => podIn('s5', 'web-1') !== undefined && podIn('s5', 'web-1')!.metadata!.uid !== oldUid, 'web-1 again');
    assert.equal(podIn('s5', 'web-1')!.metadata?.labels?.['controller-revision-hash'], first!.metadata!.name);
    assert.equal(podIn('s5', 'web-1')!.spec?.containers[0]?.image, 'busybox:1');

    // Undo: the first template again; its revision is renumbered 3, no third revision is made.
    const now = stored('s5');
    server.put('apps/statefulsets', { ...now, spec: { ...now.spec!, template: cur.spec!.template } });
    await until(() => revisionsIn('s5').find((r) => r.metadata?.name === first!.metadata!.name)?.revision === 3, 'revision 1 renumbered 3');
    assert.equal(revisionsIn('s5').length, 2);
  });
});

test('minReadySeconds: the next pod waits until the previous has been Ready that long; availableReplicas counts only those', async () => {
  const clock = new FakeClock();
  server.put('apps/statefulsets', sts('s6', 2, { volumeClaimTemplates: [], minReadySeconds: 10 }));
  await withController(async () => {
    await until(() => names('s6').includes('web-0'), 'web-0');
    const p = podIn('s6', 'web-0')!;
    const since = new Date(clock.now()).toISOString();
    server.put('pods', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] } });
    await until(() => stored('s6')?.status?.readyReplicas === 1, 'web-0 ready');
    assert.equal(stored('s6').status?.availableReplicas, 0);
    await clock.step(5_000);
    assert.deepEqual(names('s6'), ['web-0'], 'web-1 waits for web-0 to be available');
    await clock.step(6_000);
    await until(() => names('s6').includes('web-1'), 'web-1 once web-0 is available');
    await until(() => stored('s6')?.status?.availableReplicas === 1, 'one available');
  }, clock);
});
