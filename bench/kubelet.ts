#!/usr/bin/env node
/**
 * The node end to end, beside `podman kube play` in the same run. Prints figures; asserts nothing.
 *
 *   node bench/kubelet.ts [--runs 50] [--pods 100] [--series 100] [--no-podman] [--no-cold] [--cpu-prof DIR]
 *                         [--mode agent|server] [--warmup 3] [--sandbox-pool-size N] [--node-log FILE]
 *
 * Set-up: `kubeling server` (sqlite; its local node is the fake runtime, tainted so no pod lands there) and
 * `kubeling agent --runtime oci` joined to it, with the busybox test image imported into the agent's store
 * (`kubeling image import`) and loaded into podman (`podman load`), so no run pulls. The agent writes a
 * runtime call trace (KUBELING_TRACE_RUNTIME) that the breakdown below is computed from. `--mode server`
 * measures `kubeling server --runtime oci` alone instead (its own node; no trace, so no breakdown).
 *
 * 1. Latency: `create` through the API until the watch shows the pod Ready, for a one-container and a
 *    two-container pod (p50/p99 over --runs), then delete until the watch shows it gone; podman: `podman
 *    kube play FILE` (returns once its containers run), then `podman kube down FILE`. Runs alternate.
 *    Breakdown per kubeling pod: create→bound (API + scheduler + binding), bound→runPodSandbox starts
 *    (watch delivery, pod worker, volumes), runtime calls (sandbox, create, start), last start→Ready seen
 *    (PLEG/status manager/pods/status write and the watch back to us). Beside each run (unless --no-cold),
 *    the runtime's cold start of the same pod, bench/runtime.ts's figure: OciRuntime alone on its own root
 *    and bridge, runPodSandbox until every container runs, then removed; printed with the ratio of the p50s
 *    (issue 15's target: the API's create→Ready at or below it).
 * 2. Density: --pods one-container pods created at once through the API until all are Ready (total time);
 *    podman plays the same pods from one multi-document file. Memory per pod: PSS of the pods' conmon and
 *    catatonit processes, plus the node process's growth (its PSS and its helpers' with the pods minus
 *    before) divided by the pods. CPU of the burst: the node's and the server's own CPU time (utime+stime)
 *    and the whole machine's busy time (/proc/stat) from the first create to the last Ready, per pod; what
 *    is neither node nor server is crun, conmon, CNI plugins, mount, the helper shells, the kernel's work
 *    for them, and anything else running on the machine then.
 * 3. Series: --series one-container pods through the API one after another (each created once the one
 *    before is Ready; none deleted until the end), pods/s; podman plays the same pods one file at a time.
 *
 * The node runs with its default sandbox pool unless `--sandbox-pool-size N` is given (0: every sandbox built
 * on the pod's path, as before the pool). The load average is printed at the start and the end.
 *
 * Figures (issue 15; README "Pod start figures" has the table): `--runs 20 --pods 30 --warmup 2 --series 100`
 * at load 16.6 → 11.0 (other sessions' tests running): one-container pod create→Ready p50 216.5 ms (podman
 * 709.0), two-container 208.9 ms (877.7); 30 pods at once 3.27 s (podman 14.65 s, 4.5x); 100 in a row 3.6
 * pods/s (podman 1.3, 2.8x); 9.1 API requests and about 100 ms of CPU per pod in the burst (agent 35, server
 * 30, helpers 36). The code before the status/volume/pool changes, right after at load 11.1 → 14.0: 240.2 /
 * 280.2 ms, 4.35 s, 3.5 pods/s, 13.1 requests per pod. At load 1.6 → 8.6 that code gave 120.5 ms and 4.37 s
 * (podman 385.8 ms and 12.66 s).
 *
 * Needs root, crun, conmon, catatonit, the CNI plugins and podman (Debian packages, scripts/setup-host.sh).
 * podman runs with CONTAINERS_CONF pointing at a file that caps nofile/nproc at this host's hard limits
 * (root here lacks CAP_SYS_RESOURCE, so podman's defaults fail with `setrlimit ... Operation not permitted`).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INode } from 'kubernetes-models/v1/Node';
import { Client } from '../src/client/index.ts';
import { BUSYBOX_IMAGE, ensureBusyboxArchive } from '../test/fixtures/busybox.ts';
import { unmountUnder } from '../src/runtime/oci/mounts.ts';
import { podmanCgroupsBefore, removeNewPodmanCgroups } from './podman-cgroups.ts';
import { makeOciEnv } from '../test/integration/oci-helpers.ts';
import { oursEngine } from './runtime-engine.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'src/cmd/kubeling.ts');
const NS = 'bench';

const { values: flags } = parseArgs({
  options: {
    'no-cold': { type: 'boolean', default: false },
    runs: { type: 'string', default: '50' },
    pods: { type: 'string', default: '100' },
    'no-podman': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    warmup: { type: 'string', default: '3' },
    mode: { type: 'string', default: 'agent' },
    'sandbox-pool-size': { type: 'string' },
    series: { type: 'string', default: '100' },
    'node-log': { type: 'string' },
  },
});
const POOL_ARGS = flags['sandbox-pool-size'] !== undefined ? ['--sandbox-pool-size', flags['sandbox-pool-size']] : [];
const loadavg = () => `${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs)`;
const RUNS = Number(flags.runs);
const PODS = Number(flags.pods);
const SERIES = Number(flags.series);
const WARMUP = Number(flags.warmup);
const PODMAN = !flags['no-podman'];
const MODE = flags.mode as 'agent' | 'server';
if (MODE !== 'agent' && MODE !== 'server')
  throw new Error(`--mode must be agent or server, got ${JSON.stringify(flags.mode)}`);

// ---------------------------------------------------------------- helpers

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const stats = (xs: number[]) =>
  `p50 ${f1(pct(xs, 50)).padStart(7)}  p99 ${f1(pct(xs, 99)).padStart(7)}  (n=${xs.length})`;

function run(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      cmd,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 600_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        res({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function has(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** A process's own CPU time (utime + stime), and with `reaped` its waited-for children's too, ms. */
function cpuMs(pid: number, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // Fields 14-17 of stat (utime, stime, cutime, cstime) in clock ticks (USER_HZ 100).
    const ticks = f[11]! + f[12]! + (reaped ? f[13]! + f[14]! : 0);
    return (ticks * 1000) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU (ms) of the node's helpers: every descendant of `nodePid` and every conmon of `dataDir` (daemonized, so
 * maybe reparented), each with the children it reaped (crun, CNI plugins, ip, mount under the helper shells;
 * crun under conmon). Taken before and after a phase, the difference is what the node made others spend.
 */
