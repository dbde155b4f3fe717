#!/usr/bin/env node
/**
 * API server benchmark: runs the real `kubeling server --no-agent` (sqlite, then memory) in its own process
 * and drives it over HTTPS with keep-alive connections from this one:
 *
 *   creates   N pods with C requests in flight        → creates/s, latency p50/p99
 *   bindings  B of them bound (pods/binding), then B  → bindings/s and events/s, latency p50/p99: the other two
 *   events    Scheduled events (core/v1), C in flight   writes of every scheduled pod, as the scheduler writes them
 *   gets      random pods, C in flight                → latency p50/p99
 *   lists     all pods of the namespace (≥ 10,000)    → latency p50/p99: a paged read from the store, a consistent
 *                                                       read and resourceVersion=0 (both from the watch cache)
 *   watch     W watchers on pods, then E creates       → every watcher got every event?, delivery lag p50/p99
 *
 * Prints figures only (targets: 2,000 creates/s with p99 < 50 ms on sqlite; list of 10,000 pods < 300 ms;
 * 1,000 watchers each receiving every event). List times are end to end: TLS transfer of ~15 MB and the
 * client's JSON.parse included ("first byte" is the server's part). By default the server runs without its
 * scheduler and controllers (--disable-scheduler --disable-controller-manager) so the figures are the API
 * server's; --with-components adds them (the scheduler then patches a PodScheduled=False condition onto every
 * pod, in the same process). --profile DIR writes the server's V8 CPU profile. Each request phase also prints
 * the server process's CPU time per request (/proc/PID/stat, all its threads): what a write costs the server,
 * which the machine's load moves far less than the rates and latencies. Usage:
 *   node bench/apiserver.ts [--storage sqlite,memory] [--pods 10000] [--concurrency 64] [--watchers 1000] [--events 200]
 *                           [--gets 5000] [--binds 5000] [--with-components] [--profile DIR]
 *
 * Figures on the team's 2-core machine, 2026-11-21, shared with other engineers (load average in brackets;
 * every figure moves a lot with the load). Defaults: 10,000 pods, 64 in flight, 1,000 watchers, 200 events.
 *
 *   before (34fb9f3, with its in-process scheduler, load 2.4 → 7):           sqlite          memory
 *     creates/s, p50 / p99                                                  1132, 45 / 235  554, 94 / 338 ms
 *     list 10k: store / no resourceVersion (store then) / rv=0 (p50)        483 / 386 / 332 953 / 873 / 1010 ms
 *     1,000 watchers: connect, lag p50 / p99 (all got every event)          22 s, 1042 / 2012 ms  22 s, 346 / 786 ms
 *   (the earlier run, load unknown: 632 creates/s p50 72 p99 473 ms, list 739 ms, lag p50 290 ms;
 *    a first run of this bench at load 10: 316 creates/s p50 179 p99 571 ms, list 936 ms, lag p50 783 ms)
 *
 *   after, with the scheduler and controllers (--with-components, load 5.6 → 6):   sqlite
 *     creates/s, p50 / p99                                                  1127, 44 / 197 ms
 *     list 10k: store (paged) / consistent from cache / rv=0 (p50)          831 / 349 / 315 ms
 *     1,000 watchers: connect, lag p50 / p99                                13 s, 176 / 559 ms
 *
 *   after, the API server alone (default, load 7.5 → 5.6):                 sqlite          memory
 *     creates/s, p50 / p99                                                  1288, 38 / 186  1909, 27 / 104 ms
 *     gets/s, p50 / p99                                                     4730, 10 / 59   2125, 24 / 152 ms
 *     list 10k: store (paged) / consistent from cache / rv=0 (p50)          297 / 140 / 185 298 / 144 / 159 ms
 *       server's first byte from the cache                                  27 ms           45 ms
 *     1,000 watchers: connect, lag p50 / p99 (all got every event)          1.7 s, 151 / 295 ms  3.0 s, 227 / 821 ms
 *   again after GETs and write responses stopped re-serialising (1792cb9, load 4.2 → 4.7): the same within noise:
 *     creates/s 1385, p50 36 / p99 189 ms (sqlite), 986 (memory); gets/s 1559 / 2132; list 10k p50 store 346 /
 *     cache 188 / rv=0 194 ms (sqlite); 1,000 watchers all complete, lag p50 215 / p99 734 ms.
 *
 * Where the time went (CPU profiles of the server during this bench): with the in-process scheduler, a third
 * of the server process was the scheduler writing a condition on every unschedulable pod, over a new TLS
 * connection per concurrent request (createSecureContext alone ~12%). Alone, the API server was ~25-30% idle
 * while the machine was saturated: the rest is the bench client on the same two cores and other engineers'
 * work. Of the server's own time, about 14% is the native writev of responses (TLS + loopback send, which
 * on loopback includes waking the client), 6-10% GC, ~2% each validation and unknown-field checks; TLS
 * handshakes are under 1%. Plain lists without resourceVersion now come from the watch cache (as Kubernetes'
 * ConsistentListFromCache), objects' JSON is made once and shared by lists and watches, and each watch event
 * is serialised once and written once per event-loop turn per watcher.
 *
 * The write path (issue 15: SchedulingBasic needs ~3,000 writes/s, ~300 µs a write all in), 2026-12-07, the
 * machine 6–9 times oversubscribed by other engineers' runs. Server CPU per request over HTTPS, --pods 4000
 * --watchers 10, sqlite, before (752c810) and after (90fac2c; 10cae53 where marked), run back to back:
 *
 *                                       create   binding   Scheduled event   get     the three writes
 *     before (load 5.0)                 1000      878      693               300     2571 µs
 *     after  (ffe1a9f, load 5.1)         813      665      505               305     1983 µs
 *       rates at load 5: creates 560 → 901/s (p99 387 → 194 ms), bindings 618 → 1142/s, events 593 → 1361/s
 *     before (load 16.8)                1085     1013      738               345     2836 µs
 *     after  (load 16.0)                1025      770      578               270     2373 µs
 *     before (load 14.0)                1163      963      633               260     2759 µs
 *     after (10cae53, load 14.0)        1025      765      625               335     2415 µs
 *   and the defaults, after (load 12.3 → 19.1): creates 275/s p50 196 / p99 775 ms (866 µs), bindings 282/s
 *   (720 µs), events 315/s (556 µs), gets 510/s (322 µs); list 10k p50 1.06 s (store) / 1.18 s (cache);
 *   1,000 watchers connected in 20 s, all got every event, lag p50 1.3 / p99 2.5 s.
 *   bench/write-path.ts (the registries without HTTP, CPU µs a write, best of 3 rounds, load 13–15):
 *   before create 276, binding 286, event 123 (717 for the three); after 225, 199, 97 (521).
 *   bench/scheduler.ts --case SchedulingBasic/1000Nodes, back to back: after 52.1 pods/s (load 11.8 → 13.8),
 *   before 52.2 (load 13.8 → 12.9); at load 4.3–5.3 after 242.9 and 155.4, before 266.5 and 175.2 (two
 *   pairs). That bench does not show the gain: its own client's 5,000 creates, a third busy thread on the two
 *   cores, take most of the run (10.7–24.5 s of 19–32 s), and the faster bindings land during the creates
 *   (per-second p99 697 and 735 after, 526 and 407 before).
 *
 * What changed: an update starts from the watch cache's copy of the object (upstream's cachedExistingObject:
 * no store read, no parse of the old object; the compare-and-swap catches a cache behind the store); the
 * watch cache takes the object each write stored instead of parsing its bytes again (it had been parsing
 * every write: its event arrived before the write's caller resumed); type checks, duplicate-field scans,
 * RBAC decisions, registry lookups (four per write, from admission), request-body reads and timestamps got
 * cheaper. Where the rest goes (profiles): the registry's own work is under a third of a write (bench/
 * write-path.ts); the rest is per request: TLS and the socket write of each response (writev ~5–10% of a
 * write, 30% of a GET), HTTP parsing, authn/authz/audit/metrics, reading and decoding the body, unknown-field
 * checks, managed fields (~7%), JSON encode, the sqlite commit (every update also stores the previous value,
 * for watch prevKv), GC ~3–10%. Not done: HTTP/2 (many requests over one connection, writes coalesced:
 * client-go speaks it, this server and our client do not), a cheaper managed-fields computation for creates,
 * the previous value out of the sqlite log row.
 */
