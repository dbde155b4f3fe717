/**
 * The kubelet's QoS parent cgroups on the host's real cgroup filesystem (v1 here, v2 in the cgroup v2 VM,
 * which runs this file too): the node allocatable cgroup gets the node's memory as its limit, its cores as
 * cpu shares (v2: the converted cpu.weight) and pid_max as pids.max; `burstable` follows the Burstable pods'
 * cpu requests as pods come and go; `besteffort` holds the minimum. Under a name of its own (not `kubepods`,
 * which a running node may own), removed afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { CgroupFs, QOSContainerManager, cpuSharesToCpuWeight, readPidMax } from '../../src/kubelet/cm/index.ts';
import { missingLinux, missingRoot } from '../prerequisites.ts';

const skip = missingLinux() ?? missingRoot('cgroups');
const ROOT = '/sys/fs/cgroup';

function burstable(name: string, cpu: string): IPod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, uid: name }, spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu } } }] } };
}

test('QoS parent cgroups hold upstream values on real cgroups, following the pods', { skip: skip || undefined }, async (t) => {
  const cgroups = new CgroupFs(ROOT);
  const v2 = await cgroups.isV2();
  const name = `kubeling-qos-test-${process.pid}`;
  t.after(() => cgroups.remove(name));
  const memoryBytes = 3 * 1024 ** 3;
  const pidMax = (await readPidMax()) ?? 32768;
  const pods = [burstable('a', '250m')];
  const m = new QOSContainerManager({
    name,
    cgroups,
    activePods: () => pods,
    capacity: async () => ({ cpus: 2, memoryBytes, pidMax }),
  });
  const cpu = (rel: string) =>
    v2 ? readFileSync(join(ROOT, rel, 'cpu.weight'), 'utf8').trim() : readFileSync(join(ROOT, 'cpu', rel, 'cpu.shares'), 'utf8').trim();
  const expectCpu = (shares: number) => String(v2 ? cpuSharesToCpuWeight(shares) : shares);

  await m.update();
  assert.equal(cpu(name), expectCpu(2048));
  assert.equal(
    readFileSync(v2 ? join(ROOT, name, 'memory.max') : join(ROOT, 'memory', name, 'memory.limit_in_bytes'), 'utf8').trim(),
    String(memoryBytes),
  );
  assert.equal(readFileSync(v2 ? join(ROOT, name, 'pids.max') : join(ROOT, 'pids', name, 'pids.max'), 'utf8').trim(), String(pidMax));
  assert.equal(cpu(`${name}/burstable`), expectCpu(256));
  assert.equal(cpu(`${name}/besteffort`), expectCpu(2));

  pods.push(burstable('b', '1500m'));
  await m.update();
  assert.equal(cpu(`${name}/burstable`), expectCpu(256 + 1536));
  pods.length = 0;
  await m.update();
  assert.equal(cpu(`${name}/burstable`), expectCpu(2));
});
