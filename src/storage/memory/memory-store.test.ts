import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStoreError } from '../errors.ts';
import { runStoreConformance } from '../store.conformance.ts';
import { MemoryStore } from './memory-store.ts';

runStoreConformance('memory', async () => new MemoryStore());

const bytes = (s: string) => new TextEncoder().encode(s);

test('MemoryStore compacts automatically, keeping a bounded window of history', async () => {
  const store = new MemoryStore({ keepRevisions: 100 });
  try {
    let kv = (await store.create('/k', bytes('0'))) as { ok: true; kv: { modRevision: number } };
    const first = kv.kv.modRevision;
    for (let i = 1; i <= 1000; i++) {
      kv = (await store.update('/k', bytes(String(i)), kv.kv.modRevision)) as typeof kv;
      assert.equal(kv.ok, true);
    }
    const rev = await store.currentRevision();
    await assert.rejects(store.get('/k', { revision: first }), (err) => isStoreError(err, 'Compacted'));
    assert.equal(new TextDecoder().decode((await store.get('/k', { revision: rev - 99 }))!.value), String(1000 - 99));
    assert.equal((await store.list('/')).kvs.length, 1);
  } finally {
    await store.close();
  }
});

test('MemoryStore ends a watcher that falls too far behind with Compacted', async () => {
  const store = new MemoryStore({ maxPendingEvents: 10 });
  try {
    const iter = store
      .watch('/', { afterRevision: await store.currentRevision(), signal: AbortSignal.timeout(10_000) })
      [Symbol.asyncIterator]();
    const first = iter.next();
    await store.create('/a', bytes('a'));
    assert.equal((await first).value?.length, 1);
    for (let i = 0; i < 20; i++) await store.create(`/b${i}`, bytes('b'));
    await assert.rejects(iter.next(), (err) => isStoreError(err, 'Compacted'));
  } finally {
    await store.close();
  }
});
