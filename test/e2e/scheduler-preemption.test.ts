/**
 * PriorityClasses and preemption in `kubeling server --runtime fake` (its own node, a kubelet on the fake
 * runtime), driven by the real kubectl: `kubectl get pc` shows the two system classes; a node filled by a
 * low-priority Deployment; a pod of a high PriorityClass gets `status.nominatedNodeName`, one victim gets the
 * `DisruptionTarget` condition and a `Preempted` event and goes, the high-priority pod runs there, and the
 * Deployment's replacement stays Pending (it cannot preempt its equals, nor take the room held for the nominee).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, Pod } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';
import { workloadYaml } from './helpers/workloads.ts';
import { parseQuantity } from '../../src/api/index.ts';

const HOLD = 'kubeling.test/hold';
let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, { input, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('kubectl get pc lists the system classes; unknown classes are refused', async () => {
  const out = await kubectlOk(['get', 'pc']);
  assert.match(out, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY\n/);
  assert.match(out, /\nsystem-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority\n/);
  assert.match(out, /\nsystem-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority\n/);
  const bad = await server.kubectl(['run', 'nope', '--image=busybox:1.35', '--overrides={"spec":{"priorityClassName":"missing"}}']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /pods "nope" is forbidden: no PriorityClass with name missing was found/);
});

test('a high-priority pod preempts a low-priority one on a full node', async () => {
  const nodes = (await client.resource<Node>('nodes').list()).items;
  assert.equal(nodes.length, 1);
  const node = nodes[0]!;
  const nodeName = node.metadata!.name!;
  // What is left of the node's cpu once the pods already there (if any) are counted, split in two.
  const pods = (await client.resource<Pod>('pods').list()).items.filter((p) => p.spec?.nodeName === nodeName);
  const used = pods.flatMap((p) => p.spec!.containers).reduce((m, c) => m + (c.resources?.requests?.cpu ? parseQuantity(c.resources.requests.cpu).milliValue() : 0), 0);
  const half = Math.floor((parseQuantity(node.status!.allocatable!.cpu!).milliValue() - used) / 2);
  assert.ok(half >= 100, `the node has too little cpu left: ${half}m per half`);
  const cpu = { resources: { requests: { cpu: `${half}m` } } };

  await kubectlOk(['apply', '-f', '-'], [
    'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: low}\nvalue: 10\n',
    'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\ndescription: preempts\n',
  ].join('---\n'));
  await kubectlOk(['apply', '-f', '-'], workloadYaml({ name: 'filler', replicas: 2, container: cpu, podSpec: { priorityClassName: 'low', terminationGracePeriodSeconds: 1 } }));
  await kubectlOk(['rollout', 'status', 'deployment/filler', '--timeout=90s']);
  const fillers = (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'app=filler' })).items;
  // The fillers get a finalizer of the test's, so that a victim stays readable (terminating) until the test
  // has seen its DisruptionTarget condition.
  for (const p of fillers) await kubectlOk(['patch', 'pod', p.metadata!.name!, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: [HOLD] } })]);
  assert.deepEqual(fillers.map((p) => p.spec?.priority), [10, 10]);

  const manifest = `apiVersion: v1
kind: Pod
metadata: {name: urgent}
spec:
  priorityClassName: high
  containers:
  - name: c
    image: busybox:1.35
    command: [sh, -c, sleep 3600]
    resources: {requests: {cpu: ${half}m}}
`;
  await kubectlOk(['apply', '-f', '-'], manifest);
  const podsApi = client.resource<Pod>('pods', 'default');
  const nominated = await until(async () => (await podsApi.get('urgent')).status?.nominatedNodeName, 'nominatedNodeName', 60_000);
  assert.equal(nominated, nodeName);
  const urgent = await podsApi.get('urgent');
  assert.equal(urgent.spec?.priority, 1000);

  // Exactly one filler was the victim: its Preempted event names the preemptor's uid and the node.
  const events = client.resource<Event>('events', 'default');
  const preempted = await until(async () => (await events.list()).items.find((e) => e.reason === 'Preempted'), 'Preempted event', 60_000);
  const victim = preempted.involvedObject!.name!;
  assert.ok(fillers.some((p) => p.metadata!.name === victim), `victim ${victim} is a filler`);
  assert.equal(preempted.message, `Preempted by pod ${urgent.metadata!.uid} on node ${nodeName}`);
  const gone = await podsApi.get(victim);
  assert.ok(gone.metadata?.deletionTimestamp, 'the victim is being deleted');
  const target = gone.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  assert.deepEqual([target?.status, target?.reason, target?.message], ['True', 'PreemptionByScheduler', 'default-scheduler: preempting to accommodate a higher priority pod']);
  const wide = await kubectlOk(['get', 'pod', 'urgent', '-o', 'wide', '--no-headers']);
  assert.match(wide, new RegExp(`^urgent\\s+0/1\\s+Pending\\s+.*<none>\\s+${nodeName}\\s`), 'NOMINATED NODE column');
  await kubectlOk(['patch', 'pod', victim, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);

  const running = await until(async () => {
    const p = await podsApi.get('urgent');
    return p.spec?.nodeName && p.status?.phase === 'Running' ? p : undefined;
  }, 'the preemptor running', 90_000);
  assert.equal(running.spec?.nodeName, nodeName);
  await until(async () => (await podsApi.list()).items.every((p) => p.metadata!.name !== victim) || undefined, 'the victim gone', 60_000);

  // The survivor kept running; the Deployment's replacement waits, Pending, without preempting anyone.
  const now = (await podsApi.list({ labelSelector: 'app=filler' })).items;
  const survivor = fillers.find((p) => p.metadata!.name !== victim)!.metadata!.name!;
  assert.ok(now.some((p) => p.metadata!.name === survivor && !p.metadata?.deletionTimestamp), 'the other filler survived');
  const replacement = await until(async () => (await podsApi.list({ labelSelector: 'app=filler' })).items.find((p) => p.metadata!.name !== survivor && !p.metadata?.deletionTimestamp), 'the replacement');
  const cond = await until(async () => (await podsApi.get(replacement.metadata!.name!)).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'), 'replacement unschedulable', 60_000);
  assert.match(cond.message!, /^0\/1 nodes are available: 1 Insufficient cpu\. preemption: 0\/1 nodes are available: 1 No preemption victims found for incoming pod\.$/);

  const got = await kubectlOk(['get', 'pod', 'urgent', '-o', 'wide', '--no-headers']);
  assert.match(got, new RegExp(`^urgent\\s+1/1\\s+Running\\s+.*\\s${nodeName}\\s`));
  // Let the remaining fillers go when the server stops.
  for (const p of (await podsApi.list({ labelSelector: 'app=filler' })).items) await kubectlOk(['patch', 'pod', p.metadata!.name!, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
});
