import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { FakeClock } from '../../machinery/index.ts';
import { nodeConditions, nodeStatus, type NodeFacts } from '../node/index.ts';
import {
  EvictionManager,
  evictionMessage,
  localStorageViolation,
  parseThresholds,
  rankPods,
  type Eviction,
  type Observations,
  type PodStats,
  type StatsProvider,
} from './index.ts';

const Mi = 1024 * 1024;

function pod(name: string, opts: { request?: string; limit?: string; priority?: number; emptyDirLimit?: string } = {}): IPod {
  const resources = {
    ...(opts.request ? { requests: { memory: opts.request } } : {}),
    ...(opts.limit ? { limits: { memory: opts.limit } } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      containers: [{ name: 'c', image: 'busybox', resources }],
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      ...(opts.emptyDirLimit ? { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: opts.emptyDirLimit } }] } : {}),
    },
  };
}

const usage = (memory: number, extra: Partial<PodStats> = {}): PodStats => ({
  memoryWorkingSetBytes: memory,
  ephemeralBytes: 0,
  processes: 1,
  containers: [{ name: 'c', memoryWorkingSetBytes: memory }],
  volumes: [],
  ...extra,
});

class FakeStats implements StatsProvider {
  obs: Observations = {};
  pods = new Map<string, PodStats>();
  async observe() {
    return this.obs;
  }
  async podStats() {
    return this.pods;
  }
}

describe('eviction thresholds', () => {
  it('defaults to upstream hard thresholds; percentages are of the capacity', () => {
    const ts = parseThresholds({});
    assert.deepEqual(
      ts.map((t) => `${t.signal}<${t.value.text}`),
      ['memory.available<100Mi', 'nodefs.available<10%', 'nodefs.inodesFree<5%', 'imagefs.available<15%', 'imagefs.inodesFree<5%'],
    );
    assert.ok(ts.every((t) => t.hard && t.gracePeriodMs === 0));
  });

  it('parses hard, soft with grace periods and minimum reclaim; a given --eviction-hard replaces the defaults', () => {
    const ts = parseThresholds({
      evictionHard: 'memory.available<1Gi',
      evictionSoft: 'memory.available<2Gi,pid.available<10%',
      evictionSoftGracePeriod: 'memory.available=1m30s,pid.available=10s',
      evictionMinimumReclaim: 'memory.available=500Mi',
    });
    assert.equal(ts.length, 3);
    assert.deepEqual(ts[0], { signal: 'memory.available', value: { quantity: 1024 * Mi, text: '1Gi' }, gracePeriodMs: 0, hard: true, minReclaim: { quantity: 500 * Mi, text: '500Mi' } });
    assert.equal(ts[1]!.gracePeriodMs, 90_000);
    assert.deepEqual(ts[2]!.value, { percentage: 0.1, text: '10%' });
  });

  it('refuses soft thresholds without a grace period, unknown signals, bad percentages', () => {
    assert.throws(() => parseThresholds({ evictionSoft: 'memory.available<1Gi' }), /grace period must be specified/);
    assert.throws(() => parseThresholds({ evictionHard: 'cpu.available<1' }), /unsupported eviction signal cpu.available/);
    assert.throws(() => parseThresholds({ evictionHard: 'nodefs.available<120%' }), /must be >= 0% and <= 100%/);
    assert.throws(() => parseThresholds({ evictionHard: 'memory.available>1Gi' }), /want SIGNAL<VALUE/);
  });
});

