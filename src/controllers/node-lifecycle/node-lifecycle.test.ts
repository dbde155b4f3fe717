import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { FakeClock } from '../../machinery/index.ts';
import { NodeLifecycleController, type NodeLifecycleControllerConfig } from './node-lifecycle.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const LEASES = 'coordination.k8s.io/leases';

function putNode(name: string, ready: 'True' | 'False', at: number, zone = 'z1'): void {
  server.put('nodes', {
    metadata: { name, labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': zone } },
    spec: {},
    status: { conditions: ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, status: type === 'Ready' ? ready : 'False', lastHeartbeatTime: iso(at), lastTransitionTime: iso(at) })) },
  });
}
const renew = (name: string, at: number) => server.put(LEASES, { metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date(at).toISOString() } });
const node = (name: string) => server.list('nodes').find((n) => n.metadata.name === name)!;
const taints = (name: string) => ((node(name).spec?.taints ?? []) as { key: string; effect: string }[]).map((t) => `${t.key}:${t.effect}`).sort();
const readyOf = (name: string) => node(name).status.conditions.find((c: { type: string }) => c.type === 'Ready');

async function start(config: Partial<NodeLifecycleControllerConfig>, clock: FakeClock) {
  const c = new NodeLifecycleController({ client, clock, ...config });
  const ac = new AbortController();
  // The informers and the NoSchedule reconcile run; the monitor and tainting passes are driven by the test.
  const running = c.controller.run(ac.signal);
  await Promise.all([c.nodes.synced, c.leases.synced, c.pods.synced]);
  return { c, stop: async () => (ac.abort(), await running) };
}

/** Waits until the controller's caches hold what the server holds for these nodes. */
async function cached(c: NodeLifecycleController, names: string[]): Promise<void> {
  await until(() => names.every((n) => c.nodes.get(n)?.metadata?.resourceVersion === node(n).metadata.resourceVersion), 'node cache');
}

