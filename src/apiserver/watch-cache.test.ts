import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, type KeyValue } from '../storage/index.ts';
import { WatchCache, TooOldError, eventParts, type CachedEvent } from './watch-cache.ts';
import { poll } from '../machinery/testing/poll.ts';

const enc = (o: unknown) => Buffer.from(JSON.stringify(o));
const decode = (kv: KeyValue) => ({ ...JSON.parse(Buffer.from(kv.value).toString()), metadata: { name: kv.key.split('/').pop(), resourceVersion: String(kv.modRevision) } });

async function until(cond: () => boolean): Promise<void> {
  await poll(cond, String(cond), { intervalMs: 5, timeoutMs: 5000 });
}

test('the watch cache lists, follows the store, replays from its ring, and refuses what fell out of it', async () => {
  const store = new MemoryStore();
  const stop = new AbortController();
  await store.create('/registry/things/a', enc({ v: 1 }));
  const cache = new WatchCache({ store, prefix: '/registry/things/', decode, capacity: 3 });
  const run = cache.run(stop.signal);
  await cache.ready;
  assert.deepEqual(cache.list().items.map((o) => o.metadata?.name), ['a']);
  const live: CachedEvent[] = [];
  const start = cache.revision;
  const sub = cache.subscribe(start, { deliver: (e) => live.push(...e), end: () => {} });
  const b = await store.create('/registry/things/b', enc({ v: 1 }));
  const a = await store.get('/registry/things/a');
  await store.update('/registry/things/a', enc({ v: 2 }), a!.modRevision);
  await store.delete('/registry/things/b');
  await store.create('/registry/other/x', enc({})); // another prefix: not seen
  await until(() => live.length === 3);
  assert.deepEqual(live.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED b', 'MODIFIED a', 'DELETED b']);
  assert.equal(live[1]!.prevObject?.v, 1, 'MODIFIED carries the previous object');
  sub.unsubscribe();
  // The ring holds the last 3 events: a watch from just after b's creation replays the rest.
  assert.deepEqual(cache.subscribe(b.ok ? b.kv.modRevision : 0, { deliver: () => {}, end: () => {} }).backlog.map((e) => e.type), ['MODIFIED', 'DELETED']);
  await store.create('/registry/things/c', enc({ v: 1 }));
  await until(() => cache.list().items.length === 2);
  // The ring is full: the creation of b fell out, so a watch from before it is too old.
  assert.throws(() => cache.subscribe(start, { deliver: () => {}, end: () => {} }), TooOldError);
  // rv 0: the current objects as ADDED.
  assert.deepEqual(cache.subscribe(0, { deliver: () => {}, end: () => {} }).backlog.map((e) => `${e.type} ${e.object.metadata?.name}`).sort(), ['ADDED a', 'ADDED c']);
  stop.abort();
  await run;
  await store.close();
});

test("listSorted returns a prefix in key order; eventParts wraps the object's shared bytes without copying them", async () => {
  const store = new MemoryStore();
  const stop = new AbortController();
  for (const k of ['ns2/a', 'ns1/c', 'ns1/a', 'ns10/x']) await store.create(`/registry/things/${k}`, enc({ v: k }));
  const cache = new WatchCache({ store, prefix: '/registry/things/', decode, capacity: 10 });
  const run = cache.run(stop.signal);
  await cache.ready;
  assert.deepEqual(cache.listSorted('/registry/things/ns1/').items.map((o) => o.v), ['ns1/a', 'ns1/c']);
  assert.deepEqual(cache.listSorted().items.map((o) => o.v), ['ns1/a', 'ns1/c', 'ns10/x', 'ns2/a']);
  await store.create('/registry/things/ns1/b', enc({ v: 'ns1/b' }));
  await until(() => cache.list().items.length === 5);
  assert.deepEqual(cache.listSorted('/registry/things/ns1/').items.map((o) => o.v), ['ns1/a', 'ns1/b', 'ns1/c']);

  const ev: CachedEvent = { type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'x' } }, rv: 7 };
  const json = Buffer.from(JSON.stringify(ev.object));
  const parts = eventParts('MODIFIED', json);
  assert.equal(parts[1], json, "the object's bytes themselves, shared by every watcher");
  const line = Buffer.concat(parts as Buffer[]).toString();
  assert.deepEqual(JSON.parse(line), { type: 'MODIFIED', object: ev.object });
  assert.ok(line.endsWith('}\n'));
  assert.equal(JSON.parse(Buffer.concat(eventParts('DELETED', json) as Buffer[]).toString()).type, 'DELETED');
  assert.equal(Object.keys(ev).join(), 'type,object,rv', 'nothing kept on the event');
  stop.abort();
  await run;
  await store.close();
});