describe('ranking and messages', () => {
  it('rankMemoryPressure: over requests first, then lower priority, then usage over requests', () => {
    const be = pod('besteffort');
    const burstableUnder = pod('burstable-under', { request: '100Mi' });
    const burstableOver = pod('burstable-over', { request: '10Mi' });
    const highPriority = pod('high', { priority: 1000 });
    const stats = new Map([
      ['uid-besteffort', usage(30 * Mi)],
      ['uid-burstable-under', usage(90 * Mi)],
      ['uid-burstable-over', usage(60 * Mi)],
      ['uid-high', usage(500 * Mi)],
    ]);
    const order = rankPods([burstableUnder, highPriority, be, burstableOver], 'memory', (p) => stats.get(p.metadata!.uid!));
    assert.deepEqual(order.map((p) => p.metadata?.name), ['burstable-over', 'besteffort', 'high', 'burstable-under']);
  });

  it("builds upstream's message, naming containers over their request", () => {
    const p = pod('p', { request: '10Mi' });
    assert.equal(
      evictionMessage(p, 'memory', { quantity: 100 * Mi, available: 80 * Mi }, usage(50 * Mi)),
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container c was using 50Mi, request is 10Mi, has larger consumption of memory. ',
    );
    assert.equal(
      evictionMessage(pod('q'), 'memory', { quantity: 100 * Mi, available: 80 * Mi }, usage(50 * Mi)),
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container c was using 50Mi, request is 0, has larger consumption of memory. ',
    );
  });

  it('emptyDir over its sizeLimit and pod ephemeral-storage over its limits', () => {
    const p = pod('p', { emptyDirLimit: '1Mi' });
    assert.equal(localStorageViolation(p, usage(0, { volumes: [{ name: 'scratch', usedBytes: 4 * Mi }] })), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    assert.equal(localStorageViolation(p, usage(0, { volumes: [{ name: 'scratch', usedBytes: Mi / 2 }] })), undefined);
    const q: IPod = { ...pod('q'), spec: { containers: [{ name: 'c', image: 'b', resources: { limits: { 'ephemeral-storage': '1Mi' } } }] } };
    assert.equal(localStorageViolation(q, usage(0, { ephemeralBytes: 3 * Mi })), 'Pod ephemeral local storage usage exceeds the total limit of containers 1Mi. ');
  });
});

describe('EvictionManager', () => {
  function setup(flags: Parameters<typeof parseThresholds>[0], pods: IPod[], reclaimDisk?: () => Promise<void>) {
    const clock = new FakeClock();
    const stats = new FakeStats();
    const evicted: Eviction[] = [];
    let conditionChanges = 0;
    const active = new Set(pods);
    const m = new EvictionManager({
      thresholds: parseThresholds(flags),
      stats,
      clock,
      activePods: () => [...active],
      evictPod: async (e) => {
        evicted.push(e);
        active.delete(e.pod);
        return true;
      },
      onConditionsChanged: () => conditionChanges++,
      pressureTransitionPeriodMs: 60_000,
      ...(reclaimDisk ? { reclaimDisk } : {}),
    });
    return { clock, stats, evicted, m, changes: () => conditionChanges };
  }
  const mem = (available: number) => ({ 'memory.available': { available, capacity: 4096 * Mi } });

  it('evicts one pod per round in QoS order under a hard memory threshold, with MemoryPressure and admission', async () => {
    const be = pod('be');
    const burstable = pod('burstable', { request: '20Mi' });
    const { stats, evicted, m, changes } = setup({ evictionHard: 'memory.available<500Mi' }, [burstable, be]);
    stats.pods.set('uid-be', usage(40 * Mi));
    stats.pods.set('uid-burstable', usage(200 * Mi));
    stats.obs = mem(600 * Mi);
    assert.equal(await m.synchronize(), undefined);
    assert.deepEqual(m.conditions(), []);
    stats.obs = mem(400 * Mi);
    assert.equal((await m.synchronize())?.metadata?.name, 'burstable'); // both exceed requests; 180Mi over beats 40Mi
    assert.deepEqual(m.conditions(), ['MemoryPressure']);
    assert.equal(changes(), 1);
    assert.equal(evicted[0]!.gracePeriodSeconds, 1);
    assert.equal(
      evicted[0]!.message,
      'The node was low on resource: memory. Threshold quantity: 500Mi, available: 400Mi. Container c was using 200Mi, request is 20Mi, has larger consumption of memory. ',
    );
    assert.deepEqual(m.admit(pod('new-be')), { admit: false, reason: 'Evicted', message: 'The node had condition: [MemoryPressure]. ' });
    assert.deepEqual(m.admit(pod('new-burstable', { request: '1Mi' })), { admit: true });
    assert.equal((await m.synchronize())?.metadata?.name, 'be');
  });

  it('a soft threshold evicts only after its grace period; conditions last the transition period', async () => {
    const be = pod('be');
    const { clock, stats, evicted, m } = setup(
      { evictionHard: '', evictionSoft: 'memory.available<500Mi', evictionSoftGracePeriod: 'memory.available=30s' },
      [be],
    );
    stats.pods.set('uid-be', usage(40 * Mi));
    stats.obs = mem(400 * Mi);
    assert.equal(await m.synchronize(), undefined);
    assert.deepEqual(m.conditions(), ['MemoryPressure']);
    await clock.step(20_000);
    assert.equal(await m.synchronize(), undefined);
    await clock.step(10_000);
    assert.equal((await m.synchronize())?.metadata?.name, 'be');
    assert.equal(evicted[0]!.gracePeriodSeconds, 30);
    stats.obs = mem(1000 * Mi);
    await clock.step(30_000);
    await m.synchronize();
    assert.deepEqual(m.conditions(), ['MemoryPressure'], 'kept within the transition period');
    await clock.step(31_000);
    await m.synchronize();
    assert.deepEqual(m.conditions(), []);
  });

  it('pid.available below its threshold is PIDPressure, written with upstream reason; pods are refused', async () => {
    const { stats, m } = setup({ evictionHard: 'pid.available<10%' }, []);
    stats.obs = { 'pid.available': { available: 1000, capacity: 32768 } };
    await m.synchronize();
    assert.deepEqual(m.conditions(), ['PIDPressure']);
    assert.deepEqual(m.admit(pod('any', { request: '1Mi' })), { admit: false, reason: 'Evicted', message: 'The node had condition: [PIDPressure]. ' });
    const facts = { nodeName: 'n', nodeIP: '127.0.0.1', kubeletPort: 1, podCIDR: '10.0.0.0/24', controlPlane: false, runtime: { name: 'fake', version: '1' }, pressure: m.conditions() };
    const machine = { memoryAvailableBytes: 1, memoryBytes: 2, fsAvailableBytes: 0, fsCapacityBytes: 10 } as unknown as NodeFacts['machine'];
    const conds = nodeConditions({ ...facts, machine }, { errors: [] }, undefined, '2026-01-01T00:00:00Z');
    const byType = Object.fromEntries(conds.map((c) => [c.type, `${c.status}/${c.reason}`]));
    assert.deepEqual(byType, {
      MemoryPressure: 'False/KubeletHasSufficientMemory',
      DiskPressure: 'False/KubeletHasNoDiskPressure',
      PIDPressure: 'True/KubeletHasInsufficientPID',
      Ready: 'True/KubeletReady',
    });
    // Allocatable is capacity minus the hard thresholds given (here 1Gi of memory, 20% of the disk).
    const machine2 = { ...(machine as object), memoryBytes: 4096 * Mi, fsCapacityBytes: 1000 * Mi, cpus: 1 } as unknown as NodeFacts['machine'];
    const hardEviction = { memoryBytes: () => 1024 * Mi, nodefsBytes: (cap: number) => cap * 0.2 };
    const status = nodeStatus({ ...facts, machine: machine2, hardEviction }, conds, []);
    assert.equal(status.allocatable?.memory, `${3072 * 1024}Ki`);
    assert.equal(status.allocatable?.['ephemeral-storage'], String(800 * Mi));
  });

  it('under disk pressure unused images go first; pods only when that was not enough, ranked by local storage', async () => {
    const small = pod('small');
    const big = pod('big');
    let reclaimed = 0;
    let freed = 0;
    const { stats, evicted, m } = setup({ evictionHard: 'nodefs.available<10%' }, [small, big], async () => {
      reclaimed++;
      stats.obs = { 'nodefs.available': { available: 5 * Mi + freed, capacity: 100 * Mi } };
    });
    stats.pods.set('uid-small', usage(0, { ephemeralBytes: 1 * Mi }));
    stats.pods.set('uid-big', usage(0, { ephemeralBytes: 30 * Mi }));
    freed = 20 * Mi; // the images free enough
    stats.obs = { 'nodefs.available': { available: 5 * Mi, capacity: 100 * Mi } };
    assert.equal(await m.synchronize(), undefined);
    assert.equal(reclaimed, 1);
    assert.deepEqual(m.conditions(), ['DiskPressure']);
    freed = 0; // nothing left to free
    stats.obs = { 'nodefs.available': { available: 5 * Mi, capacity: 100 * Mi } };
    assert.equal((await m.synchronize())?.metadata?.name, 'big');
    assert.equal(reclaimed, 2);
    assert.match(evicted[0]!.message, /^The node was low on resource: ephemeral-storage\. Threshold quantity: 10Mi, available: 5Mi\. /);
  });

  it('a met threshold stays met until the minimum reclaim is back', async () => {
    const { stats, m } = setup({ evictionHard: 'memory.available<500Mi', evictionMinimumReclaim: 'memory.available=100Mi' }, []);
    stats.obs = mem(400 * Mi);
    await m.synchronize();
    stats.obs = mem(550 * Mi);
    await m.synchronize();
    assert.deepEqual(m.conditions(), ['MemoryPressure']);
    assert.ok(m.observations['memory.available']);
  });

  it('evicts a pod whose emptyDir is over its sizeLimit without any node pressure; never critical or static pods', async () => {
    const p = pod('scratch', { emptyDirLimit: '1Mi' });
    const critical = pod('critical', { priority: 2_000_000_000 });
    const staticPod = pod('static');
    staticPod.metadata!.annotations = { 'kubernetes.io/config.source': 'file' };
    const { stats, evicted, m } = setup({ evictionHard: 'memory.available<500Mi' }, [p, critical, staticPod]);
    stats.obs = mem(1000 * Mi);
    stats.pods.set('uid-scratch', usage(1 * Mi, { volumes: [{ name: 'scratch', usedBytes: 4 * Mi }] }));
    assert.equal((await m.synchronize())?.metadata?.name, 'scratch');
    assert.equal(evicted[0]!.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    stats.obs = mem(100 * Mi);
    stats.pods.set('uid-critical', usage(900 * Mi));
    stats.pods.set('uid-static', usage(900 * Mi));
    assert.equal(await m.synchronize(), undefined);
    assert.equal(evicted.length, 1);
  });
});
