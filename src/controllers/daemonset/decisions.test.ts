import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../api/index.ts';
import { newDaemonPod, targetNodeName } from './daemon-pod.ts';
import { managePods, rollingUpdate, surgeAndUnavailable, type NodePods } from './decisions.ts';
import { revisionData, revisionsToPrune, sameJson, templateHash } from './history.ts';
import { nodeShouldRunDaemonPod } from './node-fit.ts';

const ds = (spec: Partial<NonNullable<DaemonSet['spec']>['template']['spec']> = {}): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'd', uid: 'ds-uid', generation: 2 },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec } },
  },
});
const node = (name: string, labels: Record<string, string> = {}, taints: NonNullable<Node['spec']>['taints'] = []): Node =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints } });

test('a node runs a daemon pod when selector, affinity and taints allow it', () => {
  const plain = newDaemonPod(ds(), 'h');
  assert.deepEqual(nodeShouldRunDaemonPod(plain, node('n1')), { shouldRun: true, shouldContinueRunning: true });
  const selecting = newDaemonPod(ds({ nodeSelector: { disk: 'ssd' } }), 'h');
  assert.equal(nodeShouldRunDaemonPod(selecting, node('n1')).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(selecting, node('n2', { disk: 'ssd' })).shouldRun, true);
  const affinity = newDaemonPod(ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }), 'h');
  assert.equal(nodeShouldRunDaemonPod(affinity, node('n1', { zone: 'b' })).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(affinity, node('n1', { zone: 'a' })).shouldRun, true);

  // A NoSchedule taint keeps new pods off but lets a running one stay; NoExecute removes it.
  const noSchedule = node('n3', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  assert.deepEqual(nodeShouldRunDaemonPod(plain, noSchedule), { shouldRun: false, shouldContinueRunning: true });
  const noExecute = node('n3', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]);
  assert.deepEqual(nodeShouldRunDaemonPod(plain, noExecute), { shouldRun: false, shouldContinueRunning: false });
  const tolerating = newDaemonPod(ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }), 'h');
  assert.equal(nodeShouldRunDaemonPod(tolerating, noSchedule).shouldRun, true);

  // The automatic tolerations: not-ready, unreachable, pressure and unschedulable taints do not keep daemons off.
  for (const [key, effect] of [['node.kubernetes.io/not-ready', 'NoExecute'], ['node.kubernetes.io/unreachable', 'NoExecute'], ['node.kubernetes.io/disk-pressure', 'NoSchedule'], ['node.kubernetes.io/memory-pressure', 'NoSchedule'], ['node.kubernetes.io/pid-pressure', 'NoSchedule'], ['node.kubernetes.io/unschedulable', 'NoSchedule']] as const) {
    assert.equal(nodeShouldRunDaemonPod(plain, node('n4', {}, [{ key, effect }])).shouldRun, true, key);
  }
  const unavailableNet = node('n5', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
  assert.equal(nodeShouldRunDaemonPod(plain, unavailableNet).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(newDaemonPod(ds({ hostNetwork: true }), 'h'), unavailableNet).shouldRun, true);
});

test('the daemon pod: labels, owner, and a required affinity on the node name that keeps the template\'s expressions', () => {
  const set = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } });
  const pod = newDaemonPod(set, 'abc', 'n7');
  assert.deepEqual(pod.metadata?.labels, { app: 'agent', 'controller-revision-hash': 'abc', 'pod-template-generation': '2' });
  assert.equal(pod.metadata?.generateName, 'agent-');
  assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
  assert.deepEqual(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] },
  ]);
  assert.equal(pod.spec?.nodeName, undefined);
  assert.equal(targetNodeName(pod), 'n7');
  assert.equal(set.spec?.template.spec?.tolerations, undefined, 'the template is not changed');
});

let seq = 0;
const pod = (hash: string, opts: { ready?: boolean; failed?: boolean } = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: `p${String(++seq).padStart(3, '0')}`, uid: `u${seq}`, labels: { 'controller-revision-hash': hash }, creationTimestamp: `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}Z` },
  spec: { containers: [] },
  status: { phase: opts.failed ? 'Failed' : 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
});
const ready = (p: Pod) => p.status?.conditions?.[0]?.status === 'True';
const runs = { shouldRun: true, shouldContinueRunning: true };
const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name).sort();

test('manage: create where missing, delete failed, extra and evicted pods', () => {
  seq = 0;
  const extraOld = pod('new');
  const extraNew = pod('new');
  const failed = pod('new', { failed: true });
  const onTainted = pod('new');
  const nodes: NodePods[] = [
    { node: 'a', fit: runs, pods: [] },
    { node: 'b', fit: runs, pods: [extraOld, extraNew] },
    { node: 'c', fit: runs, pods: [failed] },
    { node: 'd', fit: { shouldRun: false, shouldContinueRunning: false }, pods: [onTainted] },
    { node: 'e', fit: { shouldRun: false, shouldContinueRunning: true }, pods: [pod('new')] },
    { node: 'f', fit: { shouldRun: false, shouldContinueRunning: false }, pods: [] },
  ];
  const a = managePods(nodes, 'new', false, ready);
  assert.deepEqual(a.create, ['a']);
  assert.deepEqual(names(a.delete), names([extraNew, failed, onTainted]));
});

