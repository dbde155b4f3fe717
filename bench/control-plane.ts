#!/usr/bin/env node
/**
 * The control plane at scale (issue 15): a `kubeling server --no-agent` (fake runtime) with `--nodes` simulated
 * nodes heartbeating from one `kubeling agent --simulate`, filled with pods in steps (`--pods 30000,100000`).
 * Prints figures; asserts nothing.
 *
 *   node bench/control-plane.ts [--nodes 1000] [--pods 30000,100000] [--storage sqlite,etcd] [--watchers 100]
 *                               [--concurrency 32] [--namespaces 10] [--probe-every 100] [--cpu-prof DIR]
 *                               [--heap-snapshot DIR] [--skip-lists] [--lists table,json] [--node-args '--v8-flag=…']
 *
 * Pods are created through the API by `--concurrency` clients in flight, bound with `spec.nodeName` round-robin
 * to the simulated nodes (the scheduler is not measured here: bench/scheduler.ts is), spread over
 * `--namespaces` namespaces; the simulated kubelets run them and write their status (so every pod is written
 * twice or more). Every `--probe-every`th pod carries `bench=probe`; `--watchers` watches on all pods with that
 * label selector (each its own TLS connection, as separate clients; the server still runs every watcher's
 * filter on every pod event) time each probe: watch lag = create request sent → ADDED seen by a watcher
 * (p50/p99 over every watcher and probe), create → Running = create request sent → the first event showing
 * phase Running. After each step, with every pod Running:
 *   - `kubectl get pods -A` (the real kubectl 1.32: server-side Table, in pages of 500 as kubectl asks) and
 *     `kubectl get pods -A -o json`, wall time of the kubectl process, output discarded;
 *   - the server's RSS and PSS (/proc), and RSS growth per 1,000 pods from the idle server with its nodes;
 *   - the store's size on disk (sqlite: state.db with its WAL; etcd: its data dir).
 * Last, the restart: the agent and server stop (SIGTERM), and the server starts again on the same data dir:
 * time from spawn to its `ready` line with every object stored, and its RSS just after.
 *
 * Memory per pod (issue 15), `--nodes 100 --pods 10000 --watchers 100 --skip-lists --heap-snapshot DIR`, sqlite,
 * load 12–15 on the shared 2-core machine; copies and live heap by bench/heap-copies.ts:
 *
 *                                   before (752c810)     after (one copy: in-process informers, no parsed
 *                                                        second copy of written objects, no per-event lines,
 *                                                        unpooled JSON, interned strings)
 *   pod copies in the heap          3.7                  1.7 (the watch cache + older versions in its ring)
 *   live heap / per pod             592 MiB / 60.7 KiB   258 MiB / 26.4 KiB
 *   RSS / growth per 1,000 pods     949 / 69.5 MiB       645–662 / 41.7–42.9 MiB
 *   watch lag p50 / p99             1,824 / 7,230 ms     772–1,275 / 2,229–3,110 ms
 *   restart: ready, RSS → 5 s later 17.1 s, 422 → 573    3.8–11.0 s, 403 → 437–450 MiB
 *
 * After, at 30,000 pods (load 8–13): RSS 1,041 MiB (1,905 before), 27.1 MiB per 1,000 pods, watch lag p50 949 ms /
 * p99 4.0 s, restart ready 10.4 s, RSS 655 → 721 MiB 5 s later (690 MiB → 2.0 GiB before).
 *
 * Then (JSON kept only while recent, Buffer.poolSize 8 KiB, the server's V8 heap settings; back to back against
 * b49b9f0, load 5–9): 10,000 pods RSS 535 → 407 MiB, 30,000 pods 865 → 630 MiB; 100,000 pods (after only,
 * `--pods 30000,100000`) RSS 1,163 MiB, 9.8 MiB per 1,000 pods, restart to ready 10.2 s.
 *
 * `--cpu-prof DIR` writes the server's V8 CPU profiles (both runs of it) into DIR. `--heap-snapshot DIR` writes a
 * heap snapshot of the server into DIR after each step (bench/heap-copies.ts counts the decoded copies of each
 * pod in it and who holds them). `--skip-lists` leaves out the kubectl and paged-list timings; `--lists table`
 * keeps the Table's (kubectl get's own) and leaves out `-o json`'s, which takes minutes at 100,000 pods.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KUBECTL, KUBELING_BIN, startServer, type ServerHandle } from '../test/e2e/helpers/server.ts';
import { startEtcd, type EtcdHandle } from '../test/fixtures/etcd.ts';
import { cpuMs, pssMiB, residentBreakdown, rssMiB } from './proc-stats.ts';

const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '30000,100000' },
    storage: { type: 'string', default: 'sqlite,etcd' },
    watchers: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '32' },
    namespaces: { type: 'string', default: '10' },
    'probe-every': { type: 'string', default: '100' },
    'cpu-prof': { type: 'string' },
    'heap-snapshot': { type: 'string' },
    'skip-lists': { type: 'boolean', default: false },
    lists: { type: 'string', default: 'table,json' },
    // Extra node/V8 options for the server process (space-separated), e.g. '--max-semi-space-size=16'.
    'node-args': { type: 'string', default: '' },
    // How long to wait for the pods of one step to be Running before measuring anyway.
    'running-timeout': { type: 'string', default: '1800' },
  },
});
const NODES = Number(flags.nodes);
const STEPS = flags.pods!.split(',').map(Number);
const WATCHERS = Number(flags.watchers);
const CONCURRENCY = Number(flags.concurrency);
const NAMESPACES = Number(flags.namespaces);
const PROBE_EVERY = Number(flags['probe-every']);
const MAX_PODS = Math.max(...STEPS);

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const ms = (v: number) => `${Math.round(v)} ms`;
const s = (v: number) => `${(v / 1000).toFixed(2)} s`;

/** Bytes under `path` (a file or a directory tree). */
function diskBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + diskBytes(join(path, name)), 0);
}

