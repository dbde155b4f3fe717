/**
 * The registry keeps an object's JSON only while it is recent: through the window it was made in and the
 * next, longer while it is read, and never for objects nobody wrote or watched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { RecentJson } from './recent-json.ts';
import { MemoryStore } from '../../storage/index.ts';
import { withConfigMapRegistry } from './testing.ts';

const obj = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });

test('an entry lives through its window and the next, and goes after that unless read', async () => {
  const clock = new FakeClock();
  const recent = new RecentJson({ clock, windowMs: 1000 });
  const a = obj('a');
  const b = obj('b');
  recent.set(a, Buffer.from('"a"'));
  recent.set(b, Buffer.from('"b"'));
  await clock.step(1500);
  assert.equal(recent.get(a)?.toString(), '"a"', 'still there in the next window (and read again)');
  await clock.step(1000);
  assert.equal(recent.get(a)?.toString(), '"a"', 'a read keeps it');
  assert.equal(recent.get(b), undefined, 'an unread entry is gone after two windows');
  await clock.step(2500);
  assert.equal(recent.get(a), undefined, 'nothing survives two idle windows');
});

test('a burst of writes keeps only the last generations of their JSON', () => {
  const recent = new RecentJson({ clock: new FakeClock(), windowMs: 1000, maxEntries: 2 });
  const objs = ['a', 'b', 'c', 'd', 'e'].map(obj);
  for (const o of objs) recent.set(o, Buffer.from(JSON.stringify(o)));
  assert.deepEqual(objs.map((o) => recent.get(o) !== undefined), [false, false, true, true, true]);
});

test('the registry keeps the JSON of what it wrote and watched, and lists make JSON without keeping it', async () => {
  await withConfigMapRegistry(new MemoryStore(), {}, async (r) => {
    const written = await r.create('ns1', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } } as KubeObject);
    // The write's JSON (spliced from its stored bytes) is what watchers are sent: the same bytes each time.
    const json = r.objectJson(written);
    assert.equal(r.objectJson(written), json);
    assert.deepEqual(JSON.parse(json.toString()), written);
    // A listed object that nobody wrote or watched recently gets its JSON made for the list alone.
    const other = { ...written, metadata: { ...written.metadata, name: 'b' } };
    assert.deepEqual(JSON.parse(r.listJson(other).toString()), other);
    // Not kept: a later JSON of it is made anew (seen here by changing the object, which the server never does).
    (other as { data?: unknown }).data = { k: 'changed' };
    assert.deepEqual(JSON.parse(r.objectJson(other).toString()).data, { k: 'changed' });
    assert.equal(r.listJson(written), json, 'a recent JSON serves lists too');
  });
});
