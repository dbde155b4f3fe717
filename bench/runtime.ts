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
 *
 * The two engines take turns run by run, so both see the same machine load: on a shared node the load moves
 * more than either engine's own cost. The pods in a row run engine by engine, each with none of the other's
 * pods running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUSYBOX_ARCHIVE, ensureBusyboxArchive } from '../test/fixtures/busybox.ts';
import { podmanCgroupsBefore, removeNewPodmanCgroups } from './podman-cgroups.ts';
import { makeOciEnv } from '../test/integration/oci-helpers.ts';
import { oursEngine, pssKb, type Engine } from './runtime-engine.ts';
import { missingRealContainers } from '../test/prerequisites.ts';

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

const skip = missingRealContainers();
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

function podmanEngine(): Engine | string {
  if (spawnSync('sh', ['-c', 'command -v podman && command -v skopeo'], { stdio: 'ignore' }).status !== 0) return 'podman or skopeo missing';
  const dir = join(tmpdir(), `kubeling-bench-podman-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // crun refuses rlimits above the host's hard limits (no CAP_SYS_RESOURCE here): give podman ours.
  const nofile = /^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? '1024';
  writeFileSync(join(dir, 'containers.conf'), `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]\n`);
  const env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') };
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const podman = (args: string[]) => {
    const r = spawnSync('podman', [...base, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  // conmon starts `podman container cleanup` (a whole podman) when a container exits, after `kube down` has
  // returned: let those finish before the next measurement, whichever engine it is for.
  const settle = () => {
    for (let i = 0; i < 100 && spawnSync('pgrep', ['-f', `podman .*${dir}.*cleanup`], { stdio: 'ignore' }).status === 0; i++) {
      spawnSync('sleep', ['0.05']);
    }
  };
  const cgroupsBefore = podmanCgroupsBefore();
  const linksBefore = new Set(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n').map((l) => l.split(': ')[1]));
  execFileSync('skopeo', ['copy', '-q', `oci-archive:${BUSYBOX_ARCHIVE}`, `containers-storage:[overlay@${join(dir, 'root')}+${join(dir, 'run')}]docker.io/library/busybox:1.35`]);
  let n = 0;
  return {
    name: 'podman',
    async run(containers) {
      const name = `bench${++n}`;
      const file = join(dir, `${name}.yaml`);
      const cs = Array.from({ length: containers }, (_, i) => `  - name: c${i}\n    image: docker.io/library/busybox:1.35\n    command: ["sleep", "3600"]\n`).join('');
      writeFileSync(file, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n${cs}`);
      const t0 = performance.now();
      podman(['kube', 'play', file]);
      return { ms: performance.now() - t0, pod: file };
    },
    async teardown(file) {
      const t0 = performance.now();
      podman(['kube', 'down', file]);
      const ms = performance.now() - t0;
      settle();
      return ms;
    },
    async teardownAll() {
      podman(['pod', 'rm', '-af', '-t', '0']);
      settle();
    },
    async pss() {
      let total = 0;
      for (const id of podman(['ps', '-q', '--no-trunc']).split('\n').filter(Boolean)) {
        const [pid, conmon] = podman(['inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', id]).trim().split(' ').map(Number);
        total += pssKb(pid!) + pssKb(conmon!);
      }
      // Helpers podman leaves running for its networks (DNS), shared by its pods.
      for (const line of execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n')) {
        if (/aardvark-dns|dnsmasq.*cni|netavark/.test(line)) total += pssKb(Number(line.trim().split(/\s+/)[0]));
      }
      return total;
    },
    async close() {
      spawnSync('podman', [...base, 'pod', 'rm', '-af', '-t', '0'], { env, stdio: 'ignore' });
      spawnSync('podman', [...base, 'system', 'reset', '-f'], { env, stdio: 'ignore' });
      removeNewPodmanCgroups(cgroupsBefore);
      for (const l of execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n')) {
        const name = l.split(': ')[1]?.split('@')[0];
        if (name && !linksBefore.has(name) && /^cni-podman\d+$/.test(name)) spawnSync('ip', ['link', 'del', name]);
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
    },
  };
}

// ------------------------------------------------------------------ main

interface Figures {
  one: number[];
  two: number[];
  teardown: number[];
  podsPerSecond: number;
  pssPerPodKiB: number;
}

