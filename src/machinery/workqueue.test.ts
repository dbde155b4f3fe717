import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { WorkQueue } from './workqueue.ts';

test('add dedupes keys while they are queued and keeps first-add order', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.length, 0);
});

test('a key re-added while processing is handed out again only after done', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  const key = await q.get();
  q.add('a');
  q.add('a');
  assert.equal(q.length, 0, 'not queued while a worker holds it');
  let second: string | undefined;
  const pending = q.get().then((k) => (second = k));
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined);
  q.done(key!);
  await pending;
  assert.equal(second, 'a');
  q.done('a');
  assert.equal(q.length, 0, 'both re-adds merged into one');
});

test('get waits for an add and rejects on abort', async () => {
  const q = new WorkQueue<number>({ clock: new FakeClock() });
  const waiting = q.get();
  q.add(7);
  assert.equal(await waiting, 7);
  const ac = new AbortController();
  const aborted = q.get(ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  q.add(8);
  assert.equal(await q.get(), 8, 'an aborted get does not swallow a key');
});

test('addAfter adds when the clock reaches the delay; the earliest pending time wins', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue<string>({ clock });
  q.addAfter('a', 100);
  q.addAfter('a', 500);
  q.addAfter('b', 300);
  q.addAfter('b', 50);
  await clock.step(49);
  assert.equal(q.length, 0);
  await clock.step(1);
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'b');
  await clock.step(50);
  assert.equal(await q.get(), 'a');
  await clock.step(1000);
  assert.equal(q.length, 0, 'the superseded later timers add nothing');
});

test('addRateLimited backs off exponentially per key until forget', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue<string>({ clock, baseDelayMs: 10, maxDelayMs: 50 });
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = clock.now();
    q.addRateLimited('k');
    while (q.length === 0) await clock.step(1);
    delays.push(clock.now() - start);
    q.done((await q.get())!);
  }
  assert.deepEqual(delays, [10, 20, 40, 50, 50]);
  assert.equal(q.numRequeues('k'), 5);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  q.addRateLimited('k');
  await clock.step(9);
  assert.equal(q.length, 0);
  await clock.step(1);
  assert.equal(q.length, 1);
});

test('shutDown drains queued keys, then get resolves undefined; delayed adds are dropped', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue<string>({ clock });
  const idle = q.get();
  q.add('a');
  assert.equal(await idle, 'a');
  q.add('b');
  q.addAfter('c', 10);
  const blocked = [q.get(), q.get()];
  q.shutDown();
  assert.deepEqual(await Promise.all(blocked), ['b', undefined]);
  q.add('d');
  await clock.step(20);
  assert.equal(await q.get(), undefined);
  assert.equal(clock.waiting, 0, 'no timers left behind');
});

test('rejects bad config', () => {
  assert.throws(() => new WorkQueue({ baseDelayMs: 0 }), /baseDelayMs/);
  assert.throws(() => new WorkQueue({ baseDelayMs: 10, maxDelayMs: 5 }), /maxDelayMs/);
});

test('shutDownWithDrain waits for keys being processed to be done', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  const a = await q.get();
  let drained = false;
  const draining = q.shutDownWithDrain().then(() => (drained = true));
  const b = await q.get();
  assert.equal(await q.get(), undefined);
  q.done(a!);
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'b is still being processed');
  q.done(b!);
  await draining;
  assert.equal(drained, true);
  await q.shutDownWithDrain();
});
