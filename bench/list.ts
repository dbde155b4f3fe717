#!/usr/bin/env node
/**
 * `kubectl get pods -A` at scale (issue 15): where the time of a large paged list goes. A `kubeling server
 * --no-agent --disable-scheduler --disable-controller-manager` (fake runtime) is filled with `--pods` pods by
 * `--concurrency` clients, each pod bound to a made-up node and given a Running status through `pods/status`
 * (what a kubelet writes: conditions, IPs, one container status), so the objects are the size of real ones
 * with two managedFields entries. Then, for each list:
 *   - the real kubectl 1.32 (`get pods -A`, and `-o json`): wall time of the process, output dropped, and with
 *     `-v=6` the sum of the per-request times kubectl logs (request sent → response headers);
 *   - a bare client making the same page requests (limit=500, continue) with kubectl's headers (Accept as
 *     kubectl sends it, `Accept-Encoding: gzip`), never parsing: per page the time to the first byte and to
 *     the last, and the bytes on the wire (and decompressed when gzipped); and the server's CPU time over the
 *     pages (user + system, all threads, from /proc: less at the mercy of the machine's load than wall time);
 *   - with `--floor`, kubectl's floor: the same Table pages replayed from memory by a plain-HTTP stub, so
 *     kubectl's wall time is its own decoding and printing (as sent, gzipped, and without managedFields in
 *     the rows' objects, to show what they cost kubectl).
 * Prints figures; asserts nothing.
 *
 *   node bench/list.ts [--pods 10000] [--storage memory|sqlite] [--concurrency 32] [--namespaces 10] [--runs 2]
 *                      [--cpu-prof DIR]
 *
 * `--cpu-prof DIR` writes the server's V8 CPU profile into DIR (at its exit); `--server-only` skips kubectl.
 *
 * Figures (the shared 2-core machine, others' tests running; December 2026, after the list-body change):
 *   5,000 pods, load 11–14: kubectl get pods -A 2.35–2.42 s wall, 1.0–1.1 s CPU, peak RSS 184–199 MiB; the
 *     server's CPU for its 10 pages 0.13–0.16 s; kubectl's floor (stub) 1.1 s CPU gzipped or not, 0.2–0.3 s
 *     CPU and 73 MiB without managedFields in the rows; -o json 12–17 s wall, 5.1 s kubectl CPU, 0.09–0.10 s
 *     server CPU.
 *   10,000 pods, load 12–15: before (752c810) kubectl 7.5–8.4 s, the pages' server CPU 0.35 s, 18.0 MiB on
 *     the wire; after 7.1–8.1 s, 0.34–0.38 s (gzip included), 0.9 MiB; floor 5.2–7.0 s (2.8 s without
 *     managedFields).
 *   30,000 pods, load 12–13: kubectl 20.6–22.2 s; bare pages 2.1–3.5 s, server CPU 1.0–1.1 s, 54 MiB of JSON,
 *     2.5 MiB gzipped; floor 18.3–19.6 s (13.7–16.1 s without managedFields); -o json 131–171 s, its pages
 *     3.2–3.6 s (server CPU 0.6–0.7 s).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGunzip, gzipSync } from 'node:zlib';
import { KUBECTL, startServer, type ServerHandle } from '../test/e2e/helpers/server.ts';
import { rssMiB } from './proc-stats.ts';

/** CPU seconds (user + system, every thread) the process has used: /proc/PID/stat, in clock ticks of 10 ms. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '10000' },
    storage: { type: 'string', default: 'memory' },
    concurrency: { type: 'string', default: '32' },
    namespaces: { type: 'string', default: '10' },
    runs: { type: 'string', default: '2' },
    'cpu-prof': { type: 'string' },
    floor: { type: 'boolean', default: false },
    // Only the bare client's pages (no kubectl runs): quick server-side iterations with --cpu-prof.
    'server-only': { type: 'boolean', default: false },
  },
});
const PODS = Number(flags.pods);
const CONCURRENCY = Number(flags.concurrency);
const NAMESPACES = Number(flags.namespaces);
const RUNS = Number(flags.runs);
const STORAGE = flags.storage as 'memory' | 'sqlite';

/** What kubectl 1.32 `get` sends (`-v=8`): a Table first, plain JSON as the fallback. */
const KUBECTL_TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const s = (v: number) => `${(v / 1000).toFixed(2)} s`;
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

