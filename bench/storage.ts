#!/usr/bin/env node
/**
 * Storage benchmark: prints figures for each backend (never pass/fail).
 * `node bench/storage.ts [count] [etcd://HOST:PORT]` (etcd only when given).
 *   creates/s    sequential (await each) and concurrent (100 in flight, as a busy API server has), ~2 KB values
 *   create p50/p99 latency under 100 in flight, and at a steady 2,000 creates/s (the API server's target)
 *   get p50/p99  random existing keys
 *   list         all 10,000 keys under one prefix, and a 500-key page
 *   watch lag    from the write call to the event reaching a watcher, p50/p99, with 10 other watchers open
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryStore, SqliteStore, openStore, type Store } from '../src/storage/index.ts';

const COUNT = Number(process.argv[2] ?? 20_000);
const value = new TextEncoder().encode(JSON.stringify({ kind: 'Pod', spec: 'x'.repeat(2000) }));

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (n: number) => `${n.toFixed(3)} ms`;

async function bench(name: string, store: Store): Promise<void> {
  console.log(`\n${name}`);
  let t = performance.now();
  for (let i = 0; i < COUNT; i++) await store.create(`/seq/${i}`, value);
  console.log(`  creates/s sequential      ${Math.round(COUNT / ((performance.now() - t) / 1000))}`);

  const latencies: number[] = [];
  t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < COUNT) {
        const i = next++;
        const start = performance.now();
        await store.create(`/conc/${String(i).padStart(6, '0')}`, value);
        latencies.push(performance.now() - start);
      }
    }),
  );
  console.log(`  creates/s 100 in flight   ${Math.round(COUNT / ((performance.now() - t) / 1000))}`);
  console.log(`  create p50 / p99          ${ms(pct(latencies, 50))} / ${ms(pct(latencies, 99))}`);

  // The API server's target load: 2,000 creates/s, issued 20 every 10 ms for 3 s.
  const paced: number[] = [];
  const inFlight: Promise<unknown>[] = [];
  const pacedStart = performance.now();
  for (let tick = 0; tick < 300; tick++) {
    for (let j = 0; j < 20; j++) {
      const start = performance.now();
      inFlight.push(store.create(`/paced/${tick}-${j}`, value).then(() => paced.push(performance.now() - start)));
    }
    const due = pacedStart + (tick + 1) * 10;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await Promise.all(inFlight);
  console.log(`  create p50 / p99 @2000/s   ${ms(pct(paced, 50))} / ${ms(pct(paced, 99))}`);

  const gets: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const key = `/seq/${Math.floor(Math.random() * COUNT)}`;
    const start = performance.now();
    await store.get(key);
    gets.push(performance.now() - start);
  }
  console.log(`  get p50 / p99             ${ms(pct(gets, 50))} / ${ms(pct(gets, 99))}`);

  t = performance.now();
  const all = await store.list('/conc/', { limit: 10_000 });
  console.log(`  list ${all.kvs.length} keys`.padEnd(29) + ms(performance.now() - t));
  t = performance.now();
  await store.list('/conc/', { limit: 500, startAfter: '/conc/005000' });
  console.log(`  list page of 500          ${ms(performance.now() - t)}`);

  const ac = new AbortController();
  const sentAt = new Map<string, number>();
  const lags: number[] = [];
  const from = await store.currentRevision();
  for (let w = 0; w < 10; w++) void drain(store.watch('/lag/', { afterRevision: from, signal: ac.signal }));
  let got!: () => void;
  const watcher = (async () => {
    for await (const batch of store.watch('/lag/', { afterRevision: from, signal: ac.signal })) {
      const now = performance.now();
      for (const e of batch) lags.push(now - sentAt.get(e.kv.key)!);
      got?.();
    }
  })();
  for (let i = 0; i < 2_000; i++) {
    const key = `/lag/${i}`;
    const seen = new Promise<void>((r) => (got = r));
    sentAt.set(key, performance.now());
    await store.create(key, value);
    await seen;
  }
  ac.abort();
  await watcher;
  console.log(`  watch lag p50 / p99       ${ms(pct(lags, 50))} / ${ms(pct(lags, 99))}`);
  await store.close();
}

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  const iter = events[Symbol.asyncIterator]();
  while (!(await iter.next()).done);
}

console.log(`storage bench: ${COUNT} creates per phase, ${value.length}-byte values, node ${process.version}`);
await bench('memory', new MemoryStore());
const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-'));
try {
  await bench('sqlite (file, WAL, synchronous=NORMAL)', new SqliteStore({ path: join(dir, 'bench.db') }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const etcd = process.argv[3];
if (etcd) await bench(`etcd (${etcd})`, await openStore(etcd, { dataDir: tmpdir() }));
