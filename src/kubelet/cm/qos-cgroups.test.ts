import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { CgroupFs, QOSContainerManager, cpuSharesToCpuWeight, milliCPUToShares, qosCgroupConfigs } from './index.ts';

function pod(name: string, requests?: Record<string, string>, limits?: Record<string, string>): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, uid: name },
    spec: { containers: [{ name: 'c', image: 'i', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }] },
  };
}

const capacity = { cpus: 2, memoryBytes: 4 * 1024 ** 3, pidMax: 4194304 };

test('burstable shares are the sum of the Burstable pods cpu requests; besteffort 2; kubepods the node', () => {
  const c = qosCgroupConfigs(
    [
      pod('b1', { cpu: '250m' }),
      pod('b2', { cpu: '500m', memory: '10Mi' }),
      pod('g', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }),
      pod('be'),
    ],
    capacity,
  );
  assert.deepEqual(c.burstable, { cpuShares: 768 });
  assert.deepEqual(c.besteffort, { cpuShares: 2 });
  assert.deepEqual(c.kubepods, { cpuShares: 2048, memoryLimitInBytes: 4 * 1024 ** 3, pidsLimit: 4194304 });
  // No Burstable pod (or one requesting memory only): the minimum, as MilliCPUToShares(0).
  assert.equal(qosCgroupConfigs([pod('m', { memory: '1Mi' })], capacity).burstable.cpuShares, 2);
});

test('init containers and overhead count as in the pod request', () => {
  const p = pod('b', { cpu: '100m' });
  p.spec!.initContainers = [{ name: 'i', image: 'i', resources: { requests: { cpu: '300m' } } }];
  p.spec!.overhead = { cpu: '50m' };
  assert.equal(qosCgroupConfigs([p], capacity).burstable.cpuShares, milliCPUToShares(350));
});

test('upstream conversions: MilliCPUToShares clamps, cpu.weight from shares', () => {
  assert.equal(milliCPUToShares(0), 2);
  assert.equal(milliCPUToShares(1), 2);
  assert.equal(milliCPUToShares(1000), 1024);
  assert.equal(milliCPUToShares(1_000_000), 262144);
  assert.equal(cpuSharesToCpuWeight(2), 1);
  assert.equal(cpuSharesToCpuWeight(1024), 39);
  assert.equal(cpuSharesToCpuWeight(262144), 10000);
});

async function tmp(t: { after: (f: () => Promise<void>) => void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qos-cgroups-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

const read = (f: string) => fs.readFile(f, 'utf8');

test('cgroup v1: each controller hierarchy gets its file', async (t) => {
  const root = await tmp(t);
  for (const h of ['cpu', 'memory', 'pids']) await fs.mkdir(path.join(root, h));
  const pods = [pod('b1', { cpu: '200m' })];
  const m = new QOSContainerManager({ activePods: () => pods, capacity: async () => capacity, cgroups: new CgroupFs(root) });
  await m.update();
  assert.equal(await read(path.join(root, 'cpu/kubepods/cpu.shares')), '2048');
  assert.equal(await read(path.join(root, 'memory/kubepods/memory.limit_in_bytes')), String(4 * 1024 ** 3));
  assert.equal(await read(path.join(root, 'pids/kubepods/pids.max')), '4194304');
  assert.equal(await read(path.join(root, 'cpu/kubepods/burstable/cpu.shares')), '204');
  assert.equal(await read(path.join(root, 'cpu/kubepods/besteffort/cpu.shares')), '2');
  // A second Burstable pod comes: the tier's shares follow on the next update; it goes: back again.
  pods.push(pod('b2', { cpu: '1' }));
  await m.update();
  assert.equal(await read(path.join(root, 'cpu/kubepods/burstable/cpu.shares')), '1228');
  pods.splice(0, 2);
  await m.update();
  assert.equal(await read(path.join(root, 'cpu/kubepods/burstable/cpu.shares')), '2');
});

test('cgroup v2: cpu.weight by upstream conversion, memory.max, pids.max, controllers enabled on the way', async (t) => {
  const root = await tmp(t);
  await fs.writeFile(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  await fs.writeFile(path.join(root, 'cgroup.subtree_control'), '');
  const m = new QOSContainerManager({
    activePods: () => [pod('b', { cpu: '1' })],
    capacity: async () => capacity,
    cgroups: new CgroupFs(root),
  });
  await m.update();
  assert.equal(await read(path.join(root, 'cgroup.subtree_control')), '+cpu +memory +pids');
  assert.equal(await read(path.join(root, 'kubepods/cpu.weight')), String(cpuSharesToCpuWeight(2048)));
  assert.equal(await read(path.join(root, 'kubepods/memory.max')), String(4 * 1024 ** 3));
  assert.equal(await read(path.join(root, 'kubepods/pids.max')), '4194304');
  assert.equal(await read(path.join(root, 'kubepods/burstable/cpu.weight')), '39');
  assert.equal(await read(path.join(root, 'kubepods/besteffort/cpu.weight')), '1');
});

test('updates asked for during a write are coalesced into one more write with the latest pods', async (t) => {
  const root = await tmp(t);
  await fs.mkdir(path.join(root, 'cpu'));
  let calls = 0;
  let pods = [pod('a', { cpu: '100m' })];
  const m = new QOSContainerManager({
    activePods: () => {
      calls++;
      return pods;
    },
    capacity: async () => capacity,
    cgroups: new CgroupFs(root),
  });
  const first = m.update();
  pods = [pod('b', { cpu: '300m' })];
  const second = m.update();
  const third = m.update();
  await Promise.all([first, second, third]);
  assert.equal(calls, 2);
  assert.equal(await read(path.join(root, 'cpu/kubepods/burstable/cpu.shares')), '307');
});
