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