function helpersCpuMs(nodePid: number, dataDir: string): number {
  const all = processes();
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const seen = new Set<number>();
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      walk(c.pid);
    }
  };
  walk(nodePid);
  for (const p of all) if (p.comm === 'conmon' && p.cmdline.includes(dataDir) && !seen.has(p.pid)) seen.add(p.pid);
  let ms = 0;
  for (const pid of seen) ms += cpuMs(pid, true);
  return ms;
}

/** The machine's busy CPU time (every core; all but idle and iowait), ms. */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return ((f.slice(0, 8).reduce((a, b) => a + b, 0) - idle) * 1000) / 100;
}

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(d), ppid, comm, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** PSS (KiB) of the conmon processes `isOurs` picks and of the catatonit processes they monitor. */
function monitorMemory(isOurs: (conmon: Proc) => boolean): {
  conmonKiB: number;
  catatonitKiB: number;
  conmons: number;
  catatonits: number;
} {
  const all = processes();
  const conmons = all.filter((p) => p.comm === 'conmon' && isOurs(p));
  const ids = new Set(conmons.map((p) => p.pid));
  const cats = all.filter((p) => p.comm === 'catatonit' && ids.has(p.ppid));
  return {
    conmonKiB: conmons.reduce((s, p) => s + pss(p.pid), 0),
    catatonitKiB: cats.reduce((s, p) => s + pss(p.pid), 0),
    conmons: conmons.length,
    catatonits: cats.length,
  };
}

/**
 * The node's memory: PSS of its process and of its helper processes (descendants that are not pod
 * monitors or pauses), of the pods' conmon processes (found by the node's data dir on their command line, as
 * conmon may be reparented) and of the catatonit pause processes. Workloads are not counted.
 */
