/**
 * The runtime benchmarks' engine for kubeling's own runtime: a pod of n sleeping busybox containers run on
 * OciRuntime directly (no API, no kubelet), timed from runPodSandbox until every container runs: the cold
 * start that bench/runtime.ts sets beside podman and bench/kubelet.ts beside the same pod through the API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciRuntime } from '../src/runtime/oci/index.ts';
import { containerConfig, sandboxConfig, type OciTestEnv } from '../test/integration/oci-helpers.ts';

export function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function readPid(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** One engine under test: run a pod of n sleeping containers (timed until all run), tear it down (timed). */
export interface Engine {
  name: string;
  run(containers: number): Promise<{ ms: number; pod: string }>;
  teardown(pod: string): Promise<number>;
  /** Removes many pods at once, untimed. */
  teardownAll(pods: string[]): Promise<void>;
  /** PSS (KiB) of the processes of running pods (pause, monitors, containers, shared helpers). */
  pss(pods: string[]): Promise<number>;
  close(): Promise<void>;
}

export function oursEngine(env: OciTestEnv, concurrent = false): Engine {
  const rt: OciRuntime = env.runtime;
  const sleep = ['sleep', '3600'];
  // The runtime's state tmpfs: records, bundles and the pid files of pause, containers and conmons.
  const runtimeRoot = join(env.root, 'runtime', 'run');
  return {
    name: 'kubeling',
    async run(containers) {
      const cfg = sandboxConfig(env);
      const t0 = performance.now();
      const sid = await rt.runPodSandbox(cfg);
      const names = Array.from({ length: containers }, (_, i) => `c${i}`);
      if (concurrent) {
        await Promise.all(names.map(async (n) => rt.startContainer(await rt.createContainer(sid, containerConfig(n, sleep), cfg))));
      } else {
        for (const n of names) await rt.startContainer(await rt.createContainer(sid, containerConfig(n, sleep), cfg));
      }
      return { ms: performance.now() - t0, pod: sid };
    },
    async teardown(sid) {
      const t0 = performance.now();
      await rt.stopPodSandbox(sid);
      await rt.removePodSandbox(sid);
      return performance.now() - t0;
    },
    async teardownAll(sids) {
      for (const sid of sids) await rt.removePodSandbox(sid);
    },
    async pss(pods) {
      let total = 0;
      for (const sid of pods) {
        total += pssKb(readPid(join(runtimeRoot, 'sandboxes', sid, 'pid'))); // the pause runs without a conmon
        for (const c of await rt.listContainers({ podSandboxId: sid })) {
          total += pssKb(readPid(join(runtimeRoot, 'containers', c.id, 'pid'))) + pssKb(readPid(join(runtimeRoot, 'containers', c.id, 'conmon.pid')));
        }
      }
      return total;
    },
    async close() {},
  };
}
