import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Node, Pod } from '../../api/index.ts';
import { daemonSetPodToExplain, explainDaemonSet, whyNoDaemonPod } from './explain-daemonset.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function ds(status: Partial<NonNullable<DaemonSet['status']>>, podSpec: Record<string, unknown> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'd1' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { containers: [{ name: 'a', image: 'busybox' }], ...podSpec } } } as DaemonSet['spec'],
    status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, ...status },
  };
}

const node = (name: string, extra: Partial<Node> = {}): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, ...extra });

const pod = (name: string, nodeName: string, ready: boolean): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'd1', controller: true }] },
  spec: { nodeName, containers: [] },
  status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

test('whyNoDaemonPod: an untolerated taint or a nodeSelector; a cordon or a pressure taint does not keep a daemon pod out', () => {
  const tainted = node('n1', { spec: { taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] } });
  assert.equal(whyNoDaemonPod(ds({}), tainted), 'has the taint gpu=yes:NoSchedule, which its pods do not tolerate');
  assert.equal(whyNoDaemonPod(ds({}, { tolerations: [{ key: 'gpu', operator: 'Exists' }] }), tainted), undefined);
  assert.equal(whyNoDaemonPod(ds({}, { nodeSelector: { disk: 'ssd' } }), node('n1')), 'lacks the labels of its nodeSelector (disk=ssd)');
  const cordoned = node('n1', { spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] } });
  assert.equal(whyNoDaemonPod(ds({}), cordoned), undefined);
});

test('explainDaemonSet: no node takes it', () => {
  const got = explainDaemonSet({ daemonSet: ds({}, { nodeSelector: { disk: 'ssd' } }), events: [], nodes: [node('n1')], pods: [], now: NOW });
  assert.equal(got.sentence, 'daemonset/agent runs on no node: node n1 lacks the labels of its nodeSelector (disk=ssd).');
  assert.equal(got.healthy, false);
});

test('explainDaemonSet: a pod not Ready reaches its answer; a skipped node is named when the rest is well', () => {
  const nodes = [node('n1'), node('n2', { spec: { taints: [{ key: 'gpu', effect: 'NoExecute' }] } }), node('n3')];
  const pending = { sentence: 'pod/agent-b cannot start: the image "busybox:nope" of container a cannot be pulled: not found.', evidence: [], healthy: false };
  const pods = [pod('agent-a', 'n1', true), pod('agent-b', 'n3', false)];
  const got = explainDaemonSet({ daemonSet: ds({ desiredNumberScheduled: 2, numberReady: 1 }), events: [], nodes, pods, podAnswer: pending, now: NOW });
  assert.equal(got.sentence, `daemonset/agent has 1 of 2 pods not Ready (on n3). Not ready: ${pending.sentence}`);
  assert.ok(got.evidence.includes('node n2: gets no pod: it has the taint gpu:NoExecute, which its pods do not tolerate'), got.evidence.join('\n'));
  assert.equal(daemonSetPodToExplain(ds({}), pods)?.metadata?.name, 'agent-b');
  const ready = explainDaemonSet({ daemonSet: ds({ desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 }), events: [], nodes, pods: [pods[0]!, pod('agent-c', 'n3', true)], now: NOW });
  assert.equal(ready.sentence, 'daemonset/agent is ready on all 2 nodes it should run on; 1 node(s) get no pod: node n2 has the taint gpu:NoExecute, which its pods do not tolerate.');
  assert.equal(ready.healthy, true);
  const missing = explainDaemonSet({ daemonSet: ds({ desiredNumberScheduled: 2 }), events: [], nodes, pods: [pods[0]!], now: NOW });
  assert.equal(missing.sentence, 'daemonset/agent has no pod yet on node n3 (1 of 2 created).');
});