function nodeMemory(nodePid: number, dataDir: string) {
  const all = processes();
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let helperKiB = 0;
  // Pause processes run without a conmon (crun run --detach) and are reaped by the node's helper shells'
  // catatonit: they are descendants of the node, but count as the pods'.
  const pauses: Proc[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      if (c.comm === 'conmon') continue;
      if (c.comm === 'catatonit' && c.cmdline.startsWith('/catatonit -P')) {
        pauses.push(c);
        continue;
      }
      helperKiB += pss(c.pid);
      walk(c.pid);
    }
  };
  walk(nodePid);
  const monitors = monitorMemory((p) => p.cmdline.includes(dataDir));
  return {
    nodeKiB: pss(nodePid),
    helperKiB,
    ...monitors,
    catatonitKiB: monitors.catatonitKiB + pauses.reduce((sum, p) => sum + pss(p.pid), 0),
    catatonits: monitors.catatonits + pauses.length,
  };
}

function podSpec(name: string, containers: number, image: string): IPod {
  // `sh` as PID 1 with a TERM trap, so deletion measures teardown rather than the grace period.
  const command = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'kubeling-bench' } },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: Array.from({ length: containers }, (_, i) => ({
        name: `c${i}`,
        image,
        imagePullPolicy: 'IfNotPresent',
        command,
      })),
    },
  } as IPod;
}

function podYaml(p: IPod): string {
  // podman kube play reads the same object; JSON is YAML.
  return JSON.stringify({ ...p, metadata: { name: p.metadata!.name, labels: p.metadata!.labels } });
}

const isReady = (p: IPod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

// ---------------------------------------------------------------- the cluster

interface Started {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Started {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (err.length > 4_000_000) err = err.slice(-2_000_000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  log?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${log ? `\n${log().slice(-4000)}` : ''}`);
}

/** Routes one watch stream's events to per-pod waiters, stamped with their arrival time. */
class PodWatch {
  #waiters = new Map<
    string,
    { pred: (p: IPod | undefined, type: string) => boolean; resolve: (t: number) => void }[]
  >();
  #seen = new Map<string, { type: string; pod: IPod; at: number }[]>();
  readonly #abort = new AbortController();
  #loop: Promise<void>;

  constructor(client: Client) {
    const pods = client.resource<IPod>('pods', NS);
    this.#loop = (async () => {
      while (!this.#abort.signal.aborted) {
        try {
          for await (const ev of pods.watch({ timeoutSeconds: 3600 }, this.#abort.signal)) {
            const at = now();
            const pod = ev.object as IPod;
            const name = pod.metadata?.name;
            if (!name) continue;
            const list = this.#seen.get(name) ?? [];
            list.push({ type: ev.type, pod, at });
            this.#seen.set(name, list);
            const ws = this.#waiters.get(name) ?? [];
            this.#waiters.set(
              name,
              ws.filter((w) => {
                if (!w.pred(ev.type === 'DELETED' ? undefined : pod, ev.type)) return true;
                w.resolve(at);
                return false;
              }),
            );
          }
        } catch {
          if (!this.#abort.signal.aborted) await sleep(100);
        }
      }
    })();
  }

  /** Resolves with the arrival time of the first event (from now on) that satisfies `pred`. */
  until(name: string, pred: (p: IPod | undefined, type: string) => boolean): Promise<number> {
    return new Promise((resolve) => {
      const ws = this.#waiters.get(name) ?? [];
      ws.push({ pred, resolve });
      this.#waiters.set(name, ws);
    });
  }

  events(name: string) {
    return this.#seen.get(name) ?? [];
  }

  forget(name: string) {
    this.#seen.delete(name);
  }

  async close() {
    this.#abort.abort();
    await this.#loop;
  }
}

// ---------------------------------------------------------------- runtime trace

interface TraceLine {
  m: string;
  start: number;
  ms: number;
  ok: boolean;
  id?: string;
  pod?: string;
  ret?: string;
}

function readTrace(file: string): TraceLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TraceLine);
}

/** The runtime calls that start one pod: its sandbox, then creates and starts on its containers. */
function podCalls(trace: TraceLine[], pod: string) {
  const sandbox = trace.find((l) => l.m === 'runPodSandbox' && l.pod === pod);
  if (!sandbox?.ret) return undefined;
  const creates = trace.filter((l) => l.m === 'createContainer' && l.id === sandbox.ret);
  const ctrIds = new Set(creates.map((c) => c.ret));
  const starts = trace.filter((l) => l.m === 'startContainer' && l.id && ctrIds.has(l.id));
  return { sandbox, creates, starts };
}

// ---------------------------------------------------------------- API requests

/** The API server's apiserver_request_total, summed by `VERB resource[/subresource]`. */
function requestCounts(url: string, token: string, ca: string): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    httpsGet(new URL('/metrics', url), { headers: { authorization: `Bearer ${token}` }, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        const counts = new Map<string, number>();
        for (const m of body.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
          const label = (k: string) => new RegExp(`(?:^|,)${k}="([^"]*)"`).exec(m[1]!)?.[1] ?? '';
          const key = `${label('verb')} ${label('resource')}${label('subresource') ? `/${label('subresource')}` : ''}`;
          counts.set(key, (counts.get(key) ?? 0) + Number(m[2]));
        }
        resolve(counts);
      });
    }).on('error', reject);
  });
}

