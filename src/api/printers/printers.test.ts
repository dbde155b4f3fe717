import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, translateTimestampSince } from './duration.ts';
import { podStatusText, podSummary } from './pod-status.ts';
import { printTable, nodeStatusText, nodeRoles } from './table.ts';
import type { ContainerStatus, Pod, PodStatus } from '../types.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches duration.HumanDuration', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'], [-1500, '0s'], [0, '0s'], [5 * S, '5s'], [119 * S, '119s'], [2 * M, '2m'], [2 * M + 3 * S, '2m3s'],
    [9 * M + 59 * S, '9m59s'], [10 * M + 30 * S, '10m'], [179 * M, '179m'], [3 * H, '3h'], [3 * H + 5 * M, '3h5m'], [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'], [47 * H, '47h'], [2 * D, '2d'], [2 * D + 3 * H, '2d3h'], [8 * D, '8d'], [400 * D, '400d'],
    [730 * D, '2y'], [800 * D, '2y70d'], [3000 * D, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
  assert.equal(translateTimestampSince(undefined, 0), '<unknown>');
  assert.equal(translateTimestampSince('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:05:00Z')), '5m');
});

function cs(name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, image: 'x', imageID: '', ready: false, restartCount: 0, state, ...extra };
}

function mk(status: PodStatus, spec: Partial<Pod['spec']> = {}, meta: Pod['metadata'] = {}): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...meta },
    spec: { containers: [{ name: 'a' }, { name: 'b' }], ...spec } as Pod['spec'], status,
  };
}

