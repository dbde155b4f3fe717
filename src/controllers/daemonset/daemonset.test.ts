import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet, Pod } from '../../api/index.ts';
import { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { DaemonSetController } from './daemonset.ts';
import { targetNodeName } from './daemon-pod.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const daemonSet = (ns: string, image: string, generation = 1, extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: ns, generation },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image }], nodeSelector: { suite: ns } } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    revisionHistoryLimit: 10,
    ...extra,
  },
});
/** Each test's nodes carry its namespace as a label and its DaemonSet selects them (nodes are cluster-wide). */
const addNode = (name: string, taints: object[] = []) =>
  server.put('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, suite: name.split('-')[0]! } }, spec: { taints } });
const podsIn = (ns: string) => server.list('pods').filter((p) => p.metadata.namespace === ns) as Pod[];
const stored = (ns: string) => server.list('apps/daemonsets').find((d) => d.metadata.namespace === ns) as DaemonSet | undefined;
const revisionsIn = (ns: string) => server.list('apps/controllerrevisions').filter((r) => r.metadata.namespace === ns) as ControllerRevision[];
/** What the scheduler and kubelet would do: bind each pod to the node its affinity names and make it Ready. */
function runPods(ns: string): void {
  for (const p of podsIn(ns)) {
    if (p.status?.phase === 'Running') continue;
    server.put('pods', { ...p, spec: { ...p.spec, nodeName: targetNodeName(p) }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
  }
}

async function withController(body: () => Promise<void>): Promise<void> {
  const c = new DaemonSetController({ client });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await body();
  } finally {
    ac.abort();
    await running;
  }
}

test('one pod per node, one more when a node joins, none on a tainted node unless tolerated, status and events', async () => {
  for (const n of ['d1-a', 'd1-b', 'd1-c']) addNode(n);
  addNode('d1-tainted', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  const ds = server.put('apps/daemonsets', daemonSet('d1', 'busybox:1.35'));
  await withController(async () => {
    await until(() => podsIn('d1').length === 3, 'three daemon pods');
    assert.deepEqual(podsIn('d1').map(targetNodeName).sort(), ['d1-a', 'd1-b', 'd1-c']);
    for (const p of podsIn('d1')) {
      assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.ok(p.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unschedulable'));
    }
    const rev = await until(() => revisionsIn('d1')[0], 'a controller revision');
    assert.equal(rev.revision, 1);
    assert.equal(podsIn('d1')[0]!.metadata?.labels?.['controller-revision-hash'], rev.metadata?.labels?.['controller-revision-hash']);
    runPods('d1');
    await until(() => stored('d1')?.status?.numberAvailable === 3, 'three available');
    assert.deepEqual(
      { ...stored('d1')!.status },
      { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberUnavailable: 0, observedGeneration: 1 },
    );
    addNode('d1-d');
    await until(() => podsIn('d1').length === 4, 'a fourth pod for the new node');
    assert.ok(podsIn('d1').some((p) => targetNodeName(p) === 'd1-d'));
    await until(() => server.list('events').filter((e) => e.metadata.namespace === 'd1' && e.reason === 'SuccessfulCreate' && e.involvedObject?.kind === 'DaemonSet').length === 4, 'four SuccessfulCreate events');

    // Tolerating the taint puts a pod there too (a new template: a new revision).
    server.put('apps/daemonsets', daemonSet('d1', 'busybox:1.35', 2, {
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], nodeSelector: { suite: 'd1' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] } },
    }));
    await until(() => podsIn('d1').some((p) => targetNodeName(p) === 'd1-tainted'), 'a pod on the tainted node');
    // A node that leaves: its pod no longer counts.
    server.remove('nodes', undefined, 'd1-d');
    await until(() => stored('d1')?.status?.desiredNumberScheduled === 4, 'four desired after a node left');
  });
});

test('RollingUpdate replaces pods one node at a time; a misbehaving new revision stops the roll; undo brings the old revision back as the newest', async () => {
  for (const n of ['d2-a', 'd2-b', 'd2-c']) addNode(n);
  server.put('apps/daemonsets', daemonSet('d2', 'busybox:1.35'));
  await withController(async () => {
    await until(() => podsIn('d2').length === 3, 'three daemon pods');
    runPods('d2');
    await until(() => stored('d2')?.status?.numberAvailable === 3, 'three available');
    const firstHash = revisionsIn('d2')[0]!.metadata!.labels!['controller-revision-hash'];

    server.put('apps/daemonsets', { ...stored('d2')!, metadata: { ...stored('d2')!.metadata, generation: 2 }, spec: daemonSet('d2', 'busybox:1.36').spec });
    const secondRev = await until(() => revisionsIn('d2').find((r) => r.revision === 2), 'revision 2');
    const secondHash = secondRev.metadata!.labels!['controller-revision-hash'];
    assert.notEqual(secondHash, firstHash);
    // The new pods never become ready: after one node is replaced the roll waits (maxUnavailable 1).
    await until(() => podsIn('d2').filter((p) => p.metadata?.labels?.['controller-revision-hash'] === secondHash).length === 1, 'one updated pod');
    assert.equal(podsIn('d2').length, 3);
    assert.equal(podsIn('d2').filter((p) => p.metadata?.labels?.['controller-revision-hash'] === firstHash).length, 2, 'two old pods stay while the new one is unavailable');

    // Undo: the template goes back to revision 1, which becomes revision 3; the unready pod is replaced.
    server.put('apps/daemonsets', { ...stored('d2')!, metadata: { ...stored('d2')!.metadata, generation: 3 }, spec: daemonSet('d2', 'busybox:1.35').spec });
    await until(() => revisionsIn('d2').find((r) => r.metadata?.labels?.['controller-revision-hash'] === firstHash)?.revision === 3, 'revision 1 renumbered 3');
    await until(() => podsIn('d2').length === 3 && podsIn('d2').every((p) => p.metadata?.labels?.['controller-revision-hash'] === firstHash), 'every pod on the first revision again');
    runPods('d2');
    await until(() => stored('d2')?.status?.updatedNumberScheduled === 3 && stored('d2')?.status?.observedGeneration === 3, 'rolled back');
  });
});

test('OnDelete leaves old pods until they are deleted by hand', async () => {
  for (const n of ['d3-a', 'd3-b']) addNode(n);
  server.put('apps/daemonsets', daemonSet('d3', 'busybox:1.35', 1, { updateStrategy: { type: 'OnDelete' } }));
  await withController(async () => {
    await until(() => podsIn('d3').length === 2, 'two daemon pods');
    runPods('d3');
    await until(() => stored('d3')?.status?.numberAvailable === 2, 'two available');
    server.put('apps/daemonsets', { ...stored('d3')!, metadata: { ...stored('d3')!.metadata, generation: 2 }, spec: daemonSet('d3', 'busybox:1.36', 2, { updateStrategy: { type: 'OnDelete' } }).spec });
    await until(() => stored('d3')?.status?.observedGeneration === 2, 'generation 2 observed');
    assert.equal(stored('d3')?.status?.updatedNumberScheduled, 0);
    const victim = podsIn('d3')[0]!;
    server.remove('pods', 'd3', victim.metadata!.name!);
    await until(() => podsIn('d3').some((p) => p.spec?.containers[0]?.image === 'busybox:1.36'), 'the deleted pod replaced with the new template');
    assert.equal(podsIn('d3').length, 2);
    assert.equal(podsIn('d3').filter((p) => p.spec?.containers[0]?.image === 'busybox:1.35').length, 1);
  });
});