interface PageTiming {
  ttfb: number;
  ttlb: number;
  wireBytes: number;
  bodyBytes: number;
}

class Api {
  readonly agent: https.Agent;
  readonly #server: ServerHandle;
  constructor(server: ServerHandle) {
    this.#server = server;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: Infinity, ca: server.caPem });
  }
  request(method: string, path: string, body?: unknown, contentType = 'application/json', accept?: string): Promise<{ status: number; text: string; contentType: string }> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: this.#server.port, path, method, agent: this.agent,
        headers: { authorization: `Bearer ${this.#server.token}`, ...(accept ? { accept } : {}), ...(data ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), contentType: res.headers['content-type'] ?? '' }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  /** One page as kubectl asks for it; the body is only scanned for the continue token, never parsed. */
  page(path: string, accept: string | undefined): Promise<PageTiming & { continueToken: string }> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = https.request({
        host: '127.0.0.1', port: this.#server.port, path, method: 'GET', agent: this.agent,
        headers: { authorization: `Bearer ${this.#server.token}`, 'accept-encoding': 'gzip', ...(accept ? { accept } : {}) },
      }, (res) => {
        const ttfb = performance.now() - t0;
        let wireBytes = 0;
        res.on('data', (c: Buffer) => (wireBytes += c.length));
        const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
        const chunks: Buffer[] = [];
        body.on('data', (c: Buffer) => chunks.push(c));
        body.on('end', () => {
          const ttlb = performance.now() - t0;
          const text = Buffer.concat(chunks);
          if (res.statusCode !== 200) return reject(new Error(`list: ${res.statusCode} ${text.subarray(0, 300).toString()}`));
          // The list metadata comes before the items/rows; the token is in its first bytes.
          const head = text.subarray(0, 4096).toString();
          const continueToken = /"continue":"([^"]*)"/.exec(head)?.[1] ?? '';
          resolve({ ttfb, ttlb, wireBytes, bodyBytes: text.length, continueToken });
        });
        body.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }
}

