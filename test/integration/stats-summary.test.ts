/**
 * What `kubectl top` shows, read from real cgroups (v1 here, v2 in the cgroup v2 VM, which runs this file
 * too): the kubelet's Summary (`/stats/summary`, what the server's metrics.k8s.io serves) for a pod whose
 * one container spins a busy loop and whose other holds 64 MiB in the pod's /dev/shm. The CPU rate is
 * checked against the loop's own CPU time from /proc/PID/stat over the same interval (an independent count:
 * the Summary reads cpuacct.usage or cpu.stat), so the check holds however loaded the machine is; the
 * memory working set against what the container wrote.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { detectCgroupLayout } from '../../src/runtime/oci/index.ts';
import { NodeStatsProvider } from '../../src/kubelet/eviction/node-stats.ts';
import { SummaryProvider } from '../../src/kubelet/stats/summary.ts';
import { containerConfig, makeOciEnv, pollUntil, sandboxConfig, type OciTestEnv } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const ROOT = '/sys/fs/cgroup';
const MiB = 1024 * 1024;
const skip = missingRealContainers();

/** The cgroup dir of a relative path in the hierarchy that holds `controller` (v2: the one tree). */
function cgroupDir(controller: string, rel: string): string {
  const layout = detectCgroupLayout();
  return layout.version === 2 ? join(ROOT, rel) : join(ROOT, controller, rel);
}

/** user + system CPU of every process in a cgroup, in ns (USER_HZ is 100 on Linux). */
function procCpuNs(rel: string): number {
  const pids = readFileSync(join(cgroupDir('cpuacct', rel), 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
      const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {}
  }
  return ticks * 10_000_000;
}

describe('the kubelet Summary on real cgroups (kubectl top)', { skip, timeout: 300_000 }, () => {
  let env: OciTestEnv;
  // Under kubepods, where the Summary looks for pods, with a uid no node would use; the parents are removed
  // afterwards only if this test made them.
  const uid = `statstest-${process.pid}`;
  const parentsBefore = ['kubepods', 'kubepods/besteffort'].filter((p) => existsSync(cgroupDir('memory', p)));

  before(async () => {
    env = await makeOciEnv('stats');
  });
  after(async () => {
    await env?.cleanup();
    for (const h of detectCgroupLayout().hierarchies) {
      for (const rel of [`kubepods/besteffort/pod${uid}`, 'kubepods/besteffort', 'kubepods']) {
        if (rel.startsWith('kubepods/besteffort/pod') || !parentsBefore.includes(rel)) {
          try {
            rmdirSync(join(h, rel));
          } catch {}
        }
      }
    }
  });

  it('reports a busy container near the CPU it burns and a 64 MiB one near the memory it holds', async () => {
    const podCgroup = `kubepods/besteffort/pod${uid}`;
    const cfg = sandboxConfig(env, { name: 'stats', linux: { cgroupParent: podCgroup, namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' }, sysctls: {} } });
    cfg.metadata.uid = uid;
    const sid = await env.runtime.runPodSandbox(cfg);
    const ids = new Map<string, string>();
    for (const [name, script] of [
      ['burn', 'while :; do :; done'],
      ['mem', `head -c ${64 * MiB} /dev/zero > /dev/shm/held && sleep 3600`],
    ] as const) {
      const id = await env.runtime.createContainer(sid, containerConfig(name, ['sh', '-c', script]), cfg);
      await env.runtime.startContainer(id);
      ids.set(name, id);
    }
    const pod: IPod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'stats', namespace: 'default', uid },
      spec: { containers: [{ name: 'burn', image: 'busybox' }, { name: 'mem', image: 'busybox' }] },
      status: { phase: 'Running' },
    };
    const stats = new NodeStatsProvider({
      rootDir: env.root,
      emptyDirPath: (u, v) => join(env.root, 'pods', u, v),
      podLogDir: () => join(env.logDir, 'none'),
      containerIds: () => ids,
    });
    const summary = new SummaryProvider({ nodeName: 'n1', stats, pods: () => [pod], containerIds: () => ids, now: () => new Date() });
    const container = (s: Awaited<ReturnType<SummaryProvider['get']>>, name: string) => s.pods.find((p) => p.podRef.uid === uid)?.containers.find((c) => c.name === name);

    // The memory is held once the file is written (the container's working set counts its shm pages). Minutes,
    // not seconds: in the cgroup v2 VM (one emulated CPU, shared with the busy loop beside it and with the
    // host's other tests) writing 64 MiB once took over a minute.
    const held = await pollUntil(async () => {
      const ws = container(await summary.get(), 'mem')?.memory?.workingSetBytes;
      return ws !== undefined && ws >= 64 * MiB && ws;
    }, 'the mem container to hold 64 MiB', 180_000);
    assert.ok(held < 64 * MiB + 32 * MiB, `working set ${held} bytes: 64 MiB and the shell, not more`);

    // The CPU rate between two Summaries, against the loop's own CPU time over the same interval.
    const burnCgroup = `${podCgroup}/${ids.get('burn')}`;
    const t0 = Date.now();
    const cpu0 = procCpuNs(burnCgroup);
    const first = container(await summary.get(), 'burn');
    assert.ok(first?.cpu?.usageCoreNanoSeconds, 'the container has a cumulative CPU counter');
    await new Promise((r) => setTimeout(r, 3000));
    const cpu1 = procCpuNs(burnCgroup);
    const t1 = Date.now();
    const second = container(await summary.get(), 'burn');
    const rate = second?.cpu?.usageNanoCores;
    assert.ok(rate !== undefined, 'a rate from the second sample on');
    const burned = ((cpu1 - cpu0) / (t1 - t0)) * 1e3; // ns of CPU per ms of wall time, times 1,000: nanocores
    assert.ok(burned > 0.05e9, `the loop burns CPU (${(burned / 1e9).toFixed(2)} cores by /proc)`);
    const ratio = rate / burned;
    assert.ok(ratio > 0.8 && ratio < 1.25, `Summary ${(rate / 1e9).toFixed(3)} cores against ${(burned / 1e9).toFixed(3)} by /proc`);
    // The pod's figures include its containers'.
    const podStats = (await summary.get()).pods.find((p) => p.podRef.uid === uid);
    assert.ok((podStats?.memory?.workingSetBytes ?? 0) >= 64 * MiB);
    assert.ok(readdirSync(cgroupDir('memory', podCgroup)).includes(ids.get('mem')!), 'container cgroups live under the pod cgroup');
  });
});
