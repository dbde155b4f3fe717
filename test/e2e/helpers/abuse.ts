/**
 * Abusive clients for the API abuse test and benchmark (test/e2e/api-abuse.test.ts, bench/api-abuse.ts), each
 * against a server at `https://127.0.0.1:PORT` with its CA: slow-loris connections that never finish their
 * headers, oversized bodies, deeply nested JSON, a watch flood, the seeded manifest fuzzer, and a readyz probe
 * that keeps asking while they run. Each returns what the server answered (status codes), never timings the
 * tests could assert on; the probe records latencies for the benchmark only.
 */
import https from 'node:https';
import tls from 'node:tls';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { ManifestFuzzer, TARGETS, casePath, type FuzzCase } from './manifest-fuzzer.ts';

export interface Endpoint {
  port: number;
  caPem: string;
}

export interface Answer {
  /** The HTTP status, or 0 when the connection ended without one (the server closed it mid-upload). */
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One request on `agent` (a fresh connection when absent). A request that finds its kept-alive connection
 * closed under it (`reusedSocket` and a reset: the race Node's http documentation describes) is sent once more;
 * any other failure to get an answer is status 0.
 */
export async function send(e: Endpoint, method: string, path: string, token: string, body?: Buffer | string, headers: Record<string, string> = {}, agent: https.Agent | false = false): Promise<Answer> {
  const first = await sendOnce(e, method, path, token, body, headers, agent);
  return first.status === 0 && first.reused ? sendOnce(e, method, path, token, body, headers, agent) : first;
}

function sendOnce(e: Endpoint, method: string, path: string, token: string, body: Buffer | string | undefined, headers: Record<string, string>, agent: https.Agent | false): Promise<Answer & { reused?: boolean }> {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port: e.port, path, method, ca: e.caPem, agent,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && !headers['transfer-encoding'] ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, body: '', headers: {}, reused: req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up') }));
    req.end(body);
  });
}

/** Opens `n` TLS connections that each send the start of a request and never finish its headers. */
export async function openSlowLoris(e: Endpoint, n: number, batch = 50): Promise<tls.TLSSocket[]> {
  const sockets: tls.TLSSocket[] = [];
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, async () => {
      const s = tls.connect({ host: '127.0.0.1', port: e.port, ca: e.caPem, servername: 'localhost' });
      s.on('error', () => {});
      await once(s, 'secureConnect');
      s.write('GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      sockets.push(s);
    }));
  }
  return sockets;
}

/** A 10 MiB create body, sent with its length declared, then streamed chunked. */
export async function sendHugeBodies(e: Endpoint, token: string, path: string): Promise<Answer[]> {
  const big = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { x: 'y'.repeat(10 * 1024 * 1024) } }));
  return [
    await send(e, 'POST', path, token, big, { 'content-type': 'application/json' }),
    await send(e, 'POST', path, token, big, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
  ];
}

/** `{"a":{"a":...}}` `levels` deep inside a ConfigMap, and the same depth of arrays. */
export async function sendDeepJson(e: Endpoint, token: string, path: string, levels: number): Promise<Answer[]> {
  const wrap = (inner: string) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${inner}}`;
  return [
    await send(e, 'POST', path, token, wrap('{"a":'.repeat(levels) + '1' + '}'.repeat(levels)), { 'content-type': 'application/json' }),
    await send(e, 'POST', path, token, wrap('['.repeat(levels) + ']'.repeat(levels)), { 'content-type': 'application/json' }),
  ];
}

/** Opens `n` watches as one user; resolves with each one's status once all have answered, and a close(). */
export async function watchFlood(e: Endpoint, token: string, path: string, n: number): Promise<{ statuses: number[]; close: () => void }> {
  const requests: ReturnType<typeof https.request>[] = [];
  const statuses = await Promise.all(Array.from({ length: n }, () => new Promise<number>((resolve) => {
    const req = https.request({ host: '127.0.0.1', port: e.port, path, ca: e.caPem, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      res.on('error', () => {});
    });
    req.on('error', () => resolve(0));
    requests.push(req);
    req.end();
  })));
  return { statuses, close: () => requests.forEach((r) => r.destroy()) };
}

/** Asks /readyz over and over until stopped; counts answers by status and records each latency. */
export class ReadyzProbe {
  readonly statuses = new Map<number, number>();
  readonly latenciesMs: number[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #e: Endpoint;

  constructor(e: Endpoint) {
    this.#e = e;
  }

  start(): void {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: this.#e.caPem });
    this.#loop = (async () => {
      while (!this.#stopped) {
        const t0 = performance.now();
        const a = await send(this.#e, 'GET', '/readyz', '', undefined, {}, agent);
        this.latenciesMs.push(performance.now() - t0);
        this.statuses.set(a.status, (this.statuses.get(a.status) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
      }
      agent.destroy();
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }
}

export interface FuzzResult {
  /** Answers by status code. */
  codes: Map<number, number>;
  /** Cases answered 5xx or with no answer, for the failure message. */
  failures: { c: FuzzCase; status: number; body: string }[];
  /** Names of the objects successful creates made, by plural. */
  created: Map<string, Set<string>>;
}

/** Creates the base objects patches go to, in namespace `ns` (which must exist). */
export async function createFuzzBases(e: Endpoint, token: string, ns: string): Promise<void> {
  for (const t of TARGETS) {
    const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
    const a = await send(e, 'POST', `${prefix}/namespaces/${ns}/${t.plural}`, token, JSON.stringify(t.valid('base')), { 'content-type': 'application/json' });
    if (a.status !== 201) throw new Error(`base ${t.kind}: ${a.status} ${a.body}`);
  }
}

/** Sends `count` fuzzed cases from `seed`, `concurrency` at a time, to namespace `ns`. */
export async function runFuzz(e: Endpoint, token: string, ns: string, seed: number, count: number, concurrency = 8): Promise<FuzzResult> {
  const fuzzer = new ManifestFuzzer(seed);
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: e.caPem });
  const result: FuzzResult = { codes: new Map(), failures: [], created: new Map(TARGETS.map((t) => [t.plural, new Set<string>()])) };
  let next = 0;
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) cases.push(fuzzer.next(i));
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const a = await send(e, c.method, casePath(c, ns, 'base'), token, c.body, { 'content-type': c.contentType }, agent);
      result.codes.set(a.status, (result.codes.get(a.status) ?? 0) + 1);
      if (a.status >= 500 || a.status === 0) result.failures.push({ c, status: a.status, body: a.body.slice(0, 300) });
      if (a.status === 201 && c.method === 'POST') {
        const name = (JSON.parse(a.body) as { metadata?: { name?: string } }).metadata?.name;
        if (name) result.created.get(c.target.plural)!.add(name);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return result;
}

/** Names of the objects of every fuzz target kind in `ns`, by plural. */
export async function storedNames(e: Endpoint, token: string, ns: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const t of TARGETS) {
    const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
    const a = await send(e, 'GET', `${prefix}/namespaces/${ns}/${t.plural}`, token);
    if (a.status !== 200) throw new Error(`list ${t.plural}: ${a.status} ${a.body.slice(0, 200)}`);
    out.set(t.plural, (JSON.parse(a.body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name));
  }
  return out;
}

/** Percentile `p` (0-100) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