/** Every pod in pages of 500 with kubectl's headers: per-page timings and sizes. */
async function pagedList(api: Api, accept: string | undefined): Promise<{ wall: number; pages: PageTiming[] }> {
  const start = performance.now();
  const pages: PageTiming[] = [];
  let cont = '';
  do {
    const p = await api.page(`/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, accept);
    pages.push(p);
    cont = p.continueToken;
  } while (cont);
  return { wall: performance.now() - start, pages };
}

function describePages(pages: PageTiming[]): string {
  const ttfb = pages.map((p) => p.ttfb).sort((a, b) => a - b);
  const ttlb = pages.map((p) => p.ttlb).sort((a, b) => a - b);
  const wire = pages.reduce((n, p) => n + p.wireBytes, 0);
  const body = pages.reduce((n, p) => n + p.bodyBytes, 0);
  return `${pages.length} pages; per page first byte p50 ${ttfb[Math.floor(ttfb.length / 2)]!.toFixed(0)} / p99 ${pct(ttfb, 99).toFixed(0)} ms, ` +
    `last byte p50 ${ttlb[Math.floor(ttlb.length / 2)]!.toFixed(0)} / p99 ${pct(ttlb, 99).toFixed(0)} ms; ` +
    `${mib(body)} of JSON (${(body / pages.length / 1024).toFixed(0)} KiB a page)${wire !== body ? `, ${mib(wire)} on the wire (gzip)` : ''}`;
}

/** kubectl under /usr/bin/time (when there) so its CPU time and peak RSS are known, not only its wall time. */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function spawnKubectl(args: string[], env: NodeJS.ProcessEnv, stdout: 'pipe' | 'ignore') {
  return TIME
    ? spawn(TIME, ['-f', 'KUBECTL-RUSAGE %U %S %M', KUBECTL, ...args], { env, stdio: ['ignore', stdout, 'pipe'] })
    : spawn(KUBECTL, args, { env, stdio: ['ignore', stdout, 'pipe'] });
}

/** ", CPU 12.3 s, peak RSS 456 MiB" from /usr/bin/time's line in kubectl's stderr, or ''. */
function rusageOf(stderr: string): string {
  const m = /KUBECTL-RUSAGE (\S+) (\S+) (\d+)/.exec(stderr);
  return m ? `, CPU ${(Number(m[1]) + Number(m[2])).toFixed(1)} s, peak RSS ${Math.round(Number(m[3]) / 1024)} MiB` : '';
}

/** Runs kubectl with its output counted and dropped; `-v=6` lines give kubectl's own per-request times. */
async function timeKubectl(server: ServerHandle, args: string[]): Promise<{ wall: number; lines: number; requestMs: number; requests: number; stderr: string; code: number | null; rusage: string }> {
  const start = performance.now();
  const child = spawnKubectl(['--cache-dir', join(server.dataDir, 'kubectl-home', '.kube', 'cache'), ...args], server.kubectlEnv, 'pipe');
  let lines = 0;
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wall = performance.now() - start;
  let requestMs = 0;
  let requests = 0;
  for (const m of stderr.matchAll(/GET https:\S+\/api\/v1\/pods\?\S* 200 OK in (\d+) milliseconds/g)) {
    requestMs += Number(m[1]);
    requests++;
  }
  return { wall, lines, requestMs, requests, stderr: code === 0 ? '' : stderr.slice(-500), code, rusage: rusageOf(stderr) };
}

/**
 * kubectl's floor: the Table pages the server sent, fetched once and replayed from memory by a plain-HTTP stub
 * (no TLS, no server work; discovery passes through to the server), so kubectl's wall time is its own
 * decoding and printing. Variants: the rows as sent; their `object` without managedFields; gzipped as sent.
 */
async function kubectlFloor(api: Api): Promise<void> {
  const pages: Buffer[] = [];
  let cont = '';
  do {
    const r = await api.request('GET', `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, undefined, 'application/json', KUBECTL_TABLE_ACCEPT);
    pages.push(Buffer.from(r.text));
    cont = (JSON.parse(r.text) as { metadata: { continue?: string } }).metadata.continue ?? '';
  } while (cont);
  const variants: [string, Buffer[], boolean][] = [
    ['rows as sent', pages, false],
    ['rows as sent, gzipped', pages, true],
    ['row objects without managedFields', pages.map((p) => {
      const t = JSON.parse(p.toString()) as { rows: { object?: { metadata?: { managedFields?: unknown } } }[] };
      for (const row of t.rows) delete row.object?.metadata?.managedFields;
      return Buffer.from(JSON.stringify(t));
    }), false],
  ];
  const home = mkdtempSync(join(tmpdir(), 'kubeling-bench-list-'));
  try {
    for (const [label, bodies, gzip] of variants) {
      // Page i's continue token is just `i`; the bodies' own tokens are swapped for those.
      const served = bodies.map((b, i) => {
        const text = b.toString().replace(/"continue":"[^"]*"/, i + 1 < bodies.length ? `"continue":"${i + 1}"` : '"continue":""');
        return gzip ? gzipSync(text, { level: 1 }) : Buffer.from(text);
      });
      const stub = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://stub');
        if (url.pathname === '/api/v1/pods') {
          const body = served[Number(url.searchParams.get('continue') ?? 0)]!;
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
          res.end(body);
          return;
        }
        void api.request('GET', req.url ?? '/', undefined, 'application/json', req.headers.accept).then((r) => {
          res.writeHead(r.status, { 'Content-Type': r.contentType });
          res.end(r.text);
        });
      });
      stub.listen(0, '127.0.0.1');
      await once(stub, 'listening');
      const port = (stub.address() as { port: number }).port;
      const kubeconfig = join(home, `${label.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: stub, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: stub, context: {cluster: stub, user: u}}]\ncurrent-context: stub\n`);
      const walls: string[] = [];
      for (let run = 0; run < RUNS; run++) {
        const start = performance.now();
        const child = spawnKubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), 'get', 'pods', '-A'], { ...process.env, HOME: home }, 'ignore');
        let err = '';
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
        const [code] = (await once(child, 'exit')) as [number | null];
        walls.push(code === 0 ? `${s(performance.now() - start)}${rusageOf(err)}` : `failed (${code}): ${err.slice(0, 200)}`);
      }
      const bytes = served.reduce((n, b) => n + b.length, 0);
      console.log(`  kubectl's floor, ${label} (${mib(bytes)}): ${walls.join(', ')}`);
      stub.close();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function runningStatus(i: number) {
  const t = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
    hostIP: '192.168.0.10', hostIPs: [{ ip: '192.168.0.10' }], podIP: ip, podIPs: [{ ip }], startTime: t, qosClass: 'Burstable',
    containerStatuses: [{
      name: 'c', state: { running: { startedAt: t } }, lastState: {}, ready: true, restartCount: 0, started: true,
      image: 'docker.io/library/busybox:1.35', imageID: 'docker.io/library/busybox@sha256:98ad9d1a2be345201bb0709b0d38655eb1b370145c7d94ca1fe9c421f76e245a',
      containerID: `fake://${i.toString(16).padStart(64, '0')}`,
    }],
  };
}