test('podStatusText follows printPod', () => {
  const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
  const inits = { initContainers: [{ name: 'i1' }, { name: 'i2' }] };
  const cases: [string, Pod, string, string][] = [
    ['pending', mk({ phase: 'Pending' }), 'Pending', '0/2'],
    ['creating', mk({ phase: 'Pending', containerStatuses: [cs('a', { waiting: { reason: 'ContainerCreating' } }), cs('b', { waiting: { reason: 'ContainerCreating' } })] }), 'ContainerCreating', '0/2'],
    ['running', mk({ phase: 'Running', containerStatuses: [cs('a', running, { ready: true }), cs('b', running, { ready: true })] }), 'Running', '2/2'],
    ['first container wins', mk({ phase: 'Running', containerStatuses: [cs('a', { waiting: { reason: 'CrashLoopBackOff' } }), cs('b', { waiting: { reason: 'ImagePullBackOff' } })] }), 'CrashLoopBackOff', '0/2'],
    ['completed', mk({ phase: 'Succeeded', containerStatuses: [cs('a', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('b', { terminated: { exitCode: 0, reason: 'Completed' } })] }), 'Completed', '0/2'],
    ['error', mk({ phase: 'Failed', containerStatuses: [cs('a', { terminated: { exitCode: 1, reason: 'Error' } }), cs('b', { terminated: { exitCode: 0, reason: 'Completed' } })] }), 'Error', '0/2'],
    ['exit code without reason', mk({ phase: 'Failed', containerStatuses: [cs('a', { terminated: { exitCode: 3 } }), cs('b', { terminated: { exitCode: 0, signal: 9 } })] }), 'ExitCode:3', '0/2'],
    ['signal', mk({ phase: 'Failed', containerStatuses: [cs('a', { terminated: { exitCode: 137, signal: 9 } })] }), 'Signal:9', '0/2'],
    ['completed but one running, ready', mk({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [cs('a', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('b', running, { ready: true })] }), 'Running', '1/2'],
    ['completed but one running, not ready', mk({ phase: 'Running', containerStatuses: [cs('a', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('b', running, { ready: true })] }), 'NotReady', '1/2'],
    ['init 0/2', mk({ phase: 'Pending', initContainerStatuses: [cs('i1', { running: {} }), cs('i2', { waiting: { reason: 'PodInitializing' } })] }, inits), 'Init:0/2', '0/2'],
    ['init 1/2', mk({ phase: 'Pending', initContainerStatuses: [cs('i1', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('i2', { running: {} })] }, inits), 'Init:1/2', '0/2'],
    ['init crashloop', mk({ phase: 'Pending', initContainerStatuses: [cs('i1', { waiting: { reason: 'CrashLoopBackOff' } }), cs('i2', { waiting: {} })] }, inits), 'Init:CrashLoopBackOff', '0/2'],
    ['init error', mk({ phase: 'Pending', initContainerStatuses: [cs('i1', { terminated: { exitCode: 1, reason: 'Error' } })] }, inits), 'Init:Error', '0/2'],
    ['init exit code', mk({ phase: 'Pending', initContainerStatuses: [cs('i1', { terminated: { exitCode: 2 } })] }, inits), 'Init:ExitCode:2', '0/2'],
    ['pod initializing', mk({ phase: 'Pending', initContainerStatuses: [cs('i1', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('i2', { terminated: { exitCode: 0, reason: 'Completed' } })], containerStatuses: [cs('a', { waiting: { reason: 'PodInitializing' } }), cs('b', { waiting: { reason: 'PodInitializing' } })] }, inits), 'PodInitializing', '0/2'],
    ['sidecar started counts ready', mk({
      phase: 'Running', initContainerStatuses: [cs('side', running, { started: true, ready: true, restartCount: 2 })],
      containerStatuses: [cs('a', running, { ready: true }), cs('b', running, { ready: true, restartCount: 1 })],
    }, { initContainers: [{ name: 'side', restartPolicy: 'Always' }] }), 'Running', '3/3'],
    ['sidecar not started', mk({ phase: 'Pending', initContainerStatuses: [cs('side', running, { started: false })] }, { initContainers: [{ name: 'side', restartPolicy: 'Always' }] }), 'Init:0/1', '0/3'],
    ['reason override', mk({ phase: 'Failed', reason: 'Evicted' }), 'Evicted', '0/2'],
    ['scheduling gated', mk({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), 'SchedulingGated', '0/2'],
    ['terminating', mk({ phase: 'Running', containerStatuses: [cs('a', running, { ready: true })] }, {}, { deletionTimestamp: '2026-01-01T00:00:00Z' }), 'Terminating', '1/2'],
    ['terminated pod being deleted', mk({ phase: 'Succeeded' }, {}, { deletionTimestamp: '2026-01-01T00:00:00Z' }), 'Succeeded', '0/2'],
    ['node lost', mk({ phase: 'Running', reason: 'NodeLost' }, {}, { deletionTimestamp: '2026-01-01T00:00:00Z' }), 'Unknown', '0/2'],
  ];
  for (const [name, pod, status, ready] of cases) {
    assert.equal(podStatusText(pod), status, name);
    assert.equal(podSummary(pod).ready, ready, name);
  }
  const sidecar = cases.find((c) => c[0] === 'sidecar started counts ready')![1];
  assert.equal(podSummary(sidecar).restarts, 3);
});

test('pod table: columns, cells, RESTARTS with age, wide cells and PartialObjectMetadata', () => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const pod = mk({
    phase: 'Running', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }],
    containerStatuses: [
      cs('a', { running: {} }, { ready: true, restartCount: 3, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T00:55:00Z' } } }),
      cs('b', { running: {} }, { ready: true }),
    ],
  }, { nodeName: 'node-1' }, { name: 'nginx', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'web' } });
  const t = printTable('pods', [pod], { now, listMeta: { resourceVersion: '42' } });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.equal(t.metadata.resourceVersion, '42');
  assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.priority]), [
    ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0], ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
  ]);
  assert.equal(t.columnDefinitions[0]!.format, 'name');
  assert.deepEqual(t.rows[0]!.cells, ['nginx', '2/2', 'Running', '3 (5m ago)', '60m', '10.42.0.5', 'node-1', '<none>', '<none>']);
  assert.deepEqual(t.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  assert.equal(printTable('pods', [pod], { includeObject: 'None' }).rows[0]!.object, undefined);
  assert.equal(printTable('pods', [pod], { includeObject: 'Object' }).rows[0]!.object, pod);
  assert.deepEqual(printTable('pods', [pod], { noHeaders: true }).columnDefinitions, []);
  const done = printTable('pods', [mk({ phase: 'Succeeded' })], { now }).rows[0]!;
  assert.deepEqual(done.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
});

test('node, event, namespace, configmap, secret, serviceaccount, lease, workload tables', () => {
  const now = Date.parse('2026-01-03T03:00:00Z');
  const created = '2026-01-01T00:00:00Z';
  const node = {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', creationTimestamp: created, labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '', 'kubernetes.io/role': 'worker' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'False' }], addresses: [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'node-1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'kubeling://0.1.0', architecture: 'amd64', bootID: '', machineID: '', operatingSystem: 'linux', systemUUID: '', kubeProxyVersion: '' },
    },
  } as const;
  assert.deepEqual(printTable('nodes', [node], { now }).rows[0]!.cells,
    ['node-1', 'NotReady,SchedulingDisabled', 'control-plane,master,worker', '2d3h', 'v1.32.0', '10.0.0.2', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'kubeling://0.1.0']);
  assert.equal(nodeStatusText({ apiVersion: 'v1', kind: 'Node' }), 'Unknown');
  assert.deepEqual(nodeRoles({ apiVersion: 'v1', kind: 'Node', metadata: { labels: { 'kubernetes.io/role': '' } } }), []);

  const ev = {
    metadata: { name: 'nginx.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'nginx', fieldPath: 'spec.containers{web}' },
    reason: 'Pulled', message: ' Successfully pulled image \n', type: 'Normal', source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2026-01-03T02:50:00Z', lastTimestamp: '2026-01-03T02:59:30Z', count: 4,
  };
  const et = printTable('events', [ev], { now });
  assert.deepEqual(et.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
  assert.deepEqual(et.rows[0]!.cells, ['30s', 'Normal', 'Pulled', 'pod/nginx', 'spec.containers{web}', 'kubelet, node-1', 'Successfully pulled image', '10m', 4, 'nginx.1']);
  assert.deepEqual(printTable('events', [{ ...ev, count: undefined, lastTimestamp: undefined }], { now, wide: false }).rows[0]!.cells, ['10m', 'Normal', 'Pulled', 'pod/nginx', 'Successfully pulled image']);

  const ev1 = {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'x.1', namespace: 'default' }, eventTime: '2026-01-03T02:59:00.000000Z',
    regarding: { kind: 'Pod', name: 'nginx' }, note: 'Started container web', reason: 'Started', type: 'Normal', reportingController: 'kubelet', reportingInstance: 'node-1', action: 'Start',
  };
  assert.deepEqual(printTable('events.events.k8s.io', [ev1], { now }).rows[0]!.cells, ['60s', 'Normal', 'Started', 'pod/nginx', '', 'kubelet, node-1', 'Started container web', '60s', 1, 'x.1']);

  assert.deepEqual(printTable('namespaces', [{ metadata: { name: 'dev', creationTimestamp: created }, status: { phase: 'Active' } }], { now }).rows[0]!.cells, ['dev', 'Active', '2d3h']);
  assert.deepEqual(printTable('configmaps', [{ metadata: { name: 'c', creationTimestamp: created }, data: { a: '1' }, binaryData: { b: 'AA==' } }], { now }).rows[0]!.cells, ['c', 2, '2d3h']);
  assert.deepEqual(printTable('secrets', [{ metadata: { name: 's', creationTimestamp: created }, type: 'Opaque', data: { a: 'MQ==' } }], { now }).rows[0]!.cells, ['s', 'Opaque', 1, '2d3h']);
  assert.deepEqual(printTable('serviceaccounts', [{ metadata: { name: 'default', creationTimestamp: created } }], { now }).rows[0]!.cells, ['default', 0, '2d3h']);
  assert.deepEqual(printTable('leases', [{ metadata: { name: 'node-1', creationTimestamp: created }, spec: { holderIdentity: 'node-1' } }], { now }).rows[0]!.cells, ['node-1', 'node-1', '2d3h']);
  const tmpl = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'side', image: 'busybox:1.35' }] } };
  assert.deepEqual(printTable('replicasets', [{ metadata: { name: 'web-abc', creationTimestamp: created }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: tmpl }, status: { replicas: 3, readyReplicas: 2 } }], { now }).rows[0]!.cells,
    ['web-abc', 3, 3, 2, '2d3h', 'web,side', 'nginx:1.27,busybox:1.35', 'app=web']);
  assert.deepEqual(printTable('deployments', [{ metadata: { name: 'web', creationTimestamp: created }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: tmpl }, status: { readyReplicas: 1, updatedReplicas: 3, availableReplicas: 1 } }], { now }).rows[0]!.cells,
    ['web', '1/3', 3, 1, '2d3h', 'web,side', 'nginx:1.27,busybox:1.35', 'app=web']);
  assert.deepEqual(printTable('bindings', [{ metadata: { name: 'b', creationTimestamp: created } }], { now }).rows[0]!.cells, ['b', created]);
});