class Api {
  readonly agent: https.Agent;
  readonly #server: ServerHandle;
  constructor(server: ServerHandle) {
    this.#server = server;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: Infinity, ca: server.caPem });
  }
  request(method: string, path: string, body?: unknown, accept?: string): Promise<{ status: number; text: string }> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: this.#server.port, path, method, agent: this.agent,
        headers: { authorization: `Bearer ${this.#server.token}`, ...(accept ? { accept } : {}), ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }
  async json<T>(path: string): Promise<T> {
    const r = await this.request('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text.slice(0, 300)}`);
    return JSON.parse(r.text) as T;
  }
}

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

/** Every pod in pages of 500 as kubectl asks, fetched and parsed by the bench: the server's part of `kubectl get`. */
async function pagedList(api: Api, accept: string | undefined): Promise<{ wall: number; pages: number; items: number }> {
  const start = performance.now();
  let cont = '';
  let pages = 0;
  let items = 0;
  do {
    const r = await api.request('GET', `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, undefined, accept);
    if (r.status !== 200) throw new Error(`list: ${r.status} ${r.text.slice(0, 300)}`);
    const page = JSON.parse(r.text) as { metadata: { continue?: string }; items?: unknown[]; rows?: unknown[] };
    cont = page.metadata.continue ?? '';
    items += (page.items ?? page.rows ?? []).length;
    pages++;
  } while (cont);
  return { wall: performance.now() - start, pages, items };
}

/** Probe pods: when each create was sent, and when watchers saw it. */
class Probes {
  readonly sentAt = new Map<string, number>();
  readonly lags: number[] = [];
  readonly toRunning: number[] = [];
  readonly #running = new Set<string>();
  seen(name: string, running: boolean): void {
    const sent = this.sentAt.get(name);
    if (sent === undefined) return;
    const now = performance.now();
    if (running && !this.#running.has(name)) {
      this.#running.add(name);
      this.toRunning.push(now - sent);
    }
  }
  added(name: string): void {
    const sent = this.sentAt.get(name);
    if (sent !== undefined) this.lags.push(performance.now() - sent);
  }
  reset(): void {
    this.lags.length = 0;
    this.toRunning.length = 0;
  }
}

/** `count` watches on probe pods from `rv`; each line is only searched for the pod's name and phase. */
function openWatchers(server: ServerHandle, count: number, rv: string, probes: Probes): { close: () => void; ready: Promise<void> } {
  const agent = new https.Agent({ keepAlive: false, maxSockets: Infinity, ca: server.caPem });
  const requests: ReturnType<typeof https.request>[] = [];
  const ready = Promise.all(Array.from({ length: count }, (_, w) => new Promise<void>((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: server.port, agent,
      path: `/api/v1/pods?watch=true&resourceVersion=${rv}&labelSelector=bench%3Dprobe`,
      headers: { authorization: `Bearer ${server.token}` },
    }, (res) => {
      resolve();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const name = /"name":"(probe-\d+)"/.exec(line)?.[1];
          if (!name) continue;
          if (line.startsWith('{"type":"ADDED"')) probes.added(name);
          // One watcher's view is enough for create → Running.
          if (w === 0) probes.seen(name, line.includes('"phase":"Running"'));
        }
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
    req.end();
    requests.push(req);
  }))).then(() => undefined);
  return { ready, close: () => { for (const r of requests) r.destroy(); agent.destroy(); } };
}

/** Runs kubectl with its output counted and dropped; resolves to [wall ms, output lines, exit code]. */
async function timeKubectl(server: ServerHandle, args: string[]): Promise<{ wall: number; lines: number; code: number | null; stderr: string }> {
  const start = performance.now();
  const child = spawn(KUBECTL, ['--cache-dir', join(server.dataDir, 'kubectl-home', '.kube', 'cache'), ...args], { env: server.kubectlEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { wall: performance.now() - start, lines, code, stderr: stderr.slice(0, 500) };
}

/**
 * The server's memory as V8 sees it (prom-client's default metrics at /metrics), MiB: heap in use and its size,
 * the old space's share, external memory (Buffers, ArrayBuffers: the cached JSON), so that RSS splits into live
 * heap, V8's headroom (heap size minus use), external memory and the rest (code, malloc, thread stacks).
 */
async function heapUsed(api: Api): Promise<string> {
  const r = await api.request('GET', '/metrics');
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(r.text)?.[1]) / 2 ** 20;
  const space = (name: string, space: string) => Number(new RegExp(`^${name}\\{space="${space}"\\} (\\S+)`, 'm').exec(r.text)?.[1]) / 2 ** 20;
  const f = (v: number) => v.toFixed(0);
  return `${f(value('nodejs_heap_size_used_bytes'))} MiB used of ${f(value('nodejs_heap_size_total_bytes'))} MiB ` +
    `(old space ${f(space('nodejs_heap_space_size_used_bytes', 'old'))} of ${f(space('nodejs_heap_space_size_total_bytes', 'old'))}, ` +
    `new space ${f(space('nodejs_heap_space_size_total_bytes', 'new'))}), external ${f(value('nodejs_external_memory_bytes'))} MiB`;
}

function resident(pid: number): string {
  const r = residentBreakdown(pid);
  return `resident: malloc heap ${r.mallocHeap} MiB, other anonymous ${r.anonymous} MiB, files ${r.files} MiB`;
}

/** Asks the server for a heap snapshot (SIGUSR2, --heapsnapshot-signal) and waits until it is written; its path. */
async function heapSnapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (;;) {
    await sleep(1000);
    const made = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!made) continue;
    // Written once its size stops changing (V8 streams it out).
    const path = join(dir, made);
    let size = -1;
    while (statSync(path).size !== size || size === 0) {
      size = statSync(path).size;
      await sleep(2000);
    }
    return path;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stuck = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await once(child, 'exit');
  clearTimeout(stuck);
}

async function benchStorage(storage: 'sqlite' | 'etcd'): Promise<void> {
  let etcd: EtcdHandle | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-bench-cp-'));
  const agentDir = mkdtempSync(join(tmpdir(), 'kubeling-bench-cp-agent-'));
  let server: ServerHandle | undefined;
  let agent: ChildProcess | undefined;
  const closers: (() => void)[] = [];
  try {
    if (storage === 'etcd') etcd = await startEtcd();
    const storageArgs = etcd ? ['--storage', `etcd://${etcd.url.replace(/^http:\/\//, '')}`] : [];
    const nodeArgs = [
      ...flags['node-args']!.split(' ').filter(Boolean),
      ...(flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : []),
      ...(flags['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${flags['heap-snapshot']}`] : []),
    ];
    const serverOptions = {
      storage: 'sqlite' as const, runtime: 'fake' as const, noAgent: true, dataDir, nodeArgs,
      args: ['--kube-api-qps', '1000', '--kube-api-burst', '2000', ...storageArgs], stopTimeoutMs: 120_000, readyTimeoutMs: 600_000,
    };
    console.log(`\n== ${storage}: ${NODES} simulated nodes, pods in steps of ${STEPS.join(', ')}, ${WATCHERS} watchers, ${CONCURRENCY} creates in flight (load ${load()}) ==`);
    server = await startServer(serverOptions);
    const api = new Api(server);
    closers.push(() => api.agent.destroy());
    const idleRss = rssMiB(server.process.pid!);

    const token = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    const perNode = Math.ceil(MAX_PODS / NODES) + 10;
    agent = spawn(process.execPath, [KUBELING_BIN, 'agent', '--server', server.url, '--token', token, '--data-dir', agentDir, '--runtime', 'fake',
      '--simulate', String(NODES), '--node-capacity', `cpu=${Math.max(8, Math.ceil(perNode / 50))},memory=1Ti,pods=${perNode}`], { stdio: 'ignore' });
    const nodesStart = performance.now();
    for (;;) {
      const nodes = await api.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>('/api/v1/nodes');
      if (nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= NODES) break;
      await sleep(1000);
    }
    console.log(`nodes: ${NODES} Ready ${s(performance.now() - nodesStart)} after the agent started; server RSS ${rssMiB(server.process.pid!)} MiB (${idleRss} MiB before the nodes)`);
    const baseRss = rssMiB(server.process.pid!);
    console.log(`server with its nodes: ${await heapUsed(api)}; ${resident(server.process.pid!)}`);

    for (let n = 0; n < NAMESPACES; n++) {
      const r = await api.request('POST', '/api/v1/namespaces', { metadata: { name: `cp-${n}` } });
      if (r.status !== 201) throw new Error(`namespace: ${r.status} ${r.text}`);
    }
    const probes = new Probes();
    const rv = (await api.json<{ metadata: { resourceVersion: string } }>('/api/v1/pods?limit=1')).metadata.resourceVersion;
    const watchers = openWatchers(server, WATCHERS, rv, probes);
    closers.push(watchers.close);
    const connectStart = performance.now();
    await watchers.ready;
    console.log(`watchers: ${WATCHERS} connected in ${ms(performance.now() - connectStart)}`);

    let created = 0;
    for (const target of STEPS) {
      probes.reset();
      const createLat: number[] = [];
      const stepStart = performance.now();
      const cpuStart = cpuMs(server.process.pid!);
      const from = created;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (created < target) {
          const i = created++;
          const probe = i % PROBE_EVERY === 0;
          const name = probe ? `probe-${i}` : `pod-${i}`;
          const ns = `cp-${i % NAMESPACES}`;
          const body = {
            apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'cp', ...(probe ? { bench: 'probe' } : {}) } },
            spec: { nodeName: `simulated-${i % NODES}`, containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', 'infinity'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
          };
          const t0 = performance.now();
          if (probe) probes.sentAt.set(name, t0);
          const r = await api.request('POST', `/api/v1/namespaces/${ns}/pods`, body);
          if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text.slice(0, 300)}`);
          createLat.push(performance.now() - t0);
        }
      }));
      const createWall = performance.now() - stepStart;
      createLat.sort((a, b) => a - b);
      // Every pod Running: the pods not Running yet, from the watch cache (cheap to ask while it is large).
      let notRunning = -1;
      const deadline = performance.now() + Number(flags['running-timeout']) * 1000;
      while (performance.now() < deadline) {
        notRunning = (await api.json<{ items: unknown[] }>('/api/v1/pods?resourceVersion=0&fieldSelector=status.phase%21%3DRunning')).items.length;
        if (notRunning === 0) break;
        await sleep(2000);
      }
      const allRunning = performance.now() - stepStart;
      const stepCpu = cpuMs(server.process.pid!) - cpuStart;
      await sleep(3000);
      const lags = [...probes.lags].sort((a, b) => a - b);
      const running = [...probes.toRunning].sort((a, b) => a - b);
      const pid = server.process.pid!;
      const rss = rssMiB(pid);
      const disk = storage === 'sqlite' ? diskBytes(join(dataDir, 'state.db')) + diskBytes(join(dataDir, 'state.db-wal')) : 0;
      console.log(`\n-- ${target} pods (load ${load()}) --`);
      console.log(`creates: ${target - from} in ${s(createWall)} (${Math.round((target - from) / (createWall / 1000))}/s), p50 ${ms(pct(createLat, 50))}, p99 ${ms(pct(createLat, 99))}; all Running ${s(allRunning)} after the step began${notRunning ? ` (${notRunning} NOT Running at the deadline)` : ''}`);
      console.log(`server CPU: ${s(stepCpu)} for the step (creates until all Running), ${(stepCpu / (target - from) * 1000).toFixed(0)} µs per pod`);
      console.log(`watch lag (create sent → ADDED at each of ${WATCHERS} watchers, ${lags.length} deliveries): p50 ${ms(pct(lags, 50))}, p99 ${ms(pct(lags, 99))}, max ${ms(lags.at(-1) ?? NaN)}`);
      console.log(`create → Running (${running.length} probes): p50 ${ms(pct(running, 50))}, p99 ${ms(pct(running, 99))}`);
      console.log(`server memory: RSS ${rss} MiB, PSS ${pssMiB(pid)} MiB; growth ${((rss - baseRss) / (target / 1000)).toFixed(1)} MiB per 1,000 pods`);
      if (storage === 'sqlite') console.log(`sqlite: state.db + WAL ${(disk / 2 ** 20).toFixed(0)} MiB`);
      console.log(`server heap: ${await heapUsed(api)}; ${resident(pid)}`);
      // What the burst leaves: V8's memory reducer and free() give memory back (or not) once the creates stop.
      await sleep(30_000);
      console.log(`30 s later: RSS ${rssMiB(pid)} MiB, heap ${await heapUsed(api)}; ${resident(pid)}`);
      if (flags['heap-snapshot']) console.log(`heap snapshot: ${await heapSnapshot(pid, flags['heap-snapshot'])}`);
      if (flags['skip-lists']) continue;
      const lists = new Set(flags.lists.split(','));
      const kubectlLists = [['table', 'kubectl get pods -A (Table)', ['get', 'pods', '-A']], ['json', 'kubectl get pods -A -o json', ['get', 'pods', '-A', '-o', 'json']]] as const;
      for (const [, label, args] of kubectlLists.filter(([kind]) => lists.has(kind))) {
        const walls: number[] = [];
        let lines = 0;
        for (let run = 0; run < 2; run++) {
          const r = await timeKubectl(server, [...args]);
          if (r.code !== 0) console.log(`  ${label} failed (${r.code}): ${r.stderr}`);
          walls.push(r.wall);
          lines = r.lines;
        }
        console.log(`${label}: ${walls.map(s).join(', ')} (${lines} lines)`);
      }
      for (const [label, accept] of ([['Table', TABLE], ['JSON', undefined]] as const).filter(([l]) => lists.has(l.toLowerCase()))) {
        const runs = [await pagedList(api, accept), await pagedList(api, accept)];
        console.log(`  the server's part, ${label} in pages of 500 fetched by the bench: ${runs.map((r) => s(r.wall)).join(', ')} (${runs[0]!.pages} pages, ${runs[0]!.items} ${label === 'Table' ? 'rows' : 'items'})`);
      }
    }
    if (etcd) {
      const metrics = await (await fetch(`${etcd.url}/metrics`)).text();
      const size = Number(/^etcd_mvcc_db_total_size_in_bytes (\S+)/m.exec(metrics)?.[1]);
      console.log(`etcd: database ${(size / 2 ** 20).toFixed(0)} MiB (etcd_mvcc_db_total_size_in_bytes, no compaction by the bench)`);
    }

    // Restart with every object stored: the agent goes first, so the figure is the server's alone.
    for (const close of closers.splice(0)) close();
    await stopChild(agent);
    const objects = created + NODES * 2 + NAMESPACES;
    await server.stop();
    const restartStart = performance.now();
    server = await startServer(serverOptions);
    const restart = performance.now() - restartStart;
    console.log(`\nrestart: ready ${s(restart)} after spawn with ~${objects} objects (pods, nodes, leases, …) (load ${load()}); RSS then ${rssMiB(server.process.pid!)} MiB`);
    await sleep(5000);
    console.log(`  5 s later RSS ${rssMiB(server.process.pid!)} MiB`);
    const t = await timeKubectl(server, ['get', 'pods', '-A']);
    console.log(`  kubectl get pods -A after the restart: ${s(t.wall)} (${t.lines} lines)`);
  } finally {
    for (const close of closers) close();
    if (agent) await stopChild(agent);
    await server?.stop();
    await etcd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(agentDir, { recursive: true, force: true });
  }
}

for (const storage of flags.storage!.split(',')) {
  if (storage !== 'sqlite' && storage !== 'etcd') throw new Error(`unknown storage ${storage} (want sqlite or etcd)`);
  await benchStorage(storage);
}