async function fill(api: Api): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++) {
    const r = await api.request('POST', '/api/v1/namespaces', { metadata: { name: `list-${n}` } });
    if (r.status !== 201) throw new Error(`namespace: ${r.status} ${r.text}`);
  }
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < PODS) {
      const i = next++;
      const name = `pod-${i}`;
      const ns = `list-${i % NAMESPACES}`;
      const body = {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'list', shard: String(i % 16) } },
        spec: { nodeName: `node-${i % 100}`, containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', 'infinity'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      };
      const r = await api.request('POST', `/api/v1/namespaces/${ns}/pods?fieldManager=kubectl-create`, body);
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text.slice(0, 300)}`);
      const st = await api.request('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status?fieldManager=kubelet`, { status: runningStatus(i) }, 'application/strategic-merge-patch+json');
      if (st.status !== 200) throw new Error(`status ${name}: ${st.status} ${st.text.slice(0, 300)}`);
    }
  }));
  console.log(`filled: ${PODS} pods created and given a Running status in ${s(performance.now() - start)}`);
}

const nodeArgs = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
console.log(`== ${PODS} pods, ${STORAGE} storage, ${CONCURRENCY} writers (load ${load()}) ==`);
const server = await startServer({
  storage: STORAGE, runtime: 'fake', noAgent: true, nodeArgs, stopTimeoutMs: 120_000,
  args: ['--disable-scheduler', '--disable-controller-manager'],
});
const api = new Api(server);
try {
  await fill(api);
  console.log(`server RSS ${rssMiB(server.process.pid!)} MiB (load ${load()})`);
  for (const [label, args, accept] of [
    ['Table', ['get', 'pods', '-A'], KUBECTL_TABLE_ACCEPT],
    ['-o json', ['get', 'pods', '-A', '-o', 'json'], 'application/json'],
  ] as const) {
    console.log(`\n-- kubectl get pods -A ${label === 'Table' ? '' : label} (load ${load()}) --`);
    for (let run = 0; run < (flags['server-only'] ? 0 : RUNS); run++) {
      const r = await timeKubectl(server, [...args, '-v=6']);
      if (r.code !== 0) console.log(`  kubectl failed (${r.code}): ${r.stderr}`);
      console.log(`  kubectl: ${s(r.wall)} wall${r.rusage}, ${r.lines} lines; its ${r.requests} list requests took ${s(r.requestMs)} to their headers (-v=6)`);
    }
    for (let run = 0; run < RUNS; run++) {
      const cpu0 = cpuSeconds(server.process.pid!);
      const r = await pagedList(api, accept);
      const cpu = cpuSeconds(server.process.pid!) - cpu0;
      console.log(`  bare client, kubectl's headers: ${s(r.wall)} (server CPU ${cpu.toFixed(2)} s); ${describePages(r.pages)}`);
    }
  }
  if (flags.floor) await kubectlFloor(api);
  console.log(`\nserver RSS ${rssMiB(server.process.pid!)} MiB (load ${load()})`);
} finally {
  api.agent.destroy();
  await server.stop();
}
