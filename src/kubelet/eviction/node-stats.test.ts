import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { NodeStatsProvider } from './node-stats.ts';

const Mi = 1024 * 1024;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function tree(v2: boolean) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eviction-stats-'));
  const cg = path.join(root, 'cgroup');
  const proc = path.join(root, 'proc');
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  write(path.join(proc, 'meminfo'), `MemTotal:        4194304 kB\nMemFree:         1048576 kB\nInactive(file):   524288 kB\n`);
  write(path.join(proc, 'sys/kernel/pid_max'), '1000\n');
  for (const pid of ['1', '2', '3']) fs.mkdirSync(path.join(proc, pid));
  const pod = v2 ? path.join(cg, 'kubepods/besteffort/poduid-1') : path.join(cg, 'memory/kubepods/besteffort/poduid-1');
  if (v2) {
    write(path.join(cg, 'cgroup.controllers'), 'cpu memory pids\n');
    write(path.join(pod, 'memory.current'), `${60 * Mi}\n`);
    write(path.join(pod, 'memory.stat'), `anon 1\ninactive_file ${10 * Mi}\n`);
    write(path.join(pod, 'ctr-1/memory.current'), `${40 * Mi}\n`);
    write(path.join(pod, 'ctr-1/memory.stat'), `inactive_file ${Mi}\n`);
    write(path.join(pod, 'pids.current'), '4\n');
  } else {
    write(path.join(cg, 'memory/memory.usage_in_bytes'), `${3072 * Mi}\n`);
    write(path.join(cg, 'memory/memory.stat'), `cache 1\ntotal_inactive_file ${1024 * Mi}\n`);
    write(path.join(pod, 'memory.usage_in_bytes'), `${60 * Mi}\n`);
    write(path.join(pod, 'memory.stat'), `total_inactive_file ${10 * Mi}\n`);
    write(path.join(pod, 'ctr-1/memory.usage_in_bytes'), `${40 * Mi}\n`);
    write(path.join(pod, 'ctr-1/memory.stat'), `total_inactive_file ${Mi}\n`);
    write(path.join(cg, 'pids/kubepods/besteffort/poduid-1/pids.current'), '4\n');
  }
  write(path.join(data, 'pods/uid-1/volumes/scratch/fill'), 'x'.repeat(64 * 1024));
  write(path.join(data, 'logs/default_p_uid-1/c/0.log'), 'y'.repeat(8192));
  const clock = { ms: 1_000_000 };
  const stats = new NodeStatsProvider({
    rootDir: data,
    cgroupRoot: cg,
    procRoot: proc,
    emptyDirPath: (uid, v) => path.join(data, 'pods', uid, 'volumes', v),
    podLogDir: (p) => path.join(data, 'logs', `default_${p.metadata?.name}_${p.metadata?.uid}`),
    containerIds: () => new Map([['c', 'ctr-1']]),
    now: () => clock.ms,
  });
  return { root, stats, data, clock };
}

const pod: IPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }] },
};

describe('NodeStatsProvider', () => {
  for (const v2 of [false, true]) {
    it(`cgroup v${v2 ? 2 : 1}: working sets are usage − inactive_file; pids, du of emptyDirs and logs`, async (t) => {
      const { root, stats } = tree(v2);
      t.after(() => fs.rmSync(root, { recursive: true, force: true }));
      const obs = await stats.observe();
      // v1: 4096Mi − (3072Mi − 1024Mi); v2 from meminfo: MemFree + Inactive(file) = 1024Mi + 512Mi.
      assert.deepEqual(obs['memory.available'], { available: (v2 ? 1536 : 2048) * Mi, capacity: 4096 * Mi });
      assert.deepEqual(obs['pid.available'], { available: 997, capacity: 1000 });
      assert.ok(obs['nodefs.available']!.capacity > 0);
      const s = (await stats.podStats([pod])).get('uid-1')!;
      assert.equal(s.memoryWorkingSetBytes, 50 * Mi);
      assert.equal(s.containers.length, 1);
      assert.equal(s.containers[0]!.name, 'c');
      assert.equal(s.containers[0]!.memoryWorkingSetBytes, 39 * Mi);
      assert.ok(s.containers[0]!.logsBytes! >= 8192, `container logs ${s.containers[0]!.logsBytes}`);
      assert.equal(s.processes, 4);
      assert.ok(s.volumes[0]!.usedBytes >= 64 * 1024, `emptyDir du ${s.volumes[0]!.usedBytes}`);
      assert.ok(s.ephemeralBytes >= 64 * 1024 + 8192);
    });
  }

  it('reuses a measured tree for the cache period, then measures it again', async (t) => {
    const { root, stats, data, clock } = tree(false);
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const before = (await stats.podStats([pod])).get('uid-1')!.volumes[0]!.usedBytes;
    fs.writeFileSync(path.join(data, 'pods/uid-1/volumes/scratch/more'), 'z'.repeat(256 * 1024));
    clock.ms += 9_000;
    assert.equal((await stats.podStats([pod])).get('uid-1')!.volumes[0]!.usedBytes, before);
    clock.ms += 1_000;
    assert.ok((await stats.podStats([pod])).get('uid-1')!.volumes[0]!.usedBytes >= before + 256 * 1024);
  });

  it('a pod without a cgroup has no figures', async (t) => {
    const { root, stats } = tree(false);
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const other: IPod = { ...pod, metadata: { ...pod.metadata, uid: 'uid-2' } };
    assert.equal((await stats.podStats([other])).size, 0);
  });
});