/** What was requested between two counts, per pod, largest first (watches and the node's own housekeeping included). */
function requestsPerPod(before: Map<string, number>, after: Map<string, number>, pods: number): string {
  const rows = [...after]
    .map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / pods] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, v]) => sum + v, 0);
  return `${f1(total)} per pod: ${rows.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (real containers)');
  for (const b of ['crun', 'conmon', 'catatonit', ...(PODMAN ? ['podman'] : [])])
    if (!has(b)) throw new Error(`needs ${b} (scripts/setup-host.sh)`);
  const podmanCgroups = podmanCgroupsBefore();
  const archive = await ensureBusyboxArchive();
  const work = mkdtempSync(join(tmpdir(), 'kubeling-bench-kubelet-'));
  const serverDir = join(work, 'server');
  const agentDir = join(work, 'agent');
  const tracePath = join(work, 'runtime-trace.jsonl');
  const podmanConf = join(work, 'containers.conf');
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = (name: string) =>
    /\d+/.exec(
      limits
        .split('\n')
        .find((l) => l.startsWith(name))
        ?.slice(26) ?? '',
    )?.[0];
  writeFileSync(
    podmanConf,
    `[containers]\ndefault_ulimits = ["nofile=${hard('Max open files') ?? 1024}:${hard('Max open files') ?? 1024}", "nproc=${Math.min(Number(hard('Max processes') ?? 32768), 32768)}:${Math.min(Number(hard('Max processes') ?? 32768), 32768)}"]\n`,
  );
  const podmanEnv = { CONTAINERS_CONF: podmanConf };
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    console.log(
      `kubelet bench: ${RUNS} runs per pod kind, ${PODS} pods for density, podman ${PODMAN ? 'on' : 'off'}; work dir ${work}`,
    );
    // The node under test: an agent (own bridge and /24; the server's fake node holds 10.42.0.0/24), or the
    // server's own oci node (--mode server: kubeling0 and 10.42.0.0/24, like `kubeling server` for a user).
    const nodeDir = MODE === 'server' ? serverDir : agentDir;
    const linksBefore = new Set(
      spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => l.split(': ')[1]?.split('@')[0])
        .filter(Boolean),
    );
    const imp = await run(process.execPath, [BIN, 'image', 'import', archive, '--data-dir', nodeDir]);
    if (imp.code !== 0) throw new Error(`image import: ${imp.stderr}`);
    const profArgs = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(flags['cpu-prof'])}`] : [];
    const server = start(
      [
        'server',
        '--data-dir',
        serverDir,
        '--listen',
        '127.0.0.1:0',
        '--node-name',
        MODE === 'server' ? 'bench-node' : 'bench-local',
        ...(MODE === 'server'
          ? ['--runtime', 'oci', ...POOL_ARGS]
          : ['--runtime', 'fake', '--node-taint', 'bench.kubeling.io/fake=:NoSchedule']),
      ],
      {},
      profArgs,
    );
    cleanups.push(async () => {
      await server.stop();
      // The server's node bridge is shared by every server on this machine: remove it only if we made it.
      if (MODE === 'server' && !linksBefore.has('kubeling0'))
        spawnSync('ip', ['link', 'del', 'kubeling0'], { stdio: 'ignore' });
    });
    const url = await waitFor('server ready', () => /^ready (\S+)/m.exec(server.stdout())?.[1], 60_000, server.stderr);
    let node: Started = server;
    if (MODE === 'agent') {
      const token = readFileSync(join(serverDir, 'node-token'), 'utf8').trim();
      const agent = start(
        [
          'agent',
          '--server',
          url,
          '--token',
          token,
          '--node-name',
          'bench-node',
          '--data-dir',
          agentDir,
          '--runtime',
          'oci',
          ...POOL_ARGS,
        ],
        { KUBELING_TRACE_RUNTIME: tracePath },
        profArgs,
      );
      cleanups.push(async () => {
        await agent.stop();
        if (flags['node-log']) writeFileSync(flags['node-log'], agent.stderr());
        const bridge = /bridge=(\S+)/.exec(agent.stdout())?.[1];
        if (bridge && bridge !== '-' && !linksBefore.has(bridge))
          spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      });
      const agentLine = await waitFor(
        'agent ready',
        () => /^ready .*$/m.exec(agent.stdout())?.[0],
        60_000,
        agent.stderr,
      );
      console.log(`agent: ${agentLine}`);
      node = agent;
    }
    const adminToken = readFileSync(join(serverDir, 'admin-token'), 'utf8').trim();
    const caPem = readFileSync(join(serverDir, 'pki', 'ca.crt'), 'utf8');
    const requests = () => requestCounts(url, adminToken, caPem);
    const client = new Client({
      server: url,
      token: adminToken,
      caData: caPem,
      // The driver measures the node, not client-side throttling: no QPS limit (components keep theirs).
      qps: 0,
    });
    await waitFor(
      'bench-node Ready',
      async () => {
        const n = await client
          .resource<INode>('nodes')
          .get('bench-node')
          .catch(() => undefined);
        return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
      },
      60_000,
      node.stderr,
    );
    await client.resource('namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const pods = client.resource<IPod>('pods', NS);
    const watch = new PodWatch(client);
    cleanups.push(() => watch.close());
    await sleep(300);

    if (PODMAN) {
      const have = await run('podman', ['image', 'exists', BUSYBOX_IMAGE], podmanEnv);
      if (have.code !== 0) {
        const load = await run('podman', ['load', '-i', archive], podmanEnv);
        if (load.code !== 0) throw new Error(`podman load: ${load.stderr}`);
      }
    }

    let seq = 0;
    /** One kubeling pod: create → Ready (watch) → delete → gone. */
    const kubelingOnce = async (containers: number) => {
      const name = `k${containers}-${++seq}`;
      const ready = watch.until(name, (p) => !!p && isReady(p));
      const bound = watch.until(name, (p) => !!p?.spec?.nodeName);
      const t0 = now();
      await pods.create(podSpec(name, containers, BUSYBOX_IMAGE));
      const tCreated = now();
      const tReady = await ready;
      const tBound = await bound;
      const gone = watch.until(name, (_p, type) => type === 'DELETED');
      const t1 = now();
      await pods.delete(name);
      const tGone = await gone;
      return { name, t0, tCreated, tBound, tReady, ready: tReady - t0, teardown: tGone - t1 };
    };
    /** One podman pod: kube play (returns with the containers running) → kube down. */
    const podmanOnce = async (containers: number) => {
      const name = `p${containers}-${++seq}`;
      const file = join(work, `${name}.json`);
      writeFileSync(file, podYaml(podSpec(name, containers, BUSYBOX_IMAGE)));
      const t0 = now();
      const play = await run('podman', ['kube', 'play', file], podmanEnv);
      const t1 = now();
      if (play.code !== 0) throw new Error(`podman kube play: ${play.stderr}`);
      const down = await run('podman', ['kube', 'down', file], podmanEnv);
      const t2 = now();
      if (down.code !== 0) throw new Error(`podman kube down: ${down.stderr}`);
      rmSync(file, { force: true });
      return { ready: t1 - t0, teardown: t2 - t1 };
    };

    // The runtime's cold start for the same pod (bench/runtime.ts's figure): OciRuntime alone, no API, on a
    // root and bridge of its own, run by run beside the API's, so the target's ratio comes from one run.
    const cold = flags['no-cold'] ? undefined : await makeOciEnv('cold');
    if (cold) cleanups.push(() => cold.cleanup());
    const coldEngine = cold && oursEngine(cold);
    const coldOnce = async (containers: number) => {
      const r = await coldEngine!.run(containers);
      await coldEngine!.teardown(r.pod);
      return r.ms;
    };

    console.log(`load average at the start: ${loadavg()}; sandbox pool: ${flags['sandbox-pool-size'] ?? 'the default size'}`);
    // ---- 1. latency
    for (const containers of [1, 2]) {
      for (let i = 0; i < WARMUP; i++) {
        await kubelingOnce(containers);
        if (PODMAN) await podmanOnce(containers);
        if (coldEngine) await coldOnce(containers);
      }
      const k: Awaited<ReturnType<typeof kubelingOnce>>[] = [];
      const p: Awaited<ReturnType<typeof podmanOnce>>[] = [];
      const c: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        k.push(await kubelingOnce(containers));
        if (PODMAN) p.push(await podmanOnce(containers));
        if (coldEngine) c.push(await coldOnce(containers));
      }
      const trace = readTrace(tracePath);
      const parts = {
        api: [] as number[],
        bind: [] as number[],
        toSandbox: [] as number[],
        sandbox: [] as number[],
        containers: [] as number[],
        afterStart: [] as number[],
      };
      for (const r of k) {
        const calls = podCalls(trace, r.name);
        parts.api.push(r.tCreated - r.t0);
        parts.bind.push(r.tBound - r.t0);
        if (!calls) continue;
        parts.toSandbox.push(calls.sandbox.start - r.tBound);
        parts.sandbox.push(calls.sandbox.ms);
        const lastStartEnd = Math.max(...calls.starts.map((s) => s.start + s.ms));
        parts.containers.push(lastStartEnd - (calls.sandbox.start + calls.sandbox.ms));
        parts.afterStart.push(r.tReady - lastStartEnd);
      }
      console.log(`\n== ${containers}-container pod, ${RUNS} runs (ms)`);
      console.log(`kubeling create→Ready       ${stats(k.map((r) => r.ready))}`);
      if (coldEngine) {
        const ratio = pct(k.map((r) => r.ready), 50) / pct(c, 50);
        console.log(`runtime cold start (no API) ${stats(c)}  API p50 / cold p50 = ${ratio.toFixed(2)}`);
      }
      if (PODMAN) console.log(`podman kube play            ${stats(p.map((r) => r.ready))}`);
      console.log(`kubeling delete→gone        ${stats(k.map((r) => r.teardown))}`);
      if (PODMAN) console.log(`podman kube down            ${stats(p.map((r) => r.teardown))}`);
      console.log('kubeling breakdown:');
      console.log(`  create request (API write) ${stats(parts.api)}`);
      console.log(`  create→bound seen (sched)  ${stats(parts.bind)}`);
      console.log(`  bound→runPodSandbox starts ${stats(parts.toSandbox)}`);
      console.log(`  runPodSandbox              ${stats(parts.sandbox)}`);
      console.log(`  sandbox→last container up  ${stats(parts.containers)}`);
      console.log(`  last start→Ready seen      ${stats(parts.afterStart)}`);
    }

    // Runtime calls over the whole latency phase.
    const trace = readTrace(tracePath);
    const byMethod = new Map<string, number[]>();
    for (const l of trace) byMethod.set(l.m, [...(byMethod.get(l.m) ?? []), l.ms]);
    console.log('\nruntime calls during the latency runs (count, p50 ms, p99 ms, total ms):');
    for (const [m, xs] of [...byMethod].sort(
      (a, b) => b[1].reduce((s, x) => s + x, 0) - a[1].reduce((s, x) => s + x, 0),
    )) {
      console.log(
        `  ${m.padEnd(22)} ${String(xs.length).padStart(6)} ${f1(pct(xs, 50)).padStart(8)} ${f1(pct(xs, 99)).padStart(8)} ${f1(xs.reduce((s, x) => s + x, 0)).padStart(10)}`,
      );
    }

    // ---- 2. density
    if (PODS > 0) {
      console.log(`\n== ${PODS} one-container pods on one node`);
      const nodePid = node.child.pid!;
      const before = nodeMemory(nodePid, nodeDir);
      const names = Array.from({ length: PODS }, (_, i) => `d-${i}`);
      const allReady = Promise.all(names.map((n) => watch.until(n, (p) => !!p && isReady(p))));
      const req0 = await requests();
      const cpu0 = { node: cpuMs(nodePid), helpers: helpersCpuMs(nodePid, nodeDir), server: cpuMs(server.child.pid!), machine: machineBusyMs() };
      const tD0 = now();
      await Promise.all(names.map((n) => pods.create(podSpec(n, 1, BUSYBOX_IMAGE))));
      const tCreated = now();
      const readies = await allReady;
      const tD1 = Math.max(...readies);
      const cpu1 = { node: cpuMs(nodePid), helpers: helpersCpuMs(nodePid, nodeDir), server: cpuMs(server.child.pid!), machine: machineBusyMs() };
      await sleep(2000);
      const after = nodeMemory(nodePid, nodeDir);
      const growth = Math.max(0, after.nodeKiB + after.helperKiB - before.nodeKiB - before.helperKiB);
      const who = MODE === 'agent' ? 'agent' : 'server (API server, scheduler and kubelet in one process)';
      console.log(
        `kubeling: ${PODS} creates took ${f1(tCreated - tD0)} ms; all Ready after ${f1(tD1 - tD0)} ms (${f1((PODS * 1000) / (tD1 - tD0))} pods/s); first Ready ${f1(Math.min(...readies) - tD0)} ms`,
      );
      console.log(
        `  conmon: ${after.conmons} processes, ${f1(after.conmonKiB / 1024)} MiB PSS; pause catatonit: ${after.catatonits}, ${f1(after.catatonitKiB / 1024)} MiB PSS`,
      );
      console.log(
        `  ${who}: PSS ${f1(before.nodeKiB / 1024)} MiB before, ${f1(after.nodeKiB / 1024)} MiB with the pods; its helper processes ${f1(before.helperKiB / 1024)} → ${f1(after.helperKiB / 1024)} MiB`,
      );
      if (MODE === 'agent') console.log(`  server PSS ${f1(pss(server.child.pid!) / 1024)} MiB`);
      console.log(`  API requests from the first create to the last Ready: ${requestsPerPod(req0, await requests(), PODS)}`);
      {
        const node = cpu1.node - cpu0.node;
        const helpers = cpu1.helpers - cpu0.helpers;
        const srv = MODE === 'agent' ? cpu1.server - cpu0.server : 0;
        const all = cpu1.machine - cpu0.machine;
        const per = (ms: number) => `${f1(ms)} ms (${f1(ms / PODS)}/pod)`;
        console.log(
          `  CPU from the first create to the last Ready (${f1(tD1 - tD0)} ms × ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores): machine ${per(all)}; ${MODE === 'agent' ? `agent ${per(node)}, server ${per(srv)}` : `server ${per(node)}`}, the node's helpers (crun, conmon, CNI, shells) ${per(helpers)}, anything else ${per(all - node - srv - helpers)}`,
        );
      }
      const perPod = (after.conmonKiB + after.catatonitKiB + growth) / PODS;
      console.log(
        `  memory per pod: ${f1(perPod / 1024)} MiB (monitors + pause ${f1((after.conmonKiB + after.catatonitKiB) / PODS / 1024)} MiB, node process growth ${f1(growth / PODS / 1024)} MiB)`,
      );
      // Where the density time went, from the agent's runtime trace: each call's spread, and how many pods
      // were inside the runtime at once.
      const burst = readTrace(tracePath).filter((l) => l.start >= tD0 && l.start <= tD1);
      if (burst.length > 0) {
        console.log('  runtime calls in the burst (count, p50 ms, max ms; first start, last end after create):');
        for (const m of ['runPodSandbox', 'createContainer', 'startContainer']) {
          const ls = burst.filter((l) => l.m === m);
          if (ls.length === 0) continue;
          const xs = ls.map((l) => l.ms);
          const first = Math.min(...ls.map((l) => l.start)) - tD0;
          const last = Math.max(...ls.map((l) => l.start + l.ms)) - tD0;
          console.log(`    ${m.padEnd(16)} ${String(ls.length).padStart(4)} ${f1(pct(xs, 50)).padStart(8)} ${f1(Math.max(...xs)).padStart(8)}   ${f1(first)} → ${f1(last)}`);
        }
        const edges = burst
          .filter((l) => l.m === 'runPodSandbox' || l.m === 'startContainer')
          .map((l) => (l.m === 'runPodSandbox' ? [l.start, 1] : [l.start + l.ms, -1]) as [number, number])
          .sort((x, y) => x[0] - y[0]);
        let inside = 0;
        let most = 0;
        for (const [, d] of edges) most = Math.max(most, (inside += d));
        console.log(`    pods between runPodSandbox and their container's start, at most: ${most}`);
      }
      const gone = Promise.all(names.map((n) => watch.until(n, (_p, type) => type === 'DELETED')));
      const tX0 = now();
      await Promise.all(names.map((n) => pods.delete(n)));
      await gone;
      console.log(`  delete all → all gone: ${f1(now() - tX0)} ms`);

      if (PODMAN) {
        const file = join(work, 'density.yaml');
        writeFileSync(file, names.map((n) => podYaml(podSpec(`pd-${n}`, 1, BUSYBOX_IMAGE))).join('\n---\n'));
        const t0 = now();
        const play = await run('podman', ['kube', 'play', file], podmanEnv);
        const t1 = now();
        if (play.code !== 0) console.log(`podman kube play failed: ${play.stderr.slice(-500)}`);
        cleanups.push(async () => void (await run('podman', ['kube', 'down', file], podmanEnv)));
        await sleep(2000);
        const ps = await run('podman', ['ps', '--pod', '--no-trunc', '--format', '{{.ID}} {{.PodName}}'], podmanEnv);
        const ids = new Set(
          ps.stdout
            .split('\n')
            .map((l) => l.split(' '))
            .filter(([, pod]) => pod?.startsWith('pd-d-'))
            .map(([id]) => id!),
        );
        const pm = monitorMemory((p) => [...ids].some((id) => p.cmdline.includes(id)));
        console.log(
          `podman: kube play of ${PODS} pods took ${f1(t1 - t0)} ms (${f1((PODS * 1000) / (t1 - t0))} pods/s); kubeling ${f1((t1 - t0) / (tD1 - tD0))}x`,
        );
        console.log(
          `  conmon: ${pm.conmons} processes, ${f1(pm.conmonKiB / 1024)} MiB PSS; catatonit: ${pm.catatonits}, ${f1(pm.catatonitKiB / 1024)} MiB PSS`,
        );
        console.log(`  memory per pod: ${f1((pm.conmonKiB + pm.catatonitKiB) / PODS / 1024)} MiB (monitors + pause)`);
        const t2 = now();
        await run('podman', ['kube', 'down', file], podmanEnv);
        console.log(`  kube down of ${PODS} pods: ${f1(now() - t2)} ms`);
      }
    }
    // ---- 3. series
    if (SERIES > 0) {
      console.log(`\n== ${SERIES} one-container pods in a row (each created once the one before is Ready)`);
      const names = Array.from({ length: SERIES }, (_, i) => `s-${i}`);
      const req0 = await requests();
      const t0 = now();
      const each: number[] = [];
      for (const n of names) {
        const ready = watch.until(n, (p) => !!p && isReady(p));
        const t = now();
        await pods.create(podSpec(n, 1, BUSYBOX_IMAGE));
        each.push((await ready) - t);
      }
      const took = now() - t0;
      console.log(`kubeling: ${SERIES} pods in ${f1(took)} ms (${f1((SERIES * 1000) / took)} pods/s); create→Ready ${stats(each)}`);
      console.log(`  API requests: ${requestsPerPod(req0, await requests(), SERIES)}`);
      const calls = names.map((n) => podCalls(readTrace(tracePath), n)).filter((c) => c !== undefined);
      if (calls.length > 0) {
        console.log(`  runPodSandbox ${stats(calls.map((c) => c.sandbox.ms))}`);
        console.log(`  createContainer ${stats(calls.flatMap((c) => c.creates.map((x) => x.ms)))}`);
      }
      const gone = Promise.all(names.map((n) => watch.until(n, (_p, type) => type === 'DELETED')));
      await Promise.all(names.map((n) => pods.delete(n)));
      await gone;
      if (PODMAN) {
        const files = names.map((n) => {
          const file = join(work, `ps-${n}.json`);
          writeFileSync(file, podYaml(podSpec(`ps-${n}`, 1, BUSYBOX_IMAGE)));
          return file;
        });
        let down = false;
        cleanups.push(async () => {
          if (!down) for (const f of files) await run('podman', ['kube', 'down', f], podmanEnv);
        });
        const p0 = now();
        for (const file of files) {
          const play = await run('podman', ['kube', 'play', file], podmanEnv);
          if (play.code !== 0) throw new Error(`podman kube play: ${play.stderr}`);
        }
        const ptook = now() - p0;
        console.log(`podman: ${SERIES} kube play in a row ${f1(ptook)} ms (${f1((SERIES * 1000) / ptook)} pods/s); kubeling ${f1(ptook / took)}x`);
        // Untimed: four at a time (podman takes seconds to tear a pod down).
        for (let i = 0; i < files.length; i += 4)
          await Promise.all(files.slice(i, i + 4).map((f) => run('podman', ['kube', 'down', f], podmanEnv)));
        down = true;
      }
    }
    console.log(`\nload average at the end: ${loadavg()}`);
  } finally {
    await cleanup();
    removeNewPodmanCgroups(podmanCgroups);
  }
  if (flags['cpu-prof']) console.log(`\nnode CPU profile written to ${resolve(flags['cpu-prof'])}`);
}

main().catch((err: Error) => {
  console.error(`bench/kubelet: ${err.message}`);
  process.exitCode = 1;
});
