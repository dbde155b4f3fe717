import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, Pod } from '../../api/index.ts';
import { explainPod, parseGoDuration } from './explain-pod.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

function pod(over: { spec?: Partial<NonNullable<Pod['spec']>>; status?: Pod['status']; meta?: Partial<NonNullable<Pod['metadata']>> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', ...over.meta },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], nodeName: 'n1', ...over.spec } as Pod['spec'],
    status: over.status ?? { phase: 'Pending' },
  };
}

function node(name: string, over: { taints?: NonNullable<Node['spec']>['taints']; labels?: Record<string, string>; cpu?: string; ready?: string; unschedulable?: boolean } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...over.labels } },
    spec: { taints: over.taints, unschedulable: over.unschedulable },
    status: {
      allocatable: { cpu: over.cpu ?? '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: over.ready ?? 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: at(120) }],
    },
  };
}

function event(reason: string, message: string, opts: { fieldPath?: string; secondsAgo?: number; type?: string; count?: number } = {}): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `web.${reason}`, namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: opts.fieldPath },
    reason,
    message,
    type: opts.type ?? 'Warning',
    count: opts.count ?? 1,
    lastTimestamp: at(opts.secondsAgo ?? 5),
  } as Event;
}

const running = (name = 'app', ready = true, extra: object = {}) => ({
  name, image: 'busybox:1.36', imageID: '', ready, restartCount: 0, started: true,
  state: { running: { startedAt: at(60) } }, ...extra,
});

