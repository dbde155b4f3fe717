/**
 * guaranteedUpdate starts from the watch cache's copy of the object (no store read), and answers only what
 * the store's state confirms: a cache behind the store costs a retry, never a wrong answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../storage/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { ApiError } from '../status.ts';
import { deepFreeze } from '../../machinery/index.ts';
import type { GenericRegistry } from './index.ts';
import { withConfigMapRegistry } from './testing.ts';

/** A memory store that counts the point reads it answers. */
class CountingStore extends MemoryStore {
  gets = 0;
  override get(key: string, options?: { revision?: number }) {
    this.gets++;
    return super.get(key, options);
  }
}

type ConfigMap = KubeObject & { data?: Record<string, string> };
const cm = (name: string, value: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: value } });

function withRegistry(fn: (r: GenericRegistry, store: CountingStore) => Promise<void>): Promise<void> {
  return withConfigMapRegistry(new CountingStore(), {}, fn);
}

/** Writes `value` under the registry's key behind its back: the store has it at once, the cache a little later. */
async function writeBehind(r: GenericRegistry, store: CountingStore, name: string, value: string): Promise<number> {
  const key = r.key('ns', name);
  const kv = (await store.get(key))!;
  const obj = r.decode(kv) as ConfigMap;
  obj.data = { k: value };
  const result = await store.update(key, r.encode(obj), kv.modRevision);
  assert.ok(result.ok);
  return result.kv.modRevision;
}

const setValue = (value: string) => (current: KubeObject | undefined) => {
  const obj = current as ConfigMap;
  obj.data = { k: value };
  return obj;
};

test('an update from a caught-up cache reads nothing from the store, and does not change the cached object', async () => {
  await withRegistry(async (r, store) => {
    const created = await r.create('ns', cm('a', '1'));
    await r.cache.waitFor(Number(created.metadata!.resourceVersion), 2000);
    const cachedBefore = r.cache.get(r.key('ns', 'a'))!;
    const gets = store.gets;
    const { object } = await r.guaranteedUpdate('ns', 'a', {}, setValue('2'));
    assert.equal(store.gets, gets, 'no store read');
    assert.equal((object as ConfigMap).data!.k, '2');
    assert.equal((cachedBefore as ConfigMap).data!.k, '1', 'the shared cached object is left alone');
    const stored = await r.get('ns', 'a');
    assert.equal((stored as ConfigMap).data!.k, '2');
    assert.equal(stored.metadata!.resourceVersion, object.metadata!.resourceVersion);
  });
});

test('a cache behind the store loses the compare-and-swap and the update is made on the store\'s state', async () => {
  await withRegistry(async (r, store) => {
    const created = await r.create('ns', cm('a', '1'));
    await r.cache.waitFor(Number(created.metadata!.resourceVersion), 2000);
    await writeBehind(r, store, 'a', '2');
    const seen: string[] = [];
    const { object } = await r.guaranteedUpdate('ns', 'a', {}, (current) => {
      seen.push((current as ConfigMap).data!.k);
      const obj = current as ConfigMap;
      obj.data = { k: `${obj.data!.k}+x` };
      return obj;
    });
    assert.deepEqual(seen, ['1', '2'], 'tried on the cached state, then on the stored one');
    assert.equal((object as ConfigMap).data!.k, '2+x');
    assert.equal(((await r.get('ns', 'a')) as ConfigMap).data!.k, '2+x');
  });
});

test('a resourceVersion precondition is checked against the store, not a cache behind it', async () => {
  await withRegistry(async (r, store) => {
    const created = await r.create('ns', cm('a', '1'));
    const oldRv = created.metadata!.resourceVersion!;
    await r.cache.waitFor(Number(oldRv), 2000);
    const newRv = String(await writeBehind(r, store, 'a', '2'));
    // The client read the newest state: its update goes through although the cache still has the old one.
    const { object } = await r.guaranteedUpdate('ns', 'a', {}, setValue('3'), newRv);
    assert.equal((object as ConfigMap).data!.k, '3');
    // The cached resourceVersion of a state the store has left is a conflict.
    await writeBehind(r, store, 'a', '4');
    await assert.rejects(r.guaranteedUpdate('ns', 'a', {}, setValue('5'), object.metadata!.resourceVersion), (err: ApiError) => err.code === 409);
    // And so is an old one the cache agrees with the store on.
    await r.cache.waitFor(Number((await r.get('ns', 'a')).metadata!.resourceVersion), 2000);
    await assert.rejects(r.guaranteedUpdate('ns', 'a', {}, setValue('6'), oldRv), (err: ApiError) => err.code === 409);
  });
});

test('a no-op or a failure on the cached state stands only when the store has that state', async () => {
  await withRegistry(async (r, store) => {
    const created = await r.create('ns', cm('a', '1'));
    await r.cache.waitFor(Number(created.metadata!.resourceVersion), 2000);
    // Unchanged against the cache, a change against the store: written.
    const rv = await writeBehind(r, store, 'a', '2');
    const { object } = await r.guaranteedUpdate('ns', 'a', {}, setValue('1'));
    assert.ok(Number(object.metadata!.resourceVersion) > rv, 'written');
    assert.equal(((await r.get('ns', 'a')) as ConfigMap).data!.k, '1');
    // Unchanged against a cache that has the store's state: no write.
    await r.cache.waitFor(Number(object.metadata!.resourceVersion), 2000);
    const same = await r.guaranteedUpdate('ns', 'a', {}, setValue('1'));
    assert.equal(same.object.metadata!.resourceVersion, object.metadata!.resourceVersion);
    // A refusal on a cached state the store has left is decided again on the store's state.
    await writeBehind(r, store, 'a', 'ok');
    const refuseUnlessOk = (current: KubeObject | undefined) => {
      const obj = current as ConfigMap;
      if (obj.data!.k !== 'ok') throw new ApiError(409, 'Conflict', 'not ok', {});
      obj.data = { k: 'done' };
      return obj;
    };
    assert.equal(((await r.guaranteedUpdate('ns', 'a', {}, refuseUnlessOk)).object as ConfigMap).data!.k, 'done');
    // The same refusal on a current cached state is the answer.
    await r.cache.waitFor(Number((await r.get('ns', 'a')).metadata!.resourceVersion), 2000);
    await assert.rejects(r.guaranteedUpdate('ns', 'a', {}, refuseUnlessOk), (err: ApiError) => err.message === 'not ok');
  });
});

test('a write built from a frozen cached object (an in-process reader froze it) is written from a copy', async () => {
  await withRegistry(async (r) => {
    const created = (await r.create('ns', cm('frozen', '1'))) as ConfigMap;
    await r.cache.waitFor(Number(created.metadata!.resourceVersion), 2000);
    const cached = deepFreeze(r.cache.get(r.key('ns', 'frozen'))!) as ConfigMap;
    // As the quota admission writes status: the cached object spread, one part replaced.
    const updated = (await r.update('ns', 'frozen', { ...cached, data: { k: '2' } })).object as ConfigMap;
    assert.equal(updated.data?.k, '2');
    assert.equal(cached.data?.k, '1', 'the cached object is unchanged');
    const again = (await r.create('ns', deepFreeze({ ...cm('copy', '3'), metadata: { name: 'copy' } }))) as ConfigMap;
    assert.equal(again.metadata?.namespace, 'ns');
  });
});
