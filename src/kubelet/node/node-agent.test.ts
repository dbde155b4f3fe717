import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../client/index.ts';
import { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { FakeClock } from '../../machinery/index.ts';
import { NodeAgent } from './node-agent.ts';
import type { NodeFacts, NodeHealth } from './node-status.ts';
import { poll } from '../../machinery/testing/poll.ts';

const gi = 2 ** 30;

function facts(over: Partial<NodeFacts['machine']> = {}): NodeFacts {
  return {
    nodeName: 'node-1',
    nodeIP: '10.0.0.5',
    kubeletPort: 10250,
    podCIDR: '10.42.0.0/24',
    controlPlane: true,
    runtime: { name: 'kubeling-oci', version: '0.1.0' },
    machine: {
      hostname: 'node-1',
      cpus: 2,
      memoryBytes: 4 * gi,
      memoryAvailableBytes: 2 * gi,
      fsCapacityBytes: 100 * gi,
      fsAvailableBytes: 50 * gi,
      machineID: 'm',
      systemUUID: 's',
      bootID: 'b',
      kernelVersion: '6.1.0',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      architecture: 'amd64',
      operatingSystem: 'linux',
      ...over,
    },
  };
}

async function setup(t: { after: (fn: () => Promise<void> | void) => void }) {
  const api = await new FakeApiServer().start();
  t.after(() => api.stop());
  const client = new Client({ server: api.url, token: api.token, caData: api.ca });
  t.after(() => client.close());
  const clock = new FakeClock(Date.parse('2026-11-21T10:00:00Z'));
  let f = facts();
  let health: NodeHealth = { errors: [] };
  const agent = new NodeAgent({ client, clock, facts: async () => f, health: async () => health });
  return { api, agent, clock, setFacts: (x: NodeFacts) => (f = x), setHealth: (h: NodeHealth) => (health = h) };
}

test('registers the Node with labels, capacity, allocatable, addresses, conditions and node info', async (t) => {
  const { api, agent } = await setup(t);
  const ac = new AbortController();
  t.after(() => ac.abort());
  const run = agent.run(ac.signal);
  const node = await agent.registered;
  assert.equal(node.metadata?.name, 'node-1');
  const stored = api.list('nodes')[0]!;
  assert.deepEqual(stored.metadata.labels, {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': 'node-1',
    'kubernetes.io/os': 'linux',
    'node-role.kubernetes.io/control-plane': '',
  });
  assert.equal(stored.spec.podCIDR, '10.42.0.0/24');
  const s = stored.status;
  assert.deepEqual(s.capacity, {
    cpu: '2',
    'ephemeral-storage': `${100 * 1024 * 1024}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${4 * 1024 * 1024}Ki`,
    pods: '110',
  });
  assert.equal(s.allocatable.memory, `${4 * 1024 * 1024 - 100 * 1024}Ki`);
  assert.deepEqual(s.addresses, [
    { type: 'InternalIP', address: '10.0.0.5' },
    { type: 'Hostname', address: 'node-1' },
  ]);
  assert.deepEqual(s.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.equal(s.nodeInfo.kubeletVersion, 'v1.32.0-kubeling');
  assert.equal(s.nodeInfo.containerRuntimeVersion, 'kubeling-oci://0.1.0');
  const ready = s.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.deepEqual(
    { status: ready.status, reason: ready.reason, message: ready.message },
    { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  );
  assert.deepEqual(
    s.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`),
    ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True'],
  );
  ac.abort();
  await run;
});

test('status is written on change at once, unchanged only every report period; lease renews', async (t) => {
  const { api, agent, clock, setHealth, setFacts } = await setup(t);
  const ac = new AbortController();
  t.after(() => ac.abort());
  const run = agent.run(ac.signal);
  await agent.registered;
  const statusWrites = () =>
    api.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/nodes/node-1/status')).length;
  const waitFor = async (cond: () => boolean) => {
    await poll(cond, String(cond), { intervalMs: 5, timeoutMs: 1000 });
  };
  await waitFor(() => api.list('coordination.k8s.io/leases').length === 1);
  const lease = api.list('coordination.k8s.io/leases')[0]!;
  assert.equal(lease.metadata.namespace, 'kube-node-lease');
  assert.equal(lease.spec.holderIdentity, 'node-1');
  assert.equal(lease.spec.leaseDurationSeconds, 40);
  assert.equal(lease.metadata.ownerReferences[0].kind, 'Node');
  const firstRenew = lease.spec.renewTime;

  // Both loops (status, lease) must be asleep before time moves, or a step could pass them by.
  const step = async (ms: number) => {
    await waitFor(() => clock.waiting >= 2);
    await clock.step(ms);
  };
  const before = statusWrites();
  await step(10_000);
  await waitFor(() => api.list('coordination.k8s.io/leases')[0]!.spec.renewTime !== firstRenew);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(statusWrites(), before, 'nothing changed: no write');

  setHealth({ errors: ['PLEG is not healthy: pleg was last seen active 3m0s ago; threshold is 3m0s'] });
  await step(10_000);
  await waitFor(() => statusWrites() === before + 1);
  const ready = api.list('nodes')[0]!.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'KubeletNotReady');
  assert.match(ready.message, /^PLEG is not healthy/);
  assert.equal(ready.lastTransitionTime, '2026-11-21T10:00:20Z');

  setFacts(facts({ memoryAvailableBytes: 10 * 2 ** 20 }));
  await step(10_000);
  await waitFor(() => statusWrites() === before + 2);
  const mem = api.list('nodes')[0]!.status.conditions.find((c: { type: string }) => c.type === 'MemoryPressure');
  assert.equal(mem.reason, 'KubeletHasInsufficientMemory');

  // Five minutes without change: one report to refresh the heartbeat.
  const n = statusWrites();
  for (let i = 0; i < 30; i++) await step(10_000);
  await waitFor(() => statusWrites() === n + 1);
  ac.abort();
  await run;
});

test('conditions the node lifecycle controller set to Unknown are written again at the next status sync', async (t) => {
  const { api, agent, clock } = await setup(t);
  const ac = new AbortController();
  t.after(() => ac.abort());
  const run = agent.run(ac.signal);
  await agent.registered;
  const ready = () => api.list('nodes')[0]!.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  await poll(() => ready()?.status === 'True', 'Ready');
  assert.equal(await agent.syncStatus(), false, 'nothing changed: nothing written');
  // What the controller writes when our lease went stale.
  const stored = api.list('nodes')[0]!;
  api.put('nodes', { ...stored, status: { ...stored.status, conditions: stored.status.conditions.map((c: object) => ({ ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' })) } });
  await clock.step(1000);
  assert.equal(await agent.syncStatus(), true);
  assert.equal(ready().status, 'True');
  assert.equal(ready().lastTransitionTime, new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'), 'a new transition');
  ac.abort();
  await run;
});

test('readyInApi waits for a written status with Ready=True, not for registration', async (t) => {
  const { api, agent, setHealth } = await setup(t);
  setHealth({ errors: ['PLEG is not healthy: pleg has yet to be successful'] });
  const ac = new AbortController();
  t.after(() => ac.abort());
  const run = agent.run(ac.signal);
  await agent.registered;
  let readyNode: unknown;
  void agent.readyInApi.then((n) => (readyNode = n));
  await new Promise((r) => setImmediate(r));
  assert.equal(readyNode, undefined, 'registered NotReady: not ready yet');
  setHealth({ errors: [] });
  assert.equal(await agent.syncStatus(), true);
  const node = await agent.readyInApi;
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  const stored = api.list('nodes')[0]!.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.equal(stored.status, 'True', 'the API holds it');
  ac.abort();
  await run;
});