test('rolling update without surge: at most maxUnavailable nodes down, unavailable old pods go first', () => {
  seq = 0;
  const olds = ['a', 'b', 'c', 'd'].map(() => pod('old'));
  const nodes: NodePods[] = olds.map((p, i) => ({ node: 'abcd'[i]!, fit: runs, pods: [p] }));
  // All old and available, maxUnavailable 1: one goes.
  assert.deepEqual(names(rollingUpdate(nodes, 'new', 1, 0, ready).delete), [olds[0]!.metadata!.name]);
  assert.equal(rollingUpdate(nodes, 'new', 2, 0, ready).delete.length, 2);
  // Node a now runs an updated pod that is not ready yet: nothing more may go.
  nodes[0]!.pods = [pod('new', { ready: false })];
  assert.deepEqual(rollingUpdate(nodes, 'new', 1, 0, ready).delete, []);
  // ...except an old pod that is unavailable anyway.
  nodes[2]!.pods = [pod('old', { ready: false })];
  assert.deepEqual(names(rollingUpdate(nodes, 'new', 1, 0, ready).delete), names(nodes[2]!.pods));
  // A node whose old pod was deleted and not yet replaced counts as unavailable.
  nodes[0]!.pods = [pod('new')];
  nodes[2]!.pods = [];
  assert.deepEqual(rollingUpdate(nodes, 'new', 1, 0, ready).delete, []);
  nodes[2]!.pods = [pod('new')];
  assert.deepEqual(names(rollingUpdate(nodes, 'new', 1, 0, ready).delete), [olds[1]!.metadata!.name]);
});

test('rolling update with surge: new pods beside old ones on maxSurge nodes, old ones go when the new one is available', () => {
  seq = 0;
  const nodes: NodePods[] = ['a', 'b', 'c'].map((n) => ({ node: n, fit: runs, pods: [pod('old')] }));
  assert.deepEqual(rollingUpdate(nodes, 'new', 0, 1, ready), { create: ['a'], delete: [] });
  const surged = pod('new', { ready: false });
  nodes[0]!.pods.push(surged);
  assert.deepEqual(rollingUpdate(nodes, 'new', 0, 1, ready), { create: [], delete: [] });
  // manage keeps both while the new pod is not available.
  assert.deepEqual(managePods(nodes, 'new', true, ready).delete, []);
  surged.status!.conditions = [{ type: 'Ready', status: 'True' }];
  const step = rollingUpdate(nodes, 'new', 0, 1, ready);
  assert.deepEqual(names(step.delete), [nodes[0]!.pods[0]!.metadata!.name]);
  assert.deepEqual(step.create, ['b']);
});

test('maxSurge and maxUnavailable scale against the desired nodes, rounding up; both zero means one', () => {
  assert.deepEqual(surgeAndUnavailable(0, '10%', 100), { maxSurge: 0, maxUnavailable: 10 });
  assert.deepEqual(surgeAndUnavailable('25%', 0, 3), { maxSurge: 1, maxUnavailable: 0 });
  assert.deepEqual(surgeAndUnavailable(0, 0, 5), { maxSurge: 0, maxUnavailable: 1 });
});

test('history: the hash ignores key order; pruning keeps the limit, the current revision and those pods run', () => {
  assert.equal(templateHash({ a: 1, b: { c: 2, d: 3 } }), templateHash({ b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(templateHash({ a: 1 }), templateHash({ a: 2 }));
  assert.notEqual(templateHash({ a: 1 }), templateHash({ a: 1 }, 1));
  const rev = (n: number): ControllerRevision => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: `r${n}`, labels: { 'controller-revision-hash': `h${n}` } }, revision: n });
  const all = [1, 2, 3, 4, 5].map(rev);
  assert.deepEqual(revisionsToPrune(all, 'r5', new Set(['h1']), 2).map((r) => r.metadata!.name), ['r2']);
  assert.deepEqual(revisionsToPrune(all, 'r5', new Set(), 10), []);
});

test("a revision written before the server kept a template's creationTimestamp as null still matches the set", () => {
  const before = revisionData(ds());
  const now = ds();
  (now.spec!.template.metadata as Record<string, unknown>).creationTimestamp = null;
  assert.ok(sameJson(before, revisionData(now)));
  assert.ok(sameJson(revisionData(now), before));
  now.spec!.template.metadata!.labels = { ...now.spec!.template.metadata!.labels, other: 'x' };
  assert.ok(!sameJson(before, revisionData(now)));
  assert.ok(!sameJson({ a: [1, null] }, { a: [1] }));
});
