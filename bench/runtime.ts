#!/usr/bin/env node
/**
 * Runtime benchmark: OciRuntime side by side with `podman kube play` of the same pod on the same local
 * busybox image (imported into a private podman store with skopeo). Prints figures; never passes or fails.
 *
 *   node bench/runtime.ts [--runs 50] [--pods 100] [--pss-pods 10] [--no-podman]
 *
 * Measures: time to run a one- and a two-container pod until every container runs (p50/p99 over --runs),
 * teardown time (stop + remove), --pods pods started one after another (pods/s), and PSS per running
 * two-container pod (pause + monitors + containers, plus the agent's own growth for ours). Needs root, crun,
 * conmon, catatonit, CNI plugins; podman and skopeo for the comparison.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { OciRuntime } from '../src/runtime/oci/index.ts';
import { BUSYBOX_ARCHIVE, ensureBusyboxArchive } from '../test/fixtures/busybox.ts';
import { containerConfig, makeOciEnv, ociSkipReason, sandboxConfig, type OciTestEnv } from '../test/integration/oci-helpers.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    pods: { type: 'string', default: '100' },
    'pss-pods': { type: 'string', default: '10' },
    'no-podman': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const PODS = Number(values.pods);
const PSS_PODS = Number(values['pss-pods']);

const skip = ociSkipReason();
if (skip) {
  console.error(`bench/runtime: cannot run: ${skip}`);
  process.exit(1);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function fmt(xs: number[]): string {
  return `p50 ${pct(xs, 50).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms  (n=${xs.length})`;
}

function pssKb(pid: number): number {
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

interface Figures {
  one: number[];
  two: number[];
  twoConcurrent?: number[];
  teardown: number[];
  podsPerSecond: number;
  pssPerPodKiB: number;
  agentPerPodKiB?: number;
}

// ------------------------------------------------------------------ ours

async function benchOurs(env: OciTestEnv): Promise<Figures> {
  const rt: OciRuntime = env.runtime;
  const sleep = ['sleep', '3600'];
  const runPod = async (containers: number, concurrent = false) => {
    const cfg = sandboxConfig(env);
    const t0 = performance.now();
    const sid = await rt.runPodSandbox(cfg);
    const names = Array.from({ length: containers }, (_, i) => `c${i}`);
    if (concurrent) {
      await Promise.all(
        names.map(async (n) => {
          const c = await rt.createContainer(sid, containerConfig(n, sleep), cfg);
          await rt.startContainer(c);
        }),
      );
    } else {
      for (const n of names) await rt.startContainer(await rt.createContainer(sid, containerConfig(n, sleep), cfg));
    }
    return { sid, ms: performance.now() - t0 };
  };
  const teardown = async (sid: string) => {
    const t0 = performance.now();
    await rt.stopPodSandbox(sid);
    await rt.removePodSandbox(sid);
    return performance.now() - t0;
  };

  for (let i = 0; i < 3; i++) await teardown((await runPod(2)).sid); // warm-up
  const f: Figures = { one: [], two: [], twoConcurrent: [], teardown: [], podsPerSecond: 0, pssPerPodKiB: 0 };
  for (let i = 0; i < RUNS; i++) {
    const a = await runPod(1);
    f.one.push(a.ms);
    f.teardown.push(await teardown(a.sid));
  }
  for (let i = 0; i < RUNS; i++) {
    const a = await runPod(2);
    f.two.push(a.ms);
    f.teardown.push(await teardown(a.sid));
  }
  for (let i = 0; i < RUNS; i++) {
    const a = await runPod(2, true);
    f.twoConcurrent!.push(a.ms);
    f.teardown.push(await teardown(a.sid));
  }

  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < PODS; i++) ids.push((await runPod(1)).sid);
  f.podsPerSecond = PODS / ((performance.now() - t0) / 1000);
  for (const id of ids) await teardown(id);

  // PSS: pause + conmons + containers of PSS_PODS running two-container pods, and the agent's growth.
  const agentBefore = pssKb(process.pid);
  const pods: string[] = [];
  for (let i = 0; i < PSS_PODS; i++) pods.push((await runPod(2)).sid);
  await new Promise((r) => setTimeout(r, 500));
  let total = 0;
  const runtimeRoot = join(env.root, 'runtime');
  for (const sid of pods) {
    total += pssKb(readPid(join(runtimeRoot, 'sandboxes', sid, 'pid'))) + pssKb(readPid(join(runtimeRoot, 'sandboxes', sid, 'conmon.pid')));
    for (const c of await rt.listContainers({ podSandboxId: sid })) {
      total += pssKb(readPid(join(runtimeRoot, 'containers', c.id, 'pid'))) + pssKb(readPid(join(runtimeRoot, 'containers', c.id, 'conmon.pid')));
    }
  }
  f.pssPerPodKiB = total / PSS_PODS;
  f.agentPerPodKiB = Math.max(0, pssKb(process.pid) - agentBefore) / PSS_PODS;
  for (const id of pods) await teardown(id);
  return f;
}

// ------------------------------------------------------------------ podman

function benchPodman(): Figures | string {
  if (spawnSync('sh', ['-c', 'command -v podman && command -v skopeo'], { stdio: 'ignore' }).status !== 0) return 'podman or skopeo missing';
  const dir = join(tmpdir(), `kubeling-bench-podman-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // crun refuses rlimits above the host's hard limits (no CAP_SYS_RESOURCE here): give podman ours.
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const nofile = /^Max open files\s+\S+\s+(\d+)/m.exec(limits)?.[1] ?? '1024';
  writeFileSync(join(dir, 'containers.conf'), `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]\n`);
  const env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') };
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const podman = (args: string[]) => {
    const r = spawnSync('podman', [...base, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const bridgeBefore = new Set(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n').map((l) => l.split(': ')[1]));
  execFileSync('skopeo', ['copy', '-q', `oci-archive:${BUSYBOX_ARCHIVE}`, `containers-storage:[overlay@${join(dir, 'root')}+${join(dir, 'run')}]docker.io/library/busybox:1.35`]);
  let n = 0;
  const yaml = (containers: number) => {
    const name = `bench${++n}`;
    const file = join(dir, `${name}.yaml`);
    const cs = Array.from({ length: containers }, (_, i) => `  - name: c${i}\n    image: docker.io/library/busybox:1.35\n    command: ["sleep", "3600"]\n`).join('');
    writeFileSync(file, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n${cs}`);
    return file;
  };
  const play = (file: string) => {
    const t0 = performance.now();
    podman(['kube', 'play', file]);
    return performance.now() - t0;
  };
  const down = (file: string) => {
    const t0 = performance.now();
    podman(['kube', 'down', file]);
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < 2; i++) {
      const f = yaml(2);
      play(f);
      down(f);
    }
    const f: Figures = { one: [], two: [], teardown: [], podsPerSecond: 0, pssPerPodKiB: 0 };
    for (let i = 0; i < RUNS; i++) {
      const y = yaml(1);
      f.one.push(play(y));
      f.teardown.push(down(y));
    }
    for (let i = 0; i < RUNS; i++) {
      const y = yaml(2);
      f.two.push(play(y));
      f.teardown.push(down(y));
    }
    const files: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < PODS; i++) {
      files.push(yaml(1));
      play(files[files.length - 1]!);
    }
    f.podsPerSecond = PODS / ((performance.now() - t0) / 1000);
    for (const y of files) down(y);

    const pss: string[] = [];
    for (let i = 0; i < PSS_PODS; i++) {
      pss.push(yaml(2));
      play(pss[pss.length - 1]!);
    }
    spawnSync('sleep', ['0.5']);
    const ids = podman(['ps', '-q', '--no-trunc']).split('\n').filter(Boolean);
    let total = 0;
    for (const id of ids) {
      const [pid, conmon] = podman(['inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', id]).trim().split(' ').map(Number);
      total += pssKb(pid!) + pssKb(conmon!);
    }
    // Helpers podman leaves running for its networks (DNS), shared by its pods.
    for (const line of execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n')) {
      if (/aardvark-dns|dnsmasq.*cni|netavark/.test(line)) total += pssKb(Number(line.trim().split(/\s+/)[0]));
    }
    f.pssPerPodKiB = total / PSS_PODS;
    for (const y of pss) down(y);
    return f;
  } finally {
    spawnSync('podman', [...base, 'pod', 'rm', '-af', '-t', '0'], { env, stdio: 'ignore' });
    spawnSync('podman', [...base, 'system', 'reset', '-f'], { env, stdio: 'ignore' });
    for (const l of execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n')) {
      const name = l.split(': ')[1]?.split('@')[0];
      if (name && !bridgeBefore.has(name) && /^cni-podman\d+$/.test(name)) spawnSync('ip', ['link', 'del', name]);
    }
    // podman leaves its storage mounted; unmount what lies under our directory before removing it.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => !!m && m.startsWith(dir))
      .sort()
      .reverse();
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      console.error(`bench/runtime: could not remove ${dir}: ${(err as Error).message}`);
    }
  }
}

// ------------------------------------------------------------------ main

await ensureBusyboxArchive();
const env = await makeOciEnv('bench');
let ours: Figures;
try {
  ours = await benchOurs(env);
} finally {
  await env.cleanup();
}
console.log(`ours: 1 container ${fmt(ours.one)}; 2 containers ${fmt(ours.two)}; concurrent ${fmt(ours.twoConcurrent!)}; teardown ${fmt(ours.teardown)}; ${ours.podsPerSecond.toFixed(1)} pods/s`);
let theirs: Figures | string;
try {
  theirs = values['no-podman'] ? 'skipped (--no-podman)' : benchPodman();
} catch (err) {
  theirs = `failed: ${(err as Error).message.split('\n')[0]}`;
}

const line = (label: string, a: string, b: string) => console.log(`${label.padEnd(34)} ${a.padEnd(44)} ${b}`);
console.log(`\nruntime benchmark: ${RUNS} runs per figure, ${PODS} pods in a row, PSS over ${PSS_PODS} two-container pods`);
line('', 'kubeling OciRuntime (crun)', 'podman kube play (crun)');
const p = typeof theirs === 'string' ? undefined : theirs;
const na = typeof theirs === 'string' ? theirs : '';
line('run pod, 1 container', fmt(ours.one), p ? fmt(p.one) : na);
line('run pod, 2 containers (in order)', fmt(ours.two), p ? fmt(p.two) : na);
line('run pod, 2 containers (concurrent)', fmt(ours.twoConcurrent!), '');
line('teardown (stop + remove)', fmt(ours.teardown), p ? fmt(p.teardown) : na);
line(`${PODS} pods in a row`, `${ours.podsPerSecond.toFixed(1)} pods/s`, p ? `${p.podsPerSecond.toFixed(1)} pods/s` : na);
line('PSS per 2-container pod', `${(ours.pssPerPodKiB / 1024).toFixed(2)} MiB (+ agent ${((ours.agentPerPodKiB ?? 0) / 1024).toFixed(2)} MiB)`, p ? `${(p.pssPerPodKiB / 1024).toFixed(2)} MiB` : na);
if (p) {
  console.log(`speed-up at p50: 1 container ${(pct(p.one, 50) / pct(ours.one, 50)).toFixed(1)}x, 2 containers ${(pct(p.two, 50) / pct(ours.two, 50)).toFixed(1)}x, teardown ${(pct(p.teardown, 50) / pct(ours.teardown, 50)).toFixed(1)}x`);
}
if (!existsSync(BUSYBOX_ARCHIVE)) console.log('(busybox archive missing)');
