/**
 * The scheduler inside `kubeling server` (--no-agent: no kubelet, so pods stay where the scheduler puts them),
 * driven through the API with Node objects the test creates: an unmatched nodeSelector leaves the pod Pending
 * with Kubernetes' message as condition, event and `kubectl describe` line until a node gets the label;
 * tainted nodes are avoided unless tolerated; requests must fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, Pod } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';

let server: ServerHandle;
let client: Client;
// The Nodes here have no kubelet renewing a lease: a long grace keeps the node lifecycle controller from
// tainting them unreachable while the file runs.
serverWithClientForFile({ noAgent: true, storage: 'memory', args: ['--node-monitor-grace-period', '1h'] }, (s) => ({ server, client } = s));

function until<T>(get: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  return untilWith(get, what, { timeoutMs, intervalMs: 100, retryErrors: false });
}

async function createNode(name: string, opts: { labels?: Record<string, string>; taints?: Node['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never; cpu?: string } = {}): Promise<void> {
  const nodes = client.resource<Node>('nodes');
  const status = {
    capacity: { cpu: opts.cpu ?? '4', memory: '8Gi', pods: '110' },
    allocatable: { cpu: opts.cpu ?? '4', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
  } as Node['status'];
  await nodes.create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: opts.taints ? { taints: opts.taints } : {},
    status,
  });
  // Some servers drop status on create, as they may: set it through the status subresource too.
  await nodes.patchStatus(name, { status }, 'merge');
}

const pod = (name: string, spec: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec } as Pod['spec'],
});

const pods = () => client.resource<Pod>('pods', 'default');
const nodeOf = async (name: string) => (await pods().get(name)).spec?.nodeName;

test('unmatched nodeSelector: Pending with the message, then scheduled when a node gets the label', async () => {
  await createNode('worker-1');
  await pods().create(pod('picky', { nodeSelector: { disktype: 'ssd' } }));
  const message =
    "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
  // The scheduler's pod and node watches are separate streams: it may see the pod before the node and first
  // report SchedulerError "no nodes available" (retried after back-off), so wait for the Unschedulable verdict.
  const cond = await until(
    async () => (await pods().get('picky')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason !== 'SchedulerError'),
    'PodScheduled condition',
  );
  assert.equal(cond.status, 'False');
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, message);
  const events = client.resource<Event>('events', 'default');
  const ev = await until(
    async () => (await events.list({ fieldSelector: 'involvedObject.name=picky' })).items.find((e) => e.reason === 'FailedScheduling' && e.message === message),
    'event',
  );
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, message);
  assert.equal(ev.source?.component, 'default-scheduler');

  const described = await server.kubectl(['describe', 'pod', 'picky']);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector\./);
  const got = await server.kubectl(['get', 'pod', 'picky', '--no-headers']);
  assert.match(got.stdout, /picky\s+0\/1\s+Pending/);

  await client.resource<Node>('nodes').patch('worker-1', { metadata: { labels: { disktype: 'ssd' } } }, 'merge');
  assert.equal(await until(() => nodeOf('picky'), 'binding after the label'), 'worker-1');
  const scheduled = await until(async () => (await events.list({ fieldSelector: 'involvedObject.name=picky' })).items.find((e) => e.reason === 'Scheduled'), 'Scheduled event');
  assert.equal(scheduled.message, 'Successfully assigned default/picky to worker-1');
  const wide = await server.kubectl(['get', 'pod', 'picky', '-o', 'wide', '--no-headers']);
  assert.match(wide.stdout, /worker-1/);
});

test('a tainted node is avoided unless the pod tolerates the taint', async () => {
  await createNode('gpu-1', { labels: { pool: 'gpu' }, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] });
  await pods().create(pod('plain', { nodeSelector: { pool: 'gpu' } }));
  await pods().create(pod('tolerant', { nodeSelector: { pool: 'gpu' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }));
  assert.equal(await until(() => nodeOf('tolerant'), 'tolerant binding'), 'gpu-1');
  const cond = await until(async () => (await pods().get('plain')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 'plain condition');
  assert.equal(
    cond.message,
    "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {nvidia.com/gpu: present}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
  );
  assert.equal(await nodeOf('plain'), undefined);
});

test('requests must fit: the pod that does not fit waits, and is placed when room appears', async () => {
  await createNode('tiny', { labels: { size: 'tiny' }, cpu: '1' });
  await pods().create(pod('first', { nodeSelector: { size: 'tiny' }, containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '700m' } } }] }));
  assert.equal(await until(() => nodeOf('first'), 'first binding'), 'tiny');
  await pods().create(pod('second', { nodeSelector: { size: 'tiny' }, containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '700m' } } }] }));
  const cond = await until(async () => (await pods().get('second')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 'second condition');
  // Filters run in kube-scheduler's order, so the tainted gpu node reports its taint, not the selector.
  assert.equal(
    cond.message,
    "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {nvidia.com/gpu: present}. " +
      'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
  );
  await pods().delete('first', { gracePeriodSeconds: 0 });
  assert.equal(await until(() => nodeOf('second'), 'second binding'), 'tiny');
});
