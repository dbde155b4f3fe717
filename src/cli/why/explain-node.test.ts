import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../api/index.ts';
import { explainNode } from './explain-node.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

function node(conditions: NonNullable<Node['status']>['conditions'], spec: Node['spec'] = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec, status: { conditions } };
}
const READY = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: at(600) };

const cases: { name: string; node: Node; podCount?: number; want: RegExp; healthy: boolean }[] = [
  { name: 'ready', node: node([READY]), want: /^node\/n1 is Ready\.$/, healthy: true },
  {
    name: 'unreachable',
    node: node([{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: at(90), lastTransitionTime: at(40) }]),
    podCount: 2,
    want: /^node\/n1 is unreachable: Kubelet stopped posting node status, last heard from 90s ago; its 2 pod\(s\) are evicted once their tolerations for it run out \(300s by default\)\.$/,
    healthy: false,
  },
  {
    name: 'not ready',
    node: node([{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready', lastTransitionTime: at(30) }]),
    want: /^node\/n1 is NotReady: KubeletNotReady: container runtime network not ready \(since 30s ago\)\.$/,
    healthy: false,
  },
  {
    name: 'memory pressure',
    node: node([READY, { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }]),
    want: /^node\/n1 is under memory pressure: kubelet has insufficient memory available; the kubelet evicts pods/,
    healthy: false,
  },
  {
    name: 'cordoned',
    node: node([READY], { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }),
    want: /^node\/n1 is cordoned: it is Ready and keeps its pods, but no new pods are scheduled there \(kubectl uncordon n1\)\.$/,
    healthy: false,
  },
  {
    name: 'tainted',
    node: node([READY], { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    want: /^node\/n1 is Ready, but only pods that tolerate dedicated=gpu:NoSchedule are scheduled there\.$/,
    healthy: true,
  },
];

for (const c of cases) {
  test(`explainNode: ${c.name}`, () => {
    const got = explainNode({ node: c.node, events: [], podCount: c.podCount, now: NOW });
    assert.match(got.sentence, c.want);
    assert.equal(got.healthy, c.healthy);
  });
}