import https from 'node:https';
import type { ClientRequest } from 'node:http';
import { parseArgs } from 'node:util';
import { startServer, type ServerHandle } from '../test/e2e/helpers/server.ts';
import { cpuMs } from './proc-stats.ts';

const { values } = parseArgs({
  options: {
    storage: { type: 'string', default: 'sqlite,memory' },
    pods: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    watchers: { type: 'string', default: '1000' },
    events: { type: 'string', default: '200' },
    gets: { type: 'string', default: '5000' },
    // Bindings and Scheduled events written (on the first pods), as the scheduler writes them per pod.
    binds: { type: 'string', default: '5000' },
    // Writes a V8 CPU profile of the server process into this directory (node --cpu-prof).
    profile: { type: 'string' },
    // Also run the in-process scheduler and controllers (they write a status for every unschedulable pod).
    'with-components': { type: 'boolean', default: false },
  },
});
const PODS = Number(values.pods);
const CONCURRENCY = Number(values.concurrency);
const WATCHERS = Number(values.watchers);
const EVENTS = Number(values.events);
const GETS = Number(values.gets);
const BINDS = Math.min(Number(values.binds), PODS);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The server's CPU per request over a phase: what one write costs it, whatever the machine's load. */
function cpuPer(pid: number, before: number, requests: number): string {
  return `server CPU ${((1000 * (cpuMs(pid) - before)) / requests).toFixed(0)} µs a request`;
}

