import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { StatsProvider } from '../eviction/stats.ts';
import { SummaryProvider } from './summary.ts';

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const pod: IPod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
};

/** Memory figures as the eviction manager's provider would read them. */
const memory: StatsProvider = {
  observe: async () => ({ 'memory.available': { available: 3000, capacity: 10000 } }),
  podStats: async () => new Map([['uid-1', { memoryWorkingSetBytes: 700, ephemeralBytes: 0, processes: 1, containers: [{ name: 'c', memoryWorkingSetBytes: 600 }], volumes: [] }]]),
};

for (const v2 of [false, true]) {
  test(`summary on cgroup ${v2 ? 'v2' : 'v1'}: CPU rates from the second sample, memory working sets`, async () => {
    const cg = fs.mkdtempSync(path.join(os.tmpdir(), 'summary-'));
    const setCpu = (rel: string, ns: number) =>
      v2 ? write(path.join(cg, rel, 'cpu.stat'), `usage_usec ${ns / 1000}\nuser_usec 1\n`) : write(path.join(cg, 'cpuacct', rel, 'cpuacct.usage'), `${ns}\n`);
    if (v2) write(path.join(cg, 'cgroup.controllers'), 'cpu memory\n');
    const podDir = 'kubepods/besteffort/poduid-1';
    setCpu('', 100e9);
    setCpu(podDir, 2e9);
    setCpu(`${podDir}/ctr-1`, 1e9);
    let now = Date.parse('2026-01-01T00:00:00Z');
    const provider = new SummaryProvider({
      nodeName: 'n1', stats: memory, pods: () => [pod], containerIds: () => new Map([['c', 'ctr-1']]), now: () => new Date(now), cgroupRoot: cg,
    });
    const first = await provider.get();
    assert.equal(first.node.cpu?.usageNanoCores, undefined);
    assert.equal(first.node.cpu?.usageCoreNanoSeconds, 100e9);
    assert.deepEqual(first.node.memory, { time: '2026-01-01T00:00:00Z', availableBytes: 3000, workingSetBytes: 7000 });
    // 10 s later: the node used 4 s of CPU (400m), the pod 1 s (100m), its container 0.5 s (50m).
    now += 10_000;
    setCpu('', 104e9);
    setCpu(podDir, 3e9);
    setCpu(`${podDir}/ctr-1`, 1.5e9);
    const s = await provider.get();
    assert.equal(s.node.nodeName, 'n1');
    assert.equal(s.node.cpu?.usageNanoCores, 400_000_000);
    assert.equal(s.node.cpu?.time, '2026-01-01T00:00:10Z');
    assert.equal(s.pods.length, 1);
    const p = s.pods[0]!;
    assert.deepEqual(p.podRef, { name: 'p', namespace: 'default', uid: 'uid-1' });
    assert.equal(p.cpu?.usageNanoCores, 100_000_000);
    assert.equal(p.memory?.workingSetBytes, 700);
    assert.equal(p.containers[0]!.name, 'c');
    assert.equal(p.containers[0]!.cpu?.usageNanoCores, 50_000_000);
    assert.equal(p.containers[0]!.memory?.workingSetBytes, 600);
    fs.rmSync(cg, { recursive: true, force: true });
  });
}

test('a pod without a cgroup is left out', async () => {
  const cg = fs.mkdtempSync(path.join(os.tmpdir(), 'summary-'));
  const provider = new SummaryProvider({
    nodeName: 'n1', stats: memory, pods: () => [pod], containerIds: () => new Map(), now: () => new Date(), cgroupRoot: cg, procRoot: path.join(cg, 'proc'),
  });
  assert.deepEqual((await provider.get()).pods, []);
  fs.rmSync(cg, { recursive: true, force: true });
});

