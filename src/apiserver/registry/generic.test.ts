/**
 * Where the generic registry reads lists from: the watch cache for resourceVersion=0 and for consistent reads
 * (no resourceVersion; pages too while the cache holds their revision) once the cache has seen the registry's
 * own writes, the store otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, type ListOptions as StoreListOptions } from '../../storage/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { SqliteStore } from '../../storage/sqlite/index.ts';
import type { GenericRegistry } from './index.ts';
import { withConfigMapRegistry } from './testing.ts';

/** A memory store that counts the lists it answers. */
class CountingStore extends MemoryStore {
  lists = 0;
  override list(prefix: string, options?: StoreListOptions) {
    this.lists++;
    return super.list(prefix, options);
  }
}

const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } } as KubeObject);

function withRegistry(consistentListFromCache: boolean, fn: (r: GenericRegistry, store: CountingStore) => Promise<void>): Promise<void> {
  return withConfigMapRegistry(new CountingStore(), { consistentListFromCache }, fn);
}

test('consistent lists come from the watch cache and still see the writes just made', async () => {
  await withRegistry(true, async (r, store) => {
    for (const name of ['b', 'a', 'c']) await r.create('ns1', cm(name));
    await r.create('ns2', cm('a'));
    const before = store.lists;
    // Read-your-writes: right after the creates, without waiting for the cache by hand.
    const all = await r.list('');
    assert.deepEqual(all.items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`), ['ns1/a', 'ns1/b', 'ns1/c', 'ns2/a']);
    const ns1 = await r.list('ns1', { filter: (o) => o.metadata?.name !== 'b' });
    assert.deepEqual(ns1.items.map((o) => o.metadata?.name), ['a', 'c']);
    assert.equal((await r.list('ns1', { resourceVersion: '0' })).items.length, 3);
    assert.equal(store.lists, before, 'no store reads');
    const deleted = await r.delete('ns1', 'a', { gracePeriodSeconds: 0 });
    assert.equal(deleted.deleted, true);
    assert.deepEqual((await r.list('ns1')).items.map((o) => o.metadata?.name), ['b', 'c']);
    assert.equal(Number(all.resourceVersion) > 0, true);
    // Exact resourceVersions read the store.
    await r.list('ns1', { resourceVersion: all.resourceVersion });
    assert.equal(store.lists, before + 1);
    // A cached object's JSON is its stored bytes with its resourceVersion.
    const obj = (await r.list('ns2')).items[0]!;
    assert.deepEqual(JSON.parse(r.objectJson(obj).toString()), obj);
  });
});

test('paged consistent lists come from the cache while it holds their revision, then from the store at that revision', async () => {
  await withRegistry(true, async (r, store) => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) await r.create('ns1', cm(name));
    await r.create('ns2', cm('z'));
    const before = store.lists;
    const names = (l: { items: KubeObject[] }) => l.items.map((o) => o.metadata?.name);
    const first = await r.list('ns1', { limit: 2 });
    assert.deepEqual(names(first), ['a', 'b']);
    const second = await r.list('ns1', { limit: 2, continueToken: first.continueToken });
    assert.deepEqual(names(second), ['c', 'd']);
    assert.equal(second.resourceVersion, first.resourceVersion);
    // A filter pages through what passes; the last page has no continue token.
    const filtered = await r.list('ns1', { limit: 2, filter: (o) => o.metadata?.name !== 'a' && o.metadata?.name !== 'd' });
    assert.deepEqual(names(filtered), ['b', 'c']);
    const rest = await r.list('ns1', { limit: 2, filter: (o) => o.metadata?.name !== 'd', continueToken: filtered.continueToken });
    assert.deepEqual(names(rest), ['e']);
    assert.equal(rest.continueToken, undefined);
    assert.equal(store.lists, before, 'every page from the cache');

    // The cache moves on: the next page is the first page's snapshot all the same, read from the store.
    await r.create('ns1', cm('cc'));
    await r.delete('ns1', 'e', { gracePeriodSeconds: 0 });
    await r.cache.waitFor(Number((await r.list('ns1')).resourceVersion), 1000);
    const afterStore = store.lists;
    const third = await r.list('ns1', { limit: 2, continueToken: second.continueToken });
    assert.deepEqual(names(third), ['e']);
    assert.equal(third.continueToken, undefined);
    assert.equal(store.lists, afterStore + 1);
  });
});

test('without consistentListFromCache a list without resourceVersion reads the store', async () => {
  await withRegistry(false, async (r, store) => {
    await r.create('ns1', cm('a'));
    const before = store.lists;
    assert.equal((await r.list('ns1')).items.length, 1);
    assert.equal(store.lists, before + 1);
  });
});

test('the watch cache keeps the object a write made, not a second copy parsed from its bytes, on either store', async () => {
  // sqlite publishes a write's event before the write's promise resolves; memory after: both must share.
  for (const store of [new MemoryStore(), new SqliteStore({ path: ':memory:' })]) {
    await withConfigMapRegistry(store, {}, async (registry) => {
      const created = await registry.create('ns1', cm('a'));
      await registry.cache.waitFor(Number(created.metadata!.resourceVersion), 5000);
      assert.equal(registry.cache.get(registry.key('ns1', 'a')), created, `${store.constructor.name}: the created object itself`);
      const updated = (await registry.update('ns1', 'a', { ...created, data: { k: 'b' } })).object;
      await registry.cache.waitFor(Number(updated.metadata!.resourceVersion), 5000);
      assert.equal(registry.cache.get(registry.key('ns1', 'a')), updated, `${store.constructor.name}: the updated object itself`);
      assert.equal(updated.metadata!.resourceVersion, String(registry.cache.revision));
    });
  }
});
