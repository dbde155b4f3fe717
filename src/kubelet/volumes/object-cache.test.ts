import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { ObjectCache } from './object-cache.ts';

test('ObjectCache: one GET for concurrent and recent reads, a new one after the TTL, copies handed out', async () => {
  const clock = new FakeClock();
  let gets = 0;
  const cache = new ObjectCache(async (ns: string, name: string) => ({ key: `${ns}/${name}`, n: ++gets }), { clock, ttlMs: 1000 });
  const [a, b] = await Promise.all([cache.get('ns', 'cm'), cache.get('ns', 'cm')]);
  assert.equal(gets, 1);
  assert.deepEqual(a, { key: 'ns/cm', n: 1 });
  a.n = 99;
  assert.deepEqual(b, { key: 'ns/cm', n: 1 }, 'each caller has its own copy');
  await clock.step(999);
  assert.equal((await cache.get('ns', 'cm')).n, 1);
  await cache.get('other', 'cm');
  assert.equal(gets, 2, 'another object is another GET');
  await clock.step(1);
  assert.equal((await cache.get('ns', 'cm')).n, 3, 'expired: read again');
});

test('ObjectCache: a failed GET is not kept, so an object created later is seen at once', async () => {
  const clock = new FakeClock();
  let exists = false;
  const cache = new ObjectCache(async () => {
    if (!exists) throw new Error('not found');
    return { ok: true };
  }, { clock });
  await assert.rejects(cache.get('ns', 'late'), /not found/);
  exists = true;
  assert.deepEqual(await cache.get('ns', 'late'), { ok: true });
});