function fmt(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

class Http {
  readonly agent: https.Agent;
  readonly #s: ServerHandle;
  constructor(s: ServerHandle) {
    this.#s = s;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: Infinity, ca: s.caPem });
  }
  request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; ttfbMs: number }> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: this.#s.port, path, method, agent: this.agent,
        headers: { authorization: `Bearer ${this.#s.token}`, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
      }, (res) => {
        const ttfbMs = performance.now() - start;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), ttfbMs }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }
}

/** A core/v1 Event as the scheduler's recorder writes one for a bound pod. */
const scheduledEvent = (pod: string, node: string) => {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${pod}.${Date.now().toString(16)}`, namespace: 'bench' },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'bench', name: pod },
    reason: 'Scheduled', message: `Successfully assigned bench/${pod} to ${node}`,
    source: { component: 'default-scheduler' }, firstTimestamp: now, lastTimestamp: now, count: 1, type: 'Normal',
    reportingComponent: 'default-scheduler', reportingInstance: '',
  };
};

const podBody = (name: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }] },
});

/** Runs `total` tasks with `concurrency` in flight; returns per-task latencies (ms) and the wall time. */
async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await task(i);
      latencies.push(performance.now() - t0);
    }
  }));
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - start };
}

async function benchBackend(storage: 'sqlite' | 'memory'): Promise<void> {
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const args = values['with-components'] ? [] : ['--disable-scheduler', '--disable-controller-manager'];
  const s = await startServer({ storage, noAgent: true, nodeArgs, args, stopTimeoutMs: values.profile ? 120_000 : undefined });
  const http = new Http(s);
  try {
    console.log(`\n== ${storage} ==`);
    await http.request('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
    await new Promise((r) => setTimeout(r, 300)); // the default service account
    const pid = s.process.pid!;
    let cpu = cpuMs(pid);
    const creates = await pool(PODS, CONCURRENCY, async (i) => {
      const r = await http.request('POST', '/api/v1/namespaces/bench/pods', podBody(`pod-${i}`));
      if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${r.text}`);
    });
    console.log(`creates: ${PODS} pods, ${CONCURRENCY} in flight: ${(PODS / (creates.wallMs / 1000)).toFixed(0)} creates/s, p50 ${fmt(pct(creates.latencies, 50))}, p99 ${fmt(pct(creates.latencies, 99))}; ${cpuPer(pid, cpu, PODS)}`);

    // The other two writes of every scheduled pod: its binding and its Scheduled event (as the scheduler
    // writes them), on BINDS of the pods.
    cpu = cpuMs(pid);
    const binds = await pool(BINDS, CONCURRENCY, async (i) => {
      const r = await http.request('POST', `/api/v1/namespaces/bench/pods/pod-${i}/binding`, {
        apiVersion: 'v1', kind: 'Binding', metadata: { name: `pod-${i}` }, target: { apiVersion: 'v1', kind: 'Node', name: `node-${i % 100}` },
      });
      if (r.status !== 201) throw new Error(`binding ${i}: ${r.status} ${r.text}`);
    });
    console.log(`bindings: ${BINDS}, ${CONCURRENCY} in flight: ${(BINDS / (binds.wallMs / 1000)).toFixed(0)} bindings/s, p50 ${fmt(pct(binds.latencies, 50))}, p99 ${fmt(pct(binds.latencies, 99))}; ${cpuPer(pid, cpu, BINDS)}`);
    cpu = cpuMs(pid);
    const events = await pool(BINDS, CONCURRENCY, async (i) => {
      const r = await http.request('POST', '/api/v1/namespaces/bench/events', scheduledEvent(`pod-${i}`, `node-${i % 100}`));
      if (r.status !== 201) throw new Error(`event ${i}: ${r.status} ${r.text}`);
    });
    console.log(`events: ${BINDS}, ${CONCURRENCY} in flight: ${(BINDS / (events.wallMs / 1000)).toFixed(0)} events/s, p50 ${fmt(pct(events.latencies, 50))}, p99 ${fmt(pct(events.latencies, 99))}; ${cpuPer(pid, cpu, BINDS)}`);

    cpu = cpuMs(pid);
    const gets = await pool(GETS, CONCURRENCY, async () => {
      const r = await http.request('GET', `/api/v1/namespaces/bench/pods/pod-${Math.floor(Math.random() * PODS)}`);
      if (r.status !== 200) throw new Error(`get: ${r.status}`);
    });
    console.log(`gets: ${GETS}, ${CONCURRENCY} in flight: ${(GETS / (gets.wallMs / 1000)).toFixed(0)} gets/s, p50 ${fmt(pct(gets.latencies, 50))}, p99 ${fmt(pct(gets.latencies, 99))}; ${cpuPer(pid, cpu, GETS)}`);

    for (const [label, query] of [
      ['store (limit=100000: a paged read)', '?limit=100000'],
      ['watch cache (consistent read, no resourceVersion)', ''],
      ['watch cache (resourceVersion=0)', '?resourceVersion=0'],
    ] as const) {
      let count = 0;
      let bytes = 0;
      const ttfb: number[] = [];
      const lists = await pool(10, 1, async () => {
        const r = await http.request('GET', `/api/v1/namespaces/bench/pods${query}`);
        ttfb.push(r.ttfbMs);
        bytes = r.text.length;
        count = (JSON.parse(r.text) as { items: unknown[] }).items.length;
      });
      ttfb.sort((a, b) => a - b);
      console.log(`list ${count} pods (${(bytes / 1e6).toFixed(1)} MB) from the ${label}: p50 ${fmt(pct(lists.latencies, 50))}, p99 ${fmt(pct(lists.latencies, 99))} ` +
        `(first byte p50 ${fmt(pct(ttfb, 50))}; the rest is transfer and the client's JSON.parse)`);
    }

    // Watchers: each its own TLS connection, like separate clients.
    const list = JSON.parse((await http.request('GET', '/api/v1/namespaces/bench/pods?limit=1')).text) as { metadata: { resourceVersion: string } };
    const rv = list.metadata.resourceVersion;
    const sentAt = new Map<string, number>();
    const lags: number[] = [];
    const received = new Array<number>(WATCHERS).fill(0);
    const requests: ClientRequest[] = [];
    const watchAgent = new https.Agent({ keepAlive: false, maxSockets: Infinity, ca: s.caPem });
    const connectStart = performance.now();
    await Promise.all(Array.from({ length: WATCHERS }, (_, w) => new Promise<void>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: s.port, agent: watchAgent,
        path: `/api/v1/namespaces/bench/pods?watch=true&resourceVersion=${rv}&labelSelector=app%3Dwatched`,
        headers: { authorization: `Bearer ${s.token}` },
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
            const name = /"name":"(w-\d+)"/.exec(line)?.[1];
            if (name) {
              received[w]!++;
              lags.push(performance.now() - sentAt.get(name)!);
            }
          }
        });
        res.on('error', () => {});
      });
      req.on('error', reject);
      req.end();
      requests.push(req);
    })));
    console.log(`watch: ${WATCHERS} watchers connected in ${fmt(performance.now() - connectStart)}`);
    const watchedPod = (name: string) => ({ ...podBody(name), metadata: { name, labels: { app: 'watched' } } });
    await pool(EVENTS, 8, async (i) => {
      const name = `w-${i}`;
      sentAt.set(name, performance.now());
      const r = await http.request('POST', '/api/v1/namespaces/bench/pods', watchedPod(name));
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status}`);
    });
    const deadline = Date.now() + 60_000;
    while (received.some((n) => n < EVENTS) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const complete = received.filter((n) => n === EVENTS).length;
    lags.sort((a, b) => a - b);
    console.log(`watch: ${EVENTS} events × ${WATCHERS} watchers: ${complete}/${WATCHERS} watchers got every event; delivery lag p50 ${fmt(pct(lags, 50))}, p99 ${fmt(pct(lags, 99))}, max ${fmt(lags[lags.length - 1] ?? NaN)}`);
    for (const req of requests) req.destroy();
    watchAgent.destroy();
  } finally {
    http.agent.destroy();
    const code = await s.stop();
    if (code !== 0) console.log(`server exited with ${code}: ${s.stderr().slice(-2000)}`);
  }
}

for (const storage of values.storage!.split(',')) {
  if (storage !== 'sqlite' && storage !== 'memory') throw new Error(`unknown storage ${storage}`);
  await benchBackend(storage);
}
