#!/usr/bin/env node
/**
 * API abuse benchmark: the real `kubeling server --no-agent` (sqlite, API server alone) under the abuse of
 * test/e2e/api-abuse.test.ts — slow-loris connections, 10 MiB bodies, 100,000-level JSON, a watch flood, and
 * fuzzed manifests — while one client asks /readyz every 20 ms over a kept-alive connection. Prints readyz's
 * latency p50 / p99 / max per phase and over the whole run, beside the target (p99 under a second),
 * and the fuzz answers by status code. Figures only; nothing here passes or fails on time. Usage:
 *   node bench/api-abuse.ts [--loris 1000] [--fuzz 10000] [--concurrency 8] [--watches 1100] [--seed N]
 *
 * Figures on the team's 2-core machine, 2026-12-07, idle (load average 0), with RBAC on (the flood's user is a
 * service account bound to `edit` in the fuzz namespace). Defaults; readyz latency in ms, p50 / p99 / max:
 *
 *   idle                        1.7 / 14 / 14
 *   1,000 slow-loris            1.5 / 41 / 50        (1,000 open)
 *   10 MiB bodies ×10           1.4 / 15 / 15        (all 413)
 *   100,000-level JSON ×20      9.7 / 15 / 15        (all 400)
 *   watch flood ×1,100          2.5 / 530 / 530      (1,000 open, 100 refused 429)
 *   10,000 fuzzed manifests     4.9 / 39 / 124       (596×200, 551×201, 7112×400, 340×404, 1401×422; no 5xx)
 *   whole run                   p50 2.3, p99 64 ms: the target (p99 < 1 s) is met in every phase
 *
 * The watch flood is the slowest phase: its 1,100 connections open at once, each an RSA-2048 TLS handshake for
 * the server (kept for busybox's TLS client). On the same machine shared with seven other jobs (load 17) the
 * flood's p99 was 1.4 s and the whole run's 235 ms.
 */
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startServer } from '../test/e2e/helpers/server.ts';
import {
  ReadyzProbe, createFuzzBases, openSlowLoris, percentile, runFuzz, send, sendDeepJson, sendHugeBodies, watchFlood, type Endpoint,
} from '../test/e2e/helpers/abuse.ts';

// The probe runs in a worker thread: on the bench's own event loop, its latency would include the abusive
// clients' work (a thousand TLS handshakes on the client side), not only the server's.
if (!isMainThread) {
  const probe = new ReadyzProbe(workerData as Endpoint);
  probe.start();
  parentPort!.once('message', () => {
    void probe.stop().then(() => parentPort!.postMessage({ latencies: probe.latenciesMs, statuses: [...probe.statuses] }));
  });
} else {
  await main();
}

async function main(): Promise<void> {
const { values } = parseArgs({
  options: {
    loris: { type: 'string', default: '1000' },
    fuzz: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '8' },
    watches: { type: 'string', default: '1100' },
    seed: { type: 'string', default: '20261207' },
  },
});

const server = await startServer({ noAgent: true, args: ['--disable-scheduler', '--disable-controller-manager'] });
const e: Endpoint = { port: server.port, caPem: server.caPem };
/** The watch flood's user: a service account bound to `edit` in the fuzz namespace (not system:masters, so capped). */
let userToken = '';
const rows: string[][] = [];
const all: number[] = [];

async function phase(name: string, run: () => Promise<string>): Promise<void> {
  const worker = new Worker(new URL(import.meta.url), { workerData: e });
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  let note: string;
  let probe: { latencies: number[]; statuses: [number, number][] };
  try {
    note = await run();
  } finally {
    const done = new Promise<typeof probe>((resolve) => worker.once('message', resolve));
    worker.postMessage('stop');
    probe = await done;
    await worker.terminate();
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const l = probe.latencies;
  all.push(...l);
  const failed = probe.statuses.filter(([code]) => code !== 200).map(([code, n]) => `${n}×${code}`).join(' ');
  rows.push([name, `${seconds} s`, String(l.length), percentile(l, 50).toFixed(1), percentile(l, 99).toFixed(1), Math.max(...l).toFixed(1), failed || 'all 200', note]);
}

try {
  const post = (path: string, body: unknown) => send(e, 'POST', path, server.token, JSON.stringify(body), { 'content-type': 'application/json' });
  await post('/api/v1/namespaces', { metadata: { name: 'fuzz' } });
  await post('/api/v1/namespaces/fuzz/serviceaccounts', { metadata: { name: 'flooder' } });
  await post('/apis/rbac.authorization.k8s.io/v1/namespaces/fuzz/rolebindings', {
    metadata: { name: 'flooder-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'ServiceAccount', name: 'flooder', namespace: 'fuzz' }],
  });
  const minted = await post('/api/v1/namespaces/fuzz/serviceaccounts/flooder/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  userToken = (JSON.parse(minted.body) as { status: { token: string } }).status.token;
  const cms = '/api/v1/namespaces/fuzz/configmaps';
  await phase('idle', async () => {
    await new Promise((r) => setTimeout(r, 2000));
    return '';
  });
  await phase(`${values.loris} slow-loris`, async () => {
    const sockets = await openSlowLoris(e, Number(values.loris));
    await new Promise((r) => setTimeout(r, 2000));
    for (const s of sockets) s.destroy();
    return `${sockets.length} open`;
  });
  await phase('10 MiB bodies ×10', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push(...(await sendHugeBodies(e, server.token, cms)).map((a) => a.status));
    return `answers ${codes.join(',')}`;
  });
  await phase('100,000-level JSON ×20', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) codes.push(...(await sendDeepJson(e, server.token, cms, 100_000)).map((a) => a.status));
    return `answers ${[...new Set(codes)].join(',')}`;
  });
  await phase(`watch flood ×${values.watches}`, async () => {
    const flood = await watchFlood(e, userToken, '/api/v1/namespaces/fuzz/configmaps?watch=true', Number(values.watches));
    flood.close();
    const count = (c: number) => flood.statuses.filter((s) => s === c).length;
    return `${count(200)} open, ${count(429)} refused 429`;
  });
  await phase(`${values.fuzz} fuzzed manifests`, async () => {
    await createFuzzBases(e, server.token, 'fuzz');
    const r = await runFuzz(e, server.token, 'fuzz', Number(values.seed), Number(values.fuzz), Number(values.concurrency));
    return `answers ${JSON.stringify(Object.fromEntries([...r.codes].sort((a, b) => a[0] - b[0])))}`;
  });
} finally {
  await server.stop();
}

const header = ['phase', 'took', 'readyz n', 'p50 ms', 'p99 ms', 'max ms', 'readyz', 'abuse answers'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
const p99 = percentile(all, 99);
console.log(`\nreadyz over the whole run: ${all.length} answers, p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (target p99 < 1000 ms: ${p99 < 1000 ? 'met' : 'NOT met'})`);
}