const cases: { name: string; pod: Pod; events?: Event[]; node?: Node; nodes?: Node[]; pods?: Pod[]; want: RegExp; healthy?: boolean }[] = [
  {
    name: 'healthy pod',
    pod: pod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running()] } }),
    node: node('n1'),
    want: /^pod\/web is Running and Ready\.$/,
    healthy: true,
  },
  {
    name: 'untolerated taint names the node, the taint and the fix',
    pod: pod({ spec: { nodeName: undefined }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.' }] } }),
    nodes: [node('n1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })],
    want: /^pod\/web is Pending: no node can run it \(0\/1 nodes are available\): node n1 has the taint dedicated=gpu:NoSchedule, which the pod does not tolerate\. To fit: add a toleration for dedicated=gpu:NoSchedule to the pod, or remove the taint \(kubectl taint nodes n1 dedicated=gpu:NoSchedule-\)\.$/,
  },
  {
    name: 'insufficient cpu says how much is free and what is asked',
    pod: pod({ spec: { nodeName: undefined, containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '3' } } }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] } }),
    nodes: [node('n1', { cpu: '4' })],
    pods: [pod({ meta: { name: 'other' }, spec: { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '1500m' } } }] }, status: { phase: 'Running' } })],
    want: /node n1 has 2500m cpu free of 4 allocatable, the pod requests 3\. To fit: lower the pod's cpu request to 2500m, or free cpu on n1\.$/,
  },
  {
    name: 'nodeSelector names the missing label',
    pod: pod({ spec: { nodeName: undefined, nodeSelector: { disktype: 'ssd' } }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." }] } }),
    nodes: [node('n1')],
    want: /node n1 lacks the labels of the pod's nodeSelector \(disktype=ssd\)\. To fit: kubectl label node n1 disktype=ssd\.$/,
  },
  {
    name: 'cordoned node',
    pod: pod({ spec: { nodeName: undefined }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 node(s) were unschedulable.' }] } }),
    nodes: [node('n1', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] })],
    want: /node n1 is cordoned \(unschedulable\)\. To fit: kubectl uncordon n1\.$/,
  },
  {
    name: 'image pull error quotes the registry',
    pod: pod({ status: { phase: 'Pending', containerStatuses: [{ name: 'app', image: 'busybox:nope', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox:nope"' } } }] } }),
    events: [event('Failed', 'Failed to pull image "busybox:nope": manifest unknown: manifest unknown', { fieldPath: 'spec.containers{app}' })],
    node: node('n1'),
    want: /^pod\/web cannot start: the image "busybox:1.36" of container app cannot be pulled: manifest unknown: manifest unknown \(the kubelet retries with back-off\)\.$/,
  },
  {
    name: 'crash loop with exit code, message and next restart',
    pod: pod({ status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=web_default(uid)' } }, lastState: { terminated: { exitCode: 3, reason: 'Error', message: 'config missing\n', finishedAt: at(10) } } }] } }),
    node: node('n1'),
    want: /^pod\/web is in CrashLoopBackOff: container app exited with exit code 3 \(Error\) 10s ago and has been restarted 3 times; its termination message is "config missing"; next restart in 30s \(at 2026-01-01T12:00:30\.000Z, back-off 40s\)\.$/,
  },
  {
    name: 'readiness probe failing quotes its output',
    pod: pod({ spec: { containers: [{ name: 'app', image: 'x', readinessProbe: { exec: { command: ['false'] } } }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [running('app', false)] } }),
    events: [event('Unhealthy', 'Readiness probe failed: cat: can\'t open \'/tmp/ready\': No such file or directory', { fieldPath: 'spec.containers{app}', count: 4 })],
    node: node('n1'),
    want: /^pod\/web is Running but not Ready: the readiness probe of container app fails: cat: can't open '\/tmp\/ready': No such file or directory \(last 5s ago, 4 times\)\.$/,
  },
  {
    name: 'init container still running',
    pod: pod({ spec: { initContainers: [{ name: 'wait-db', image: 'x' }] }, status: { phase: 'Pending', initContainerStatuses: [running('wait-db', false)], containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] } }),
    node: node('n1'),
    want: /^pod\/web is waiting for init container wait-db, running for 60s: the containers start after it exits with code 0\.$/,
  },
  {
    name: 'init container failing',
    pod: pod({ spec: { initContainers: [{ name: 'migrate', image: 'x' }] }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', image: 'x', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=migrate pod=web_default(uid)' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: at(5) } } }] } }),
    node: node('n1'),
    want: /^pod\/web is in CrashLoopBackOff: init container migrate exited with exit code 1 \(Error\) 5s ago and has been restarted 2 times; next restart in 15s/,
  },
  {
    name: 'missing configMap in env',
    pod: pod({ status: { phase: 'Pending', containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "settings" not found' } } }] } }),
    node: node('n1'),
    want: /^pod\/web cannot start container app: configmap "settings" not found \(create it, or mark the reference optional\)\.$/,
  },
  {
    name: 'missing configMap volume',
    pod: pod({ status: { phase: 'Pending', containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] } }),
    events: [event('FailedMount', 'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found')],
    node: node('n1'),
    want: /^pod\/web is waiting for its volumes: MountVolume\.SetUp failed for volume "cfg" : configmap "settings" not found\.$/,
  },
  {
    name: 'node unreachable',
    pod: pod({ spec: { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] }, status: { phase: 'Running', containerStatuses: [running()] } }),
    node: (() => {
      const n = node('n1', { ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: at(60) }] });
      n.status!.conditions![0] = { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: at(60) };
      return n;
    })(),
    want: /^pod\/web is on node n1, which is unreachable since 60s ago \(Kubelet stopped posting node status\): what the pod last reported is stale; it will be evicted in 4m \(it tolerates node\.kubernetes\.io\/unreachable for 300s\)\.$/,
  },
  {
    name: 'no scheduler verdict yet',
    pod: pod({ spec: { nodeName: undefined } }),
    nodes: [node('n1')],
    want: /^pod\/web is Pending: the scheduler has not placed it yet\.$/,
  },
  {
    name: 'terminating',
    pod: pod({ meta: { deletionTimestamp: at(-20), deletionGracePeriodSeconds: 30 }, status: { phase: 'Running' } }),
    want: /^pod\/web is terminating: it was deleted and its containers are stopped within 20s \(grace period 30s\)\.$/,
  },
];

for (const c of cases) {
  test(`explainPod: ${c.name}`, () => {
    const got = explainPod({ pod: c.pod, events: c.events ?? [], node: c.node, nodes: c.nodes, pods: c.pods, now: NOW });
    assert.match(got.sentence, c.want);
    assert.equal(got.healthy, c.healthy ?? false);
  });
}

test('explainPod: the evidence carries conditions, container states and events', () => {
  const got = explainPod({
    pod: pod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: at(30) }], containerStatuses: [running('app', false)] } }),
    events: [event('Unhealthy', 'Readiness probe failed: nope', { fieldPath: 'spec.containers{app}' })],
    node: node('n1'),
    now: NOW,
  });
  assert.ok(got.evidence.includes('condition Ready=False since 30s ago'), got.evidence.join('\n'));
  assert.ok(got.evidence.some((l) => l.startsWith('container app: running since 60s ago, ready=false, restarts=0')));
  assert.ok(got.evidence.includes('event Warning Unhealthy 5s ago: Readiness probe failed: nope'));
});

test('parseGoDuration reads the back-offs the kubelet prints', () => {
  assert.equal(parseGoDuration('40s'), 40_000);
  assert.equal(parseGoDuration('1m20s'), 80_000);
  assert.equal(parseGoDuration('5m0s'), 300_000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.equal(parseGoDuration('soon'), undefined);
});