test('network of a pod from its sandbox (eth0 inline) and of the node without ignored devices; none for host network', async () => {
  const cg = fs.mkdtempSync(path.join(os.tmpdir(), 'summary-'));
  write(path.join(cg, 'cpuacct/kubepods/besteffort/poduid-1/cpuacct.usage'), '1\n');
  write(path.join(cg, 'cpuacct/kubepods/besteffort/poduid-1/ctr-1/cpuacct.usage'), '1\n');
  write(
    path.join(cg, 'proc/net/dev'),
    `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0
  ens3: 9000000    7000    1    0    0     0          0         0  4000000    3000    2    0    0     0       0          0
vethab12:   100       1    0    0    0     0          0         0      200       2    0    0    0     0       0          0
`,
  );
  const asked: string[] = [];
  const config = {
    nodeName: 'n1', stats: memory, containerIds: () => new Map([['c', 'ctr-1']]), now: () => new Date('2026-01-01T00:00:00Z'), cgroupRoot: cg, procRoot: path.join(cg, 'proc'),
    podNetwork: async (uid: string) => {
      asked.push(uid);
      return [{ name: 'eth0', rxBytes: 1234, rxErrors: 0, txBytes: 567, txErrors: 1 }];
    },
  };
  const s = await new SummaryProvider({ ...config, pods: () => [pod] }).get();
  assert.deepEqual(s.node.network, {
    time: '2026-01-01T00:00:00Z',
    interfaces: [{ name: 'ens3', rxBytes: 9000000, rxErrors: 1, txBytes: 4000000, txErrors: 2 }],
  });
  assert.deepEqual(s.pods[0]!.network, {
    time: '2026-01-01T00:00:00Z', name: 'eth0', rxBytes: 1234, rxErrors: 0, txBytes: 567, txErrors: 1,
    interfaces: [{ name: 'eth0', rxBytes: 1234, rxErrors: 0, txBytes: 567, txErrors: 1 }],
  });
  const hostNet: IPod = { ...pod, spec: { ...pod.spec!, hostNetwork: true } };
  const h = await new SummaryProvider({ ...config, pods: () => [hostNet] }).get();
  assert.equal(h.pods[0]!.network, undefined);
  assert.deepEqual(asked, ['uid-1']);
  fs.rmSync(cg, { recursive: true, force: true });
});

test('filesystems: rootfs from the writable layer (measured once per cache period), logs, volumes, ephemeral-storage, node fs and imageFs', async () => {
  const cg = fs.mkdtempSync(path.join(os.tmpdir(), 'summary-'));
  write(path.join(cg, 'cpuacct/kubepods/besteffort/poduid-1/cpuacct.usage'), '1\n');
  const withVolumes: IPod = {
    ...pod,
    spec: { ...pod.spec!, volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'ram', emptyDir: { medium: 'Memory' } }] },
  };
  const disk: StatsProvider = {
    observe: async () => ({
      'memory.available': { available: 3000, capacity: 10000 },
      'nodefs.available': { available: 400_000, capacity: 1_000_000 },
      'nodefs.inodesFree': { available: 90, capacity: 100 },
      'imagefs.available': { available: 400_000, capacity: 1_000_000 },
    }),
    podStats: async () =>
      new Map([['uid-1', {
        memoryWorkingSetBytes: 700, ephemeralBytes: 3000 + 1000, processes: 1,
        containers: [{ name: 'c', memoryWorkingSetBytes: 600, logsBytes: 1000 }],
        volumes: [{ name: 'scratch', usedBytes: 3000 }, { name: 'ram', usedBytes: 50 }],
      }]]),
  };
  let now = Date.parse('2026-01-01T00:00:00Z');
  let layerBytes = 8192;
  let measured = 0;
  const provider = new SummaryProvider({
    nodeName: 'n1', stats: disk, pods: () => [withVolumes], containerIds: () => new Map([['c', 'ctr-1']]), now: () => new Date(now), cgroupRoot: cg, procRoot: path.join(cg, 'proc'),
    writableLayer: async (id) => {
      assert.equal(id, 'ctr-1');
      measured++;
      return { mountpoint: cg, usedBytes: layerBytes, inodesUsed: 3 };
    },
    imageFs: async () => ({ usedBytes: 5000, capacityBytes: 1_000_000, availableBytes: 400_000 }),
  });
  const s = await provider.get();
  const time = '2026-01-01T00:00:00Z';
  const nodefs = { time, availableBytes: 400_000, capacityBytes: 1_000_000, inodesFree: 90, inodes: 100 };
  assert.deepEqual(s.node.fs, { ...nodefs, usedBytes: 600_000 });
  assert.deepEqual(s.node.runtime, { imageFs: { time, availableBytes: 400_000, capacityBytes: 1_000_000, usedBytes: 5000 } });
  const c = s.pods[0]!.containers[0]!;
  assert.equal(c.rootfs?.usedBytes, 8192);
  assert.equal(c.rootfs?.inodesUsed, 3);
  assert.ok(c.rootfs!.capacityBytes! > 0, 'capacity of the filesystem holding the layer');
  assert.deepEqual(c.logs, { ...nodefs, usedBytes: 1000 });
  assert.deepEqual(s.pods[0]!.volume, [{ ...nodefs, usedBytes: 3000, name: 'scratch' }, { time, usedBytes: 50, name: 'ram' }]);
  // The disk emptyDir, the logs and the writable layer.
  assert.deepEqual(s.pods[0]!['ephemeral-storage'], { ...nodefs, usedBytes: 3000 + 1000 + 8192 });
  // Within the cache period the layer is not walked again; after it, it is.
  layerBytes = 16384;
  now += 5_000;
  assert.equal((await provider.get()).pods[0]!.containers[0]!.rootfs?.usedBytes, 8192);
  now += 5_000;
  assert.equal((await provider.get()).pods[0]!.containers[0]!.rootfs?.usedBytes, 16384);
  assert.equal(measured, 2);
  fs.rmSync(cg, { recursive: true, force: true });
});
