import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../machinery/index.ts';
import { isStoreError } from '../errors.ts';
import { runStoreConformance } from '../store.conformance.ts';
import { SqliteStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeling-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreConformance('sqlite (file)', async () => new SqliteStore({ path: join(dir, `conf-${n++}.db`) }));
runStoreConformance('sqlite (:memory:)', async () => new SqliteStore({ path: ':memory:' }));

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test('SqliteStore keeps keys, revisions and the compact revision across reopen', async () => {
  const path = join(dir, 'reopen.db');
  const s1 = new SqliteStore({ path });
  const a = await s1.create('/a', bytes('1'));
  assert.ok(a.ok);
  await s1.update('/a', bytes('2'), a.kv.modRevision);
  await s1.create('/b', bytes('b'));
  const del = await s1.delete('/b');
  assert.ok(del.ok);
  await s1.compact(del.kv.modRevision);
  const rev = await s1.currentRevision();
  await s1.close();

  const s2 = new SqliteStore({ path });
  try {
    assert.equal(await s2.currentRevision(), rev, 'a compacted trailing delete does not roll the revision back');
    assert.equal(text((await s2.get('/a'))!.value), '2');
    assert.equal(await s2.get('/b'), undefined);
    await assert.rejects(s2.get('/a', { revision: a.kv.modRevision }), (e) => isStoreError(e, 'Compacted'));
    const c = await s2.create('/c', bytes('c'));
    assert.ok(c.ok);
    assert.equal(c.kv.modRevision, rev + 1);
  } finally {
    await s2.close();
  }
});

test('a second SqliteStore on the same file fails with Unavailable', async () => {
  const path = join(dir, 'locked.db');
  const s1 = new SqliteStore({ path });
  try {
    assert.throws(
      () => new SqliteStore({ path }),
      (e) => isStoreError(e, 'Unavailable') && /another kubeling/.test(e.message),
    );
  } finally {
    await s1.close();
  }
});

test('background compaction keeps the newest revisions and at least keepMs of history', async () => {
  const clock = new FakeClock(0);
  const store = new SqliteStore({
    path: ':memory:',
    clock,
    keepRevisions: 10,
    keepMs: 60_000,
    compactIntervalMs: 30_000,
  });
  try {
    let kv = await store.create('/k', bytes('0'));
    assert.ok(kv.ok);
    const first = kv.kv.modRevision;
    for (let i = 1; i <= 50; i++) {
      kv = await store.update('/k', bytes(String(i)), (kv as { ok: true; kv: { modRevision: number } }).kv.modRevision);
      assert.ok(kv.ok);
    }
    const revAtStart = await store.currentRevision();
    await clock.step(30_000);
    await clock.step(30_000);
    assert.equal(text((await store.get('/k', { revision: first }))!.value), '0', 'history younger than keepMs is kept');
    for (let i = 0; i < 20; i++) await store.create(`/x${i}`, bytes('x'));
    await clock.step(30_000);
    await store.compact(0); // waits for the background run to finish
    await assert.rejects(store.get('/k', { revision: first }), (e) => isStoreError(e, 'Compacted'));
    assert.equal(text((await store.get('/k', { revision: revAtStart }))!.value), '50');
    assert.equal(await store.count('/'), 21);
  } finally {
    await store.close();
  }
});

test('group commit: writes share a transaction, and nothing uncommitted is visible', async () => {
  const store = new SqliteStore({ path: join(dir, 'group.db') });
  try {
    const rev = await store.currentRevision();
    // Issued in one turn of the event loop: one transaction. Reads in the same turn see none of it.
    const writes = [
      store.create('/g/a', bytes('a')),
      store.create('/g/b', bytes('b')),
      store.create('/g/a', bytes('x')),
    ];
    const reads = [store.get('/g/a'), store.list('/g/'), store.count('/g/'), store.currentRevision()];
    assert.deepEqual(await Promise.all(reads.slice(0, 3)), [undefined, { kvs: [], revision: rev, more: false }, 0]);
    assert.equal(await reads[3], rev);
    const [a, b, again] = await Promise.all(writes);
    assert.equal(a!.ok && a.kv.modRevision, rev + 1);
    assert.equal(b!.ok && b.kv.modRevision, rev + 2);
    assert.equal(again!.ok, false, 'the second create lost against the uncommitted first');
    assert.equal(!again!.ok && again.current?.modRevision, rev + 1);
    assert.equal(await store.currentRevision(), rev + 2);
    assert.equal(await store.count('/g/'), 2);
  } finally {
    await store.close();
  }
});