await ensureBusyboxArchive();
const env = await makeOciEnv('bench');
const favorDynmods = env.runtime.cgroupFavorDynmods;
const ours = oursEngine(env);
const oursConcurrent = oursEngine(env, true);
let podman: Engine | string = values['no-podman'] ? 'skipped (--no-podman)' : 'not run';
const fig = new Map<string, Figures>();
const twoConcurrent: number[] = [];
let agentPerPodKiB = 0;
try {
  if (!values['no-podman']) {
    try {
      podman = podmanEngine();
    } catch (err) {
      podman = `failed: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  const engines = [ours, ...(typeof podman === 'string' ? [] : [podman])];
  for (const e of engines) fig.set(e.name, { one: [], two: [], teardown: [], podsPerSecond: 0, pssPerPodKiB: 0 });
  for (const e of engines) for (let i = 0; i < 2; i++) await e.teardown((await e.run(2)).pod); // warm-up
  for (const containers of [1, 2]) {
    for (let i = 0; i < RUNS; i++) {
      for (const e of engines) {
        const r = await e.run(containers);
        fig.get(e.name)![containers === 1 ? 'one' : 'two'].push(r.ms);
        fig.get(e.name)!.teardown.push(await e.teardown(r.pod));
      }
      if (containers === 2) {
        const r = await oursConcurrent.run(2);
        twoConcurrent.push(r.ms);
        await oursConcurrent.teardown(r.pod);
      }
    }
  }
  // Pods in a row: each engine on its own, with none of the other's pods running. (Blocks taken in turn with
  // both engines' pods piling up made each pay for the other's: a new container copies the node's whole
  // mount table, and podman's pods add four mounts each.)
  for (const e of engines) {
    const pods: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < PODS; i++) pods.push((await e.run(1)).pod);
    fig.get(e.name)!.podsPerSecond = PODS / ((performance.now() - t0) / 1000);
    await e.teardownAll(pods);
  }
  // Memory of running two-container pods.
  for (const e of engines) {
    const agentBefore = pssKb(process.pid);
    const pods: string[] = [];
    for (let i = 0; i < PSS_PODS; i++) pods.push((await e.run(2)).pod);
    await new Promise((r) => setTimeout(r, 500));
    fig.get(e.name)!.pssPerPodKiB = (await e.pss(pods)) / PSS_PODS;
    if (e === ours) agentPerPodKiB = Math.max(0, pssKb(process.pid) - agentBefore) / PSS_PODS;
    for (const pod of pods) await e.teardown(pod);
  }
} finally {
  if (typeof podman !== 'string') await podman.close();
  await env.cleanup();
}

const o = fig.get('kubeling')!;
const p = fig.get('podman');
const na = typeof podman === 'string' ? podman : '';
const line = (label: string, a: string, b: string) => console.log(`${label.padEnd(34)} ${a.padEnd(44)} ${b}`);
console.log(`\nruntime benchmark: ${RUNS} runs per figure (engines in turn), ${PODS} pods in a row, PSS over ${PSS_PODS} two-container pods`);
console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs)`);
// Both engines' cgroup migrations depend on it (runtime/oci/cgroup-tuning.ts).
console.log(`cgroup favordynmods: ${JSON.stringify(favorDynmods)} (kernel ${release()})`);
line('', 'kubeling OciRuntime (crun)', 'podman kube play (crun)');
line('run pod, 1 container', fmt(o.one), p ? fmt(p.one) : na);
line('run pod, 2 containers (in order)', fmt(o.two), p ? fmt(p.two) : na);
line('run pod, 2 containers (concurrent)', fmt(twoConcurrent), '');
line('teardown (stop + remove)', fmt(o.teardown), p ? fmt(p.teardown) : na);
line(`${PODS} pods in a row`, `${o.podsPerSecond.toFixed(1)} pods/s`, p ? `${p.podsPerSecond.toFixed(1)} pods/s` : na);
line('PSS per 2-container pod', `${(o.pssPerPodKiB / 1024).toFixed(2)} MiB (+ agent ${(agentPerPodKiB / 1024).toFixed(2)} MiB)`, p ? `${(p.pssPerPodKiB / 1024).toFixed(2)} MiB` : na);
if (p) {
  console.log(
    `speed-up at p50: 1 container ${(pct(p.one, 50) / pct(o.one, 50)).toFixed(1)}x, 2 containers ${(pct(p.two, 50) / pct(o.two, 50)).toFixed(1)}x, ` +
      `teardown ${(pct(p.teardown, 50) / pct(o.teardown, 50)).toFixed(1)}x, pods in a row ${(o.podsPerSecond / p.podsPerSecond).toFixed(1)}x`,
  );
}
