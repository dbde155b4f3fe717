/**
 * The Store contract as tests, written once and run by every backend (after apiserver's
 * `storage/testing/store_tests.go` and kine's conformance run). `runStoreConformance('sqlite', make)` registers
 * one node:test suite; `make` returns a fresh, empty store per test, which the test closes. Cleaning up files
 * the backend wrote is the caller's job (an `after` hook).
 *
 * Tests never assert on speed. Waits for events have a generous deadline only so a broken backend fails
 * instead of hanging the run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isStoreError } from './errors.ts';
import type { KeyValue, Store, WatchEvent } from './store.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (s: string): Uint8Array => encoder.encode(s);
const text = (v: Uint8Array): string => decoder.decode(v);
const HANG_GUARD_MS = 15_000;

/** A comparable picture of a key-value (backends may return Buffer or Uint8Array). */
function show(
  kv: KeyValue | undefined,
): { key: string; value: string; createRevision: number; modRevision: number } | undefined {
  return kv && { key: kv.key, value: text(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision };
}

function okKv(result: Awaited<ReturnType<Store['create']>>): KeyValue {
  assert.equal(result.ok, true, `expected the write to win, got ${JSON.stringify(result)}`);
  return (result as { ok: true; kv: KeyValue }).kv;
}

type Shown = { type: string; key: string; value: string; rev: number; prev?: string; prevRev?: number };

function showEvent(e: WatchEvent): Shown {
  const s: Shown = { type: e.type, key: e.kv.key, value: text(e.kv.value), rev: e.kv.modRevision };
  if (e.prevKv) {
    s.prev = text(e.prevKv.value);
    s.prevRev = e.prevKv.modRevision;
  }
  return s;
}

/** Reads events from a watch until `count` arrived (failing instead of hanging), then stops the watch. */
async function collect(
  store: Store,
  prefix: string,
  afterRevision: number,
  count: number,
  opts: { prevKv?: boolean; signal?: AbortController } = {},
): Promise<WatchEvent[]> {
  const ac = opts.signal ?? new AbortController();
  const guard = setTimeout(() => ac.abort(), HANG_GUARD_MS);
  const events: WatchEvent[] = [];
  try {
    for await (const batch of store.watch(prefix, { afterRevision, signal: ac.signal, prevKv: opts.prevKv })) {
      assert.ok(batch.length > 0, 'a watch never yields an empty batch');
      events.push(...batch);
      if (events.length >= count) break;
    }
  } finally {
    clearTimeout(guard);
    ac.abort();
  }
  assert.ok(events.length >= count, `watch ended after ${events.length} of ${count} events`);
  return events;
}

/** Passes when `fn` throws StoreError `code` at once, from its promise, or from the iterator it returns. */
async function expectStoreError(code: string, fn: () => unknown): Promise<void> {
  try {
    const r = fn();
    if (r && typeof (r as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      const iter = (r as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      await iter.next();
      await iter.return?.();
    } else {
      await r;
    }
  } catch (err) {
    assert.ok(isStoreError(err, code as never), `expected StoreError ${code}, got ${String(err)}`);
    return;
  }
  assert.fail(`expected StoreError ${code}, nothing was thrown`);
}

export function runStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  /** Runs `fn` on a fresh store and closes it afterwards (closing twice is allowed). */
  const withStore = (fn: (s: Store) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close().catch(() => {});
    }
  };

  describe(`Store conformance: ${name}`, () => {
    describe('revisions and writes', () => {
      test(
        'one global revision counts every write; create sets create and mod revision',
        withStore(async (s) => {
          const r0 = await s.currentRevision();
          const a = okKv(await s.create('/r/a', bytes('1')));
          const b = okKv(await s.create('/r/b', bytes('2')));
          assert.deepEqual(show(a), { key: '/r/a', value: '1', createRevision: r0 + 1, modRevision: r0 + 1 });
          assert.deepEqual(show(b), { key: '/r/b', value: '2', createRevision: r0 + 2, modRevision: r0 + 2 });
          assert.equal(await s.currentRevision(), r0 + 2);
          assert.deepEqual(show(await s.get('/r/a')), show(a));
        }),
      );

      test(
        'update keeps the create revision and makes a new mod revision, even for identical bytes',
        withStore(async (s) => {
          const a = okKv(await s.create('/u/a', bytes('v1')));
          const u1 = okKv(await s.update('/u/a', bytes('v1'), a.modRevision));
          assert.equal(u1.createRevision, a.createRevision);
          assert.equal(u1.modRevision, a.modRevision + 1);
          const u2 = okKv(await s.update('/u/a', bytes('v2'), u1.modRevision));
          assert.deepEqual(show(u2), {
            key: '/u/a',
            value: 'v2',
            createRevision: a.createRevision,
            modRevision: a.modRevision + 2,
          });
          assert.deepEqual(show(await s.get('/u/a')), show(u2));
        }),
      );

      test(
        'create on an existing key loses and returns what it holds',
        withStore(async (s) => {
          const a = okKv(await s.create('/c/a', bytes('first')));
          const r = await s.create('/c/a', bytes('second'));
          assert.equal(r.ok, false);
          assert.deepEqual(show(!r.ok ? r.current : undefined), show(a));
          assert.equal(text((await s.get('/c/a'))!.value), 'first');
        }),
      );

      test(
        'update with a stale or missing revision loses and returns current',
        withStore(async (s) => {
          const a = okKv(await s.create('/c/a', bytes('1')));
          const b = okKv(await s.update('/c/a', bytes('2'), a.modRevision));
          const stale = await s.update('/c/a', bytes('3'), a.modRevision);
          assert.equal(stale.ok, false);
          assert.deepEqual(show(!stale.ok ? stale.current : undefined), show(b));
          const missing = await s.update('/c/nope', bytes('x'), b.modRevision);
          assert.deepEqual(missing, { ok: false, current: undefined });
          assert.equal(await s.get('/c/nope'), undefined);
        }),
      );

      test(
        'delete: conditional wins and losses, unconditional, and missing keys',
        withStore(async (s) => {
          const a = okKv(await s.create('/d/a', bytes('A')));
          const a2 = okKv(await s.update('/d/a', bytes('A2'), a.modRevision));
          const lost = await s.delete('/d/a', a.modRevision);
          assert.equal(lost.ok, false);
          assert.deepEqual(show(!lost.ok ? lost.current : undefined), show(a2));
          const won = okKv(await s.delete('/d/a', a2.modRevision));
          assert.deepEqual(show(won), {
            key: '/d/a',
            value: 'A2',
            createRevision: a.createRevision,
            modRevision: a2.modRevision + 1,
          });
          assert.equal(await s.currentRevision(), a2.modRevision + 1);
          assert.equal(await s.get('/d/a'), undefined);
          assert.deepEqual(await s.delete('/d/a'), { ok: false, current: undefined });
          assert.deepEqual(await s.delete('/d/a', won.modRevision), { ok: false, current: undefined });

          const b = okKv(await s.create('/d/b', bytes('B')));
          const gone = okKv(await s.delete('/d/b'));
          assert.deepEqual(show(gone), {
            key: '/d/b',
            value: 'B',
            createRevision: b.createRevision,
            modRevision: b.modRevision + 1,
          });
        }),
      );

      test(
        'a key created again after a delete gets a new create revision',
        withStore(async (s) => {
          const a = okKv(await s.create('/n/a', bytes('1')));
          okKv(await s.delete('/n/a', a.modRevision));
          const again = okKv(await s.create('/n/a', bytes('2')));
          assert.equal(again.createRevision, again.modRevision);
          assert.equal(again.createRevision, a.createRevision + 2);
          assert.deepEqual(show(await s.get('/n/a')), show(again));
        }),
      );

      test(
        'an empty key is refused; compacting past the newest revision compacts to it',
        withStore(async (s) => {
          await assert.rejects(s.create('', bytes('x')), TypeError);
          okKv(await s.create('/e/a', bytes('1')));
          const rev = await s.currentRevision();
          await s.compact(rev + 100);
          okKv(await s.create('/e/b', bytes('2')));
          assert.equal(await s.currentRevision(), rev + 1);
          assert.equal((await s.list('/e/')).kvs.length, 2);
        }),
      );

      test(
        'lost compare-and-swaps do not advance the revision',
        withStore(async (s) => {
          const a = okKv(await s.create('/l/a', bytes('1')));
          const rev = await s.currentRevision();
          await s.create('/l/a', bytes('2'));
          await s.update('/l/a', bytes('2'), a.modRevision - 1);
          await s.update('/l/missing', bytes('2'), a.modRevision);
          await s.delete('/l/a', a.modRevision + 5);
          await s.delete('/l/missing');
          assert.equal(await s.currentRevision(), rev);
        }),
      );

      test(
        'of many updates racing from the same revision exactly one wins',
        withStore(async (s) => {
          const a = okKv(await s.create('/race/a', bytes('0')));
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => s.update('/race/a', bytes(`w${i}`), a.modRevision)),
          );
          const winners = results.filter((r) => r.ok);
          assert.equal(winners.length, 1);
          const winner = okKv(winners[0]!);
          for (const r of results) if (!r.ok) assert.equal(r.current?.modRevision, winner.modRevision);
          const creates = await Promise.all(Array.from({ length: 10 }, () => s.create('/race/b', bytes('x'))));
          assert.equal(creates.filter((r) => r.ok).length, 1);
        }),
      );

      test(
        'values round-trip as bytes, including empty and binary values',
        withStore(async (s) => {
          const binary = new Uint8Array([0, 255, 1, 128, 0, 10, 13]);
          okKv(await s.create('/b/bin', binary));
          okKv(await s.create('/b/empty', new Uint8Array()));
          assert.deepEqual([...(await s.get('/b/bin'))!.value], [...binary]);
          assert.equal((await s.get('/b/empty'))!.value.length, 0);
          const big = bytes('x'.repeat(1 << 20));
          okKv(await s.create('/b/big', big));
          assert.equal((await s.get('/b/big'))!.value.length, big.length);
          // A list bigger than common message-size limits (gRPC's 4 MiB default).
          for (let i = 0; i < 5; i++) okKv(await s.create(`/b/many/${i}`, big));
          const many = await s.list('/b/many/');
          assert.deepEqual(
            many.kvs.map((kv) => kv.value.length),
            [1, 2, 3, 4, 5].map(() => big.length),
          );
        }),
      );
    });

    describe('reads', () => {
      test(
        'get at old revisions sees each version, and nothing before creation or after deletion',
        withStore(async (s) => {
          const v1 = okKv(await s.create('/h/a', bytes('v1')));
          okKv(await s.create('/h/other', bytes('o')));
          const v2 = okKv(await s.update('/h/a', bytes('v2'), v1.modRevision));
          const del = okKv(await s.delete('/h/a'));
          const v3 = okKv(await s.create('/h/a', bytes('v3')));
          if (v1.modRevision > 1) assert.equal(await s.get('/h/a', { revision: v1.modRevision - 1 }), undefined);
          assert.deepEqual(show(await s.get('/h/a', { revision: v1.modRevision })), show(v1));
          assert.deepEqual(show(await s.get('/h/a', { revision: v1.modRevision + 1 })), show(v1));
          assert.deepEqual(show(await s.get('/h/a', { revision: v2.modRevision })), show(v2));
          assert.equal(await s.get('/h/a', { revision: del.modRevision }), undefined);
          assert.deepEqual(show(await s.get('/h/a', { revision: v3.modRevision })), show(v3));
          assert.deepEqual(show(await s.get('/h/a', { revision: 0 })), show(v3));
        }),
      );

      test(
        'list returns keys under the prefix in key order, and only those',
        withStore(async (s) => {
          for (const k of ['/p/b', '/p/a', '/pa/x', '/p/c/d', '/o/a', '/p/', '/q']) okKv(await s.create(k, bytes(k)));
          const r = await s.list('/p/');
          assert.deepEqual(
            r.kvs.map((kv) => kv.key),
            ['/p/', '/p/a', '/p/b', '/p/c/d'],
          );
          assert.deepEqual(
            r.kvs.map((kv) => text(kv.value)),
            ['/p/', '/p/a', '/p/b', '/p/c/d'],
          );
          assert.equal(r.more, false);
          assert.equal(r.revision, await s.currentRevision());
          assert.deepEqual(
            (await s.list('/p')).kvs.map((kv) => kv.key),
            ['/p/', '/p/a', '/p/b', '/p/c/d', '/pa/x'],
          );
          assert.deepEqual((await s.list('/nothing/')).kvs, []);
          assert.equal((await s.list('')).kvs.length, 7);
          okKv(await s.delete('/p/a'));
          assert.deepEqual(
            (await s.list('/p/')).kvs.map((kv) => kv.key),
            ['/p/', '/p/b', '/p/c/d'],
          );
        }),
      );

      test(
        "list pages with limit and startAfter, consistently at the first page's revision",
        withStore(async (s) => {
          const keys = Array.from({ length: 25 }, (_, i) => `/pg/k${String(i).padStart(2, '0')}`);
          for (const k of keys) okKv(await s.create(k, bytes(k)));
          const first = await s.list('/pg/', { limit: 10 });
          assert.equal(first.kvs.length, 10);
          assert.equal(first.more, true);
          // Writes after the first page must not show up in later pages read at its revision.
          okKv(await s.create('/pg/k05x', bytes('late')));
          okKv(await s.delete('/pg/k20'));
          const seen = first.kvs.map((kv) => kv.key);
          let last = first;
          while (last.more) {
            last = await s.list('/pg/', { limit: 10, startAfter: last.kvs.at(-1)!.key, revision: first.revision });
            assert.equal(last.revision, first.revision);
            seen.push(...last.kvs.map((kv) => kv.key));
          }
          assert.deepEqual(seen, keys);
          const exact = await s.list('/pg/', { limit: 26 });
          assert.equal(exact.more, false, 'a limit equal to the count is not cut short');
          assert.equal(exact.kvs.length, 25);
          const tail = await s.list('/pg/', { startAfter: '/pg/k23' });
          assert.deepEqual(
            tail.kvs.map((kv) => kv.key),
            ['/pg/k24'],
          );
        }),
      );

      test(
        'list at an old revision shows the keys and values of then',
        withStore(async (s) => {
          const a = okKv(await s.create('/lr/a', bytes('a1')));
          okKv(await s.create('/lr/b', bytes('b1')));
          const then = await s.currentRevision();
          okKv(await s.update('/lr/a', bytes('a2'), a.modRevision));
          okKv(await s.delete('/lr/b'));
          okKv(await s.create('/lr/c', bytes('c1')));
          const old = await s.list('/lr/', { revision: then });
          assert.equal(old.revision, then);
          assert.deepEqual(
            old.kvs.map((kv) => [kv.key, text(kv.value)]),
            [
              ['/lr/a', 'a1'],
              ['/lr/b', 'b1'],
            ],
          );
          const now = await s.list('/lr/');
          assert.deepEqual(
            now.kvs.map((kv) => [kv.key, text(kv.value)]),
            [
              ['/lr/a', 'a2'],
              ['/lr/c', 'c1'],
            ],
          );
        }),
      );

      test(
        'count counts live keys under a prefix',
        withStore(async (s) => {
          assert.equal(await s.count('/cnt/'), 0);
          for (let i = 0; i < 12; i++) okKv(await s.create(`/cnt/${i}`, bytes('x')));
          okKv(await s.create('/cntx', bytes('x')));
          const kv = okKv(await s.update('/cnt/3', bytes('y'), (await s.get('/cnt/3'))!.modRevision));
          okKv(await s.delete('/cnt/4'));
          assert.ok(kv);
          assert.equal(await s.count('/cnt/'), 11);
          assert.equal(await s.count('/cnt'), 12);
          assert.equal(await s.count(''), 12);
        }),
      );
    });

    describe('watch', () => {
      test(
        'replays history from a revision in order, then streams live events without gaps or duplicates',
        withStore(async (s) => {
          const start = await s.currentRevision();
          const a = okKv(await s.create('/w/a', bytes('a1')));
          okKv(await s.update('/w/a', bytes('a2'), a.modRevision));
          okKv(await s.create('/w/b', bytes('b1')));
          okKv(await s.delete('/w/a'));
          const done = collect(s, '/w/', start, 14);
          // Live writes race the replay: the watch must still see each exactly once, in revision order.
          for (let i = 0; i < 10; i++) okKv(await s.create(`/w/live${i}`, bytes(`l${i}`)));
          const events = (await done).map(showEvent);
          assert.deepEqual(events.slice(0, 4), [
            { type: 'put', key: '/w/a', value: 'a1', rev: start + 1 },
            { type: 'put', key: '/w/a', value: 'a2', rev: start + 2 },
            { type: 'put', key: '/w/b', value: 'b1', rev: start + 3 },
            { type: 'delete', key: '/w/a', value: 'a2', rev: start + 4 },
          ]);
          assert.deepEqual(
            events.map((e) => e.rev),
            Array.from({ length: 14 }, (_, i) => start + 1 + i),
          );
          assert.deepEqual(
            events.slice(4).map((e) => e.key),
            Array.from({ length: 10 }, (_, i) => `/w/live${i}`),
          );
        }),
      );

      test(
        'a watch from the newest revision sees only what comes after',
        withStore(async (s) => {
          okKv(await s.create('/wn/old', bytes('old')));
          const rev = await s.currentRevision();
          const done = collect(s, '/wn/', rev, 1);
          okKv(await s.create('/wn/new', bytes('new')));
          assert.deepEqual((await done).map(showEvent), [{ type: 'put', key: '/wn/new', value: 'new', rev: rev + 1 }]);
        }),
      );

      test(
        'a watch from a revision not reached yet starts after it',
        withStore(async (s) => {
          const rev = await s.currentRevision();
          const done = collect(s, '/fu/', rev + 2, 1);
          for (const k of ['/fu/1', '/fu/2', '/fu/3']) okKv(await s.create(k, bytes(k)));
          assert.deepEqual(
            (await done).map((e) => e.kv.key),
            ['/fu/3'],
          );
        }),
      );

      test(
        'a watch on a prefix sees nothing under other prefixes',
        withStore(async (s) => {
          const rev = await s.currentRevision();
          const done = collect(s, '/x/pods/', rev, 2);
          okKv(await s.create('/x/podsy', bytes('no')));
          okKv(await s.create('/x/pods/a', bytes('yes')));
          okKv(await s.create('/x/nodes/a', bytes('no')));
          okKv(await s.create('/x/pods', bytes('no')));
          okKv(await s.create('/x/pods/b', bytes('yes')));
          const events = (await done).map(showEvent);
          assert.deepEqual(
            events.map((e) => e.key),
            ['/x/pods/a', '/x/pods/b'],
          );
        }),
      );

      test(
        'prevKv: updates and deletes carry the previous value; delete events carry the last value',
        withStore(async (s) => {
          const rev = await s.currentRevision();
          const a = okKv(await s.create('/pk/a', bytes('1')));
          const a2 = okKv(await s.update('/pk/a', bytes('2'), a.modRevision));
          okKv(await s.delete('/pk/a', a2.modRevision));
          const withPrev = (await collect(s, '/pk/', rev, 3, { prevKv: true })).map(showEvent);
          assert.deepEqual(withPrev, [
            { type: 'put', key: '/pk/a', value: '1', rev: rev + 1 },
            { type: 'put', key: '/pk/a', value: '2', rev: rev + 2, prev: '1', prevRev: rev + 1 },
            { type: 'delete', key: '/pk/a', value: '2', rev: rev + 3, prev: '2', prevRev: rev + 2 },
          ]);
          // Live events too, not only the replay.
          const live = collect(s, '/pk/', rev + 3, 2, { prevKv: true });
          const b = okKv(await s.create('/pk/b', bytes('x')));
          okKv(await s.update('/pk/b', bytes('y'), b.modRevision));
          const events = await live;
          assert.equal(events[0]!.prevKv, undefined, 'a create has no previous value');
          assert.deepEqual(showEvent(events[1]!), {
            type: 'put',
            key: '/pk/b',
            value: 'y',
            rev: rev + 5,
            prev: 'x',
            prevRev: rev + 4,
          });
          assert.equal(events[1]!.prevKv!.createRevision, rev + 4);
          // Without prevKv the delete event still carries the last value.
          const plain = await collect(s, '/pk/', rev + 2, 1);
          assert.equal(plain[0]!.type, 'delete');
          assert.equal(text(plain[0]!.kv.value), '2');
        }),
      );

      test(
        'many concurrent watchers each see every event once, in order',
        withStore(async (s) => {
          const rev = await s.currentRevision();
          const watchers = Array.from({ length: 40 }, (_, i) =>
            collect(s, i % 2 ? '/m/' : '/m/a', rev, i % 2 ? 200 : 100),
          );
          const writes: Promise<unknown>[] = [];
          for (let i = 0; i < 100; i++) {
            writes.push(s.create(`/m/a${String(i).padStart(3, '0')}`, bytes('a')));
            writes.push(s.create(`/m/b${String(i).padStart(3, '0')}`, bytes('b')));
          }
          for (const r of await Promise.all(writes)) okKv(r as never);
          const results = await Promise.all(watchers);
          for (const [i, events] of results.entries()) {
            const revs = events.map((e) => e.kv.modRevision);
            assert.deepEqual(
              revs,
              [...revs].sort((x, y) => x - y),
              `watcher ${i} out of order`,
            );
            assert.equal(new Set(revs).size, revs.length, `watcher ${i} saw duplicates`);
            assert.equal(events.length, i % 2 ? 200 : 100);
            if (i % 2 === 0) assert.ok(events.every((e) => e.kv.key.startsWith('/m/a')));
          }
        }),
      );

      test(
        'watches started while writes are in flight miss nothing and repeat nothing',
        withStore(async (s) => {
          const rev = await s.currentRevision();
          const watches: Promise<WatchEvent[]>[] = [];
          const writes: Promise<unknown>[] = [];
          for (let i = 0; i < 60; i++) {
            writes.push(s.create(`/f/${String(i).padStart(2, '0')}`, bytes(String(i))));
            if (i % 10 === 0) watches.push(collect(s, '/f/', rev, 60));
            if (i % 15 === 0) await new Promise((r) => setImmediate(r));
          }
          await Promise.all(writes);
          for (const events of await Promise.all(watches))
            assert.deepEqual(
              events.map((e) => e.kv.modRevision),
              Array.from({ length: 60 }, (_, i) => rev + 1 + i),
            );
        }),
      );

      test(
        'aborting the signal ends a watch: the iterator returns',
        withStore(async (s) => {
          const ac = new AbortController();
          const iter = s
            .watch('/ab/', { afterRevision: await s.currentRevision(), signal: ac.signal })
            [Symbol.asyncIterator]();
          const pending = iter.next();
          setImmediate(() => ac.abort());
          const r = await pending;
          assert.equal(r.done, true);
          const already = s.watch('/ab/', { afterRevision: 0, signal: AbortSignal.abort() });
          assert.equal((await already[Symbol.asyncIterator]().next()).done, true, 'an aborted watch yields nothing');
        }),
      );
    });

    describe('compaction and close', () => {
      test(
        'compaction forgets history: old get/list/watch throw Compacted; current state stays',
        withStore(async (s) => {
          const a = okKv(await s.create('/cp/a', bytes('a1')));
          const a2 = okKv(await s.update('/cp/a', bytes('a2'), a.modRevision));
          okKv(await s.create('/cp/b', bytes('b1')));
          okKv(await s.delete('/cp/b'));
          okKv(await s.create('/cp/c', bytes('c1')));
          const compactAt = await s.currentRevision();
          okKv(await s.create('/cp/d', bytes('d1')));
          await s.compact(compactAt);

          await expectStoreError('Compacted', () => s.get('/cp/a', { revision: a.modRevision }));
          await expectStoreError('Compacted', () => s.list('/cp/', { revision: a2.modRevision }));
          await expectStoreError('Compacted', () =>
            s.watch('/cp/', { afterRevision: a.modRevision, signal: AbortSignal.timeout(HANG_GUARD_MS) }),
          );

          assert.deepEqual(
            (await s.list('/cp/')).kvs.map((kv) => [kv.key, text(kv.value)]),
            [
              ['/cp/a', 'a2'],
              ['/cp/c', 'c1'],
              ['/cp/d', 'd1'],
            ],
          );
          assert.deepEqual(
            (await s.list('/cp/', { revision: compactAt })).kvs.map((kv) => kv.key),
            ['/cp/a', '/cp/c'],
          );
          assert.equal(text((await s.get('/cp/a', { revision: compactAt }))!.value), 'a2');
          assert.equal(await s.get('/cp/b'), undefined);
          assert.equal(await s.count('/cp/'), 3);
          const after = (await collect(s, '/cp/', compactAt, 1)).map(showEvent);
          assert.deepEqual(after, [{ type: 'put', key: '/cp/d', value: 'd1', rev: compactAt + 1 }]);
          // Writes keep working after compaction and CAS still sees the surviving versions.
          okKv(await s.update('/cp/a', bytes('a3'), a2.modRevision));
          assert.equal(okKv(await s.create('/cp/b', bytes('b2'))).createRevision, compactAt + 3);
        }),
      );

      test(
        'close: further calls throw Closed and open watches end',
        withStore(async (s) => {
          okKv(await s.create('/cl/a', bytes('1')));
          const ac = new AbortController();
          const guard = setTimeout(() => ac.abort(), HANG_GUARD_MS);
          const rev = await s.currentRevision();
          const open = (async () => {
            try {
              for await (const batch of s.watch('/cl/', { afterRevision: rev, signal: ac.signal }))
                return `unexpected events: ${batch.map((e) => e.kv.key).join(', ')}`;
              return 'returned';
            } catch (err) {
              return isStoreError(err, 'Closed') ? 'closed' : String(err);
            }
          })();
          await new Promise((r) => setImmediate(r));
          await s.close();
          assert.ok(['returned', 'closed'].includes(await open));
          assert.ok(!ac.signal.aborted, 'the watch ended because of close, not the hang guard');
          clearTimeout(guard);
          await expectStoreError('Closed', () => s.get('/cl/a'));
          await expectStoreError('Closed', () => s.list('/cl/'));
          await expectStoreError('Closed', () => s.count('/cl/'));
          await expectStoreError('Closed', () => s.create('/cl/b', bytes('x')));
          await expectStoreError('Closed', () => s.update('/cl/a', bytes('x'), 1));
          await expectStoreError('Closed', () => s.delete('/cl/a'));
          await expectStoreError('Closed', () => s.currentRevision());
          await expectStoreError('Closed', () =>
            s.watch('/cl/', { afterRevision: 0, signal: new AbortController().signal }),
          );
        }),
      );
    });
  });
}
