#!/usr/bin/env node
/**
 * Audit log cost: an in-process API server (memory store) takes N pod creates and then N gets, C in flight,
 * with auditing off, with every request at Metadata, and with every request at RequestResponse (to a file in
 * a temporary directory). Prints requests/s and p50/p99 per mode, and the log's size and line count. Prints
 * figures only. Usage: node bench/audit.ts [--requests 2000] [--concurrency 32]
 *
 * Figures on the team's 2-core machine, 2026-12-07, shared with other engineers (load average 15: every
 * figure moves a lot with the load), defaults (2,000 requests, 32 in flight):
 *
 *                      creates/s, p50 / p99       gets/s, p50 / p99        log
 *   off                270, 90 / 522 ms           897, 28 / 194 ms
 *   Metadata           219, 107 / 718 ms          655, 37 / 213 ms         4.1 MB, 8,000 events, none dropped
 *   RequestResponse    246, 115 / 335 ms          421, 60 / 324 ms         10.2 MB, 8,000 events, none dropped
 *   off (again)        234, 112 / 542 ms          716, 34 / 199 ms
 *
 * Metadata costs little beyond the noise; RequestResponse about halves gets/s (each response is parsed back
 * and written again into the event).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Auditor, AuditLogFile, parsePolicy } from '../src/apiserver/index.ts';
import { startTestServer, type TestServer } from '../src/apiserver/testing.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '32' } } });
const N = Number(values.requests);
const C = Number(values.concurrency);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function drive(count: number, one: (i: number) => Promise<void>): Promise<{ perSecond: number; p50: number; p99: number }> {
  const times: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await one(i);
      times.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  return { perSecond: Math.round(count / elapsed), p50: Math.round(pct(times, 50) * 10) / 10, p99: Math.round(pct(times, 99) * 10) / 10 };
}

async function run(mode: 'off' | 'Metadata' | 'RequestResponse'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-audit-bench-'));
  const logPath = join(dir, 'audit.log');
  const log = mode === 'off' ? undefined : new AuditLogFile({ path: logPath, bufferEvents: 1_000_000 });
  const auditor = log ? new Auditor({ policy: parsePolicy(`apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: ${mode}}]\n`, 'bench'), sink: log }) : undefined;
  let s: TestServer | undefined;
  try {
    s = await startTestServer({ config: { auditor } });
    const creates = await drive(N, async (i) => {
      const r = await s!.request('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });
      if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
    });
    const gets = await drive(N, async (i) => {
      const r = await s!.request('GET', `/api/v1/namespaces/default/pods/p${(i * 7919) % N}`);
      if (r.status !== 200) throw new Error(`get: ${r.status}`);
    });
    await s.stop();
    s = undefined;
    await log?.stop();
    const size = log ? statSync(logPath).size : 0;
    const lines = log ? readFileSync(logPath, 'utf8').split('\n').length - 1 : 0;
    console.log(`${mode.padEnd(16)} creates/s ${creates.perSecond} (p50 ${creates.p50} / p99 ${creates.p99} ms)   gets/s ${gets.perSecond} (p50 ${gets.p50} / p99 ${gets.p99} ms)` +
      (log ? `   log ${(size / 1024 / 1024).toFixed(1)} MB, ${lines} events, dropped ${log.dropped}` : ''));
  } finally {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`audit bench: ${N} creates then ${N} gets, ${C} in flight; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const mode of ['off', 'Metadata', 'RequestResponse', 'off'] as const) await run(mode);