test('a silent node turns Unknown, gets both unreachable taints, its pods turn not Ready; back again it loses the taints', async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  for (const n of ['s1', 's2']) {
    putNode(n, 'True', t0);
    renew(n, t0);
  }
  server.put('pods', { metadata: { name: 'on-s2', namespace: 'default' }, spec: { nodeName: 's2', containers: [] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }] } });
  const { c, stop } = await start({}, clock);
  try {
    await c.monitorNodeHealth();
    for (let t = 10_000; t <= 40_000; t += 10_000) {
      await clock.step(10_000);
      renew('s1', t0 + t);
      await until(() => c.leases.get('kube-node-lease/s1')?.spec?.renewTime === new Date(t0 + t).toISOString(), 'lease cached');
      await c.monitorNodeHealth();
    }
    assert.equal(readyOf('s2').status, 'True', 'still within the 40 s grace');
    await clock.step(1000);
    await c.monitorNodeHealth();
    assert.deepEqual([readyOf('s2').status, readyOf('s2').reason, readyOf('s2').message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    assert.equal(readyOf('s1').status, 'True', 'the node that renews its lease stays Ready');
    const pod = server.list('pods').find((p) => p.metadata.name === 'on-s2')!;
    assert.equal(pod.status.conditions.find((x: { type: string }) => x.type === 'Ready').status, 'False');
    assert.equal(pod.status.conditions.find((x: { type: string }) => x.type === 'ContainersReady').status, 'True', 'only Ready changes');
    await until(() => taints('s2').includes('node.kubernetes.io/unreachable:NoSchedule'), 'NoSchedule taint');
    await cached(c, ['s2']);
    await c.doNoExecuteTaintingPass();
    assert.deepEqual(taints('s2'), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.ok(server.list('events').some((e) => e.reason === 'NodeNotReady' && e.message === 'Node s2 status is now: NodeNotReady'));
    assert.ok(server.list('events').some((e) => e.reason === 'NodeNotReady' && e.message === 'Node is not ready' && e.involvedObject.name === 'on-s2'));

    // The kubelet comes back: Ready with a new heartbeat, and the taints go.
    await clock.step(5000);
    putNode('s2', 'True', clock.now());
    await cached(c, ['s2']);
    await c.monitorNodeHealth();
    await until(() => taints('s2').length === 0, 'taints removed');
  } finally {
    await stop();
  }
});

test('a node reporting NotReady gets the not-ready taints', async () => {
  const clock = new FakeClock();
  putNode('nr1', 'False', clock.now(), 'nr');
  renew('nr1', clock.now());
  for (const n of ['nr2', 'nr3']) {
    putNode(n, 'True', clock.now(), 'nr');
    renew(n, clock.now());
  }
  const { c, stop } = await start({}, clock);
  try {
    await c.monitorNodeHealth();
    await c.doNoExecuteTaintingPass();
    await until(() => taints('nr1').length === 2, 'both not-ready taints');
    assert.deepEqual(taints('nr1'), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    assert.deepEqual(taints('nr2'), []);
  } finally {
    await stop();
  }
});

/** Five nodes in one zone; four go silent at once. Returns how many carry the NoExecute taint over time. */
async function fourOfFive(prefix: string, config: Partial<NodeLifecycleControllerConfig>): Promise<{ c: NodeLifecycleController; counts: number[]; zone: string }> {
  const clock = new FakeClock();
  const t0 = clock.now();
  const names = [1, 2, 3, 4, 5].map((i) => `${prefix}${i}`);
  for (const n of names) {
    putNode(n, 'True', t0, prefix);
    renew(n, t0);
  }
  const { c, stop } = await start(config, clock);
  const noExecute = () => names.filter((n) => taints(n).includes('node.kubernetes.io/unreachable:NoExecute')).length;
  const counts: number[] = [];
  try {
    await c.monitorNodeHealth();
    await clock.step(41_000);
    renew(names[0]!, clock.now());
    await until(() => c.leases.get(`kube-node-lease/${names[0]}`)?.spec?.renewTime === new Date(clock.now()).toISOString(), 'lease cached');
    await c.monitorNodeHealth();
    await cached(c, names);
    // One tainting pass per 10 s over 200 s (the primary rate would taint one node per 10 s).
    for (let i = 0; i < 20; i++) {
      await c.doNoExecuteTaintingPass();
      await cached(c, names);
      counts.push(noExecute());
      await clock.step(10_000);
    }
    return { c, counts, zone: `r:\x00:${prefix}` };
  } finally {
    await stop();
  }
}

test('4 of 5 nodes unreachable: a small zone stops tainting; past --large-cluster-size-threshold it slows to the secondary rate', async () => {
  const small = await fourOfFive('sm', {});
  assert.equal(small.c.zoneState(small.zone), 'PartialDisruption');
  assert.equal(small.c.zoneRate(small.zone), 0);
  assert.deepEqual(small.counts, Array(20).fill(0), 'nobody tainted NoExecute');

  const large = await fourOfFive('lg', { largeClusterSizeThreshold: 4 });
  assert.equal(large.c.zoneState(large.zone), 'PartialDisruption');
  assert.equal(large.c.zoneRate(large.zone), 0.01);
  // 0.01 nodes/s: one at once (burst 1), the next 100 s later, not four within 40 s.
  assert.deepEqual(large.counts, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);

  const normal = await fourOfFive('nm', { unhealthyZoneThreshold: 0.9 });
  assert.equal(normal.c.zoneState(normal.zone), 'Normal');
  assert.deepEqual(normal.counts.slice(0, 5), [1, 2, 3, 4, 4], 'a healthy zone taints one node per 10 s');
});

test('every zone fully disrupted: the controller taints nobody (master disruption mode)', async () => {
  const clock = new FakeClock();
  for (const [n, z] of [['fd1', 'fa'], ['fd2', 'fb']]) {
    putNode(n!, 'True', clock.now(), z);
    renew(n!, clock.now());
  }
  const { c, stop } = await start({}, clock);
  try {
    await c.monitorNodeHealth();
    await clock.step(41_000);
    await c.monitorNodeHealth();
    await cached(c, ['fd1', 'fd2']);
    await c.doNoExecuteTaintingPass();
    assert.equal(c.zoneState('r:\x00:fa'), 'FullDisruption');
    assert.equal(c.zoneRate('r:\x00:fa'), 0);
    assert.deepEqual([taints('fd1').filter((t) => t.endsWith('NoExecute')), taints('fd2').filter((t) => t.endsWith('NoExecute'))], [[], []]);
  } finally {
    await stop();
  }
});

test('a node that turns Ready loses its NoExecute taints at once, without waiting for a monitor pass', async () => {
  const clock = new FakeClock();
  server.put('nodes', {
    metadata: { name: 'rr1' },
    spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: iso(clock.now()) }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, { key: 'own', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: iso(clock.now()), lastTransitionTime: iso(clock.now()) }] },
  });
  const { stop } = await start({}, clock);
  try {
    await until(() => taints('rr1').join() === 'own:NoSchedule', 'only its own taint left');
  } finally {
    await stop();
  }
});
