import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { Backoff } from './backoff.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

test('CrashLoopBackOff: 10 s doubling to 5 min', async () => {
  const clock = new FakeClock(0);
  const b = new Backoff({ initialMs: 10 * SECOND, maxMs: 5 * MINUTE, clock });
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    delays.push(b.next('pod/c'));
    await clock.step(b.get('pod/c'));
  }
  assert.deepEqual(
    delays,
    [10, 20, 40, 80, 160, 300, 300].map((s) => s * SECOND),
  );
});

test('isInBackOffSince counts from the event time', async () => {
  const clock = new FakeClock(0);
  const b = new Backoff({ initialMs: 10 * SECOND, maxMs: 5 * MINUTE, clock });
  assert.equal(b.isInBackOffSince('k', clock.now()), false, 'unknown keys are never in back-off');
  const finishedAt = clock.now();
  b.next('k', finishedAt);
  assert.equal(b.isInBackOffSince('k', finishedAt), true);
  await clock.step(9 * SECOND);
  assert.equal(b.isInBackOffSince('k', finishedAt), true);
  await clock.step(SECOND);
  assert.equal(b.isInBackOffSince('k', finishedAt), false);
  assert.equal(b.isInBackOffSinceUpdate('k', clock.now() - 1), true);
  assert.equal(b.isInBackOffSinceUpdate('k', clock.now()), false);
});

test('an entry idle for more than 2 × max starts again from initial', async () => {
  const clock = new FakeClock(0);
  const b = new Backoff({ initialMs: 10 * SECOND, maxMs: 5 * MINUTE, clock });
  for (let i = 0; i < 6; i++) b.next('k');
  assert.equal(b.get('k'), 5 * MINUTE);
  await clock.step(10 * MINUTE);
  assert.equal(b.next('k'), 5 * MINUTE, 'exactly 2 × max is not yet stable');
  await clock.step(10 * MINUTE + 1);
  assert.equal(b.isInBackOffSince('k', clock.now()), false);
  assert.equal(b.next('k'), 10 * SECOND, 'ran for more than 10 minutes: reset');
});

test('reset and gc forget keys', async () => {
  const clock = new FakeClock(0);
  const b = new Backoff({ initialMs: 100, maxMs: 1000, clock });
  b.next('a');
  b.next('a');
  b.next('b');
  b.reset('a');
  assert.equal(b.get('a'), 0);
  assert.equal(b.next('a'), 100);
  await clock.step(2001);
  b.next('c');
  b.gc();
  assert.equal(b.size, 1);
  assert.equal(b.get('c'), 100);
});

test('jitter adds at most factor × delay', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 10_000, jitterFactor: 0.5, random: () => 1, clock: new FakeClock() });
  assert.equal(b.next('k'), 150);
  assert.equal(b.next('k'), 375);
});

test('rejects bad config', () => {
  assert.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), /initialMs/);
  assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), /maxMs/);
});
