/**
 * A PodDisruptionBudget end to end on `kubeling server --runtime fake` with two fake agents, driven by the
 * real kubectl: the disruption controller reports the budget (`get pdb`: ALLOWED DISRUPTIONS 1 for three
 * ready pods and minAvailable 2); `kubectl drain` of the node holding all three pods evicts them through
 * the eviction API, which refuses (429, upstream's message) while an eviction would leave fewer than two
 * ready, and drain completes once replacements are Ready on the other node. Two ready pods at every poll.
 * The same for a StatefulSet's pods under `maxUnavailable: 1`: the budget's expectedPods come from the
 * StatefulSet's replicas, and its pods come back under the same names on the other node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import { startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import { until } from './helpers/until.ts';

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox:1.35
        command: ["sleep", "3600"]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: web}
`;

async function joinAgent(server: ServerHandle, name: string): Promise<AgentHandle> {
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agent = startAgent(server, { runtime: 'fake', args: ['--token', token, '--node-name', name], label: name });
  await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) => assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`));
  return agent;
}

test('kubectl drain evicts a node\'s pods while the PodDisruptionBudget keeps minAvailable pods ready', async (t) => {
  const server = await startServer({ runtime: 'fake', noAgent: true });
  t.after(() => server.stop());
  const a = `pdb-a-${process.pid}`;
  const b = `pdb-b-${process.pid}`;
  const agentA = await joinAgent(server, a);
  t.after(() => agentA.stop());
  const agentB = await joinAgent(server, b);
  t.after(() => agentB.stop());
  const client = await Client.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());

  // All three pods on B: A is cordoned while they are placed.
  assert.equal((await server.kubectl(['cordon', a])).code, 0);
  const applied = await server.kubectl(['apply', '-f', '-'], { input: MANIFEST });
  assert.equal(applied.code, 0, applied.stderr);
  const pods = client.resource<Pod>('pods', 'default');
  const readyPods = async () => (await pods.list({ labelSelector: 'app=web' })).items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  await until(async () => {
    const r = await readyPods();
    return r.length === 3 && r.every((p) => p.spec?.nodeName === b) ? r : undefined;
  }, 'three ready pods on B', 60_000);
  await until(async () => {
    const r = await server.kubectl(['get', 'pdb', 'web', '--no-headers']);
    return /^web\s+2\s+N\/A\s+1\s+/.test(r.stdout) ? r : undefined;
  }, 'get pdb: 1 allowed disruption', 60_000);
  assert.equal((await server.kubectl(['uncordon', a])).code, 0);

  // Watch the ready count while the drain runs.
  let minReady = 3;
  let draining = true;
  const watcher = (async () => {
    while (draining) minReady = Math.min(minReady, (await readyPods()).length);
  })();
  const drain = await server.kubectl(['drain', b, '--ignore-daemonsets', '--timeout', '120s'], { timeoutMs: 150_000 });
  draining = false;
  await watcher;
  assert.equal(drain.code, 0, `${drain.stdout}\n${drain.stderr}`);
  assert.match(drain.stderr, /Cannot evict pod as it would violate the pod's disruption budget\./);
  assert.match(drain.stdout, /node\/pdb-b-\d+ drained/);
  assert.ok(minReady >= 2, `only ${minReady} ready pods at one point`);
  const after = await until(async () => {
    const r = await readyPods();
    return r.length === 3 && r.every((p) => p.spec?.nodeName === a) ? r : undefined;
  }, 'three ready pods on A', 60_000);
  assert.equal(after.length, 3);
});

const STATEFUL = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 3
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: c
        image: busybox:1.35
        command: ["sleep", "3600"]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: db
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: db}
`;

test('kubectl drain of a StatefulSet\'s node keeps all but maxUnavailable of its replicas ready', async (t) => {
  const server = await startServer({ runtime: 'fake', noAgent: true });
  t.after(() => server.stop());
  const a = `pdb-c-${process.pid}`;
  const b = `pdb-d-${process.pid}`;
  const agentA = await joinAgent(server, a);
  t.after(() => agentA.stop());
  const agentB = await joinAgent(server, b);
  t.after(() => agentB.stop());
  const client = await Client.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());

  assert.equal((await server.kubectl(['cordon', a])).code, 0);
  const applied = await server.kubectl(['apply', '-f', '-'], { input: STATEFUL });
  assert.equal(applied.code, 0, applied.stderr);
  const pods = client.resource<Pod>('pods', 'default');
  const readyPods = async () => (await pods.list({ labelSelector: 'app=db' })).items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  await until(async () => {
    const r = await readyPods();
    return r.length === 3 && r.every((p) => p.spec?.nodeName === b) ? r : undefined;
  }, 'three ready StatefulSet pods on B', 90_000);
  // maxUnavailable 1 of the StatefulSet's 3 replicas: MIN AVAILABLE N/A, MAX UNAVAILABLE 1, ALLOWED DISRUPTIONS 1.
  await until(async () => {
    const r = await server.kubectl(['get', 'pdb', 'db', '--no-headers']);
    return /^db\s+N\/A\s+1\s+1\s+/.test(r.stdout) ? r : undefined;
  }, 'get pdb: 1 allowed disruption', 60_000);
  const status = (await server.kubectl(['get', 'pdb', 'db', '-o', 'jsonpath={.status.expectedPods} {.status.desiredHealthy}'])).stdout;
  assert.equal(status, '3 2');
  assert.equal((await server.kubectl(['uncordon', a])).code, 0);

  let minReady = 3;
  let draining = true;
  const watcher = (async () => {
    while (draining) minReady = Math.min(minReady, (await readyPods()).length);
  })();
  const drain = await server.kubectl(['drain', b, '--ignore-daemonsets', '--timeout', '180s'], { timeoutMs: 210_000 });
  draining = false;
  await watcher;
  assert.equal(drain.code, 0, `${drain.stdout}\n${drain.stderr}`);
  assert.match(drain.stdout, /node\/pdb-d-\d+ drained/);
  assert.ok(minReady >= 2, `only ${minReady} ready pods at one point`);
  const after = await until(async () => {
    const r = await readyPods();
    return r.length === 3 && r.every((p) => p.spec?.nodeName === a) ? r : undefined;
  }, 'three ready StatefulSet pods on A', 90_000);
  assert.deepEqual(after.map((p) => p.metadata?.name).sort(), ['db-0', 'db-1', 'db-2']);
});
