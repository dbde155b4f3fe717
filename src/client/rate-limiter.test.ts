import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../machinery/index.ts';
import { TokenBucket } from './rate-limiter.ts';

/** Starts `n` waits and returns which of them resolved by now. */
async function settled(promises: Promise<void>[]): Promise<boolean[]> {
  const done = promises.map(() => false);
  promises.forEach((p, i) =>
    p.then(
      () => (done[i] = true),
      () => (done[i] = true),
    ),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

test('token bucket: the burst goes at once, then one request per 1/qps seconds in arrival order', async () => {
  const clock = new FakeClock(0);
  const bucket = new TokenBucket({ qps: 10, burst: 3, clock });
  const waits = Array.from({ length: 6 }, () => bucket.wait());
  assert.deepEqual(await settled(waits), [true, true, true, false, false, false]);
  await clock.step(99);
  assert.deepEqual(await settled(waits), [true, true, true, false, false, false]);
  await clock.step(1);
  assert.deepEqual(await settled(waits), [true, true, true, true, false, false]);
  await clock.step(200);
  assert.deepEqual(await settled(waits), [true, true, true, true, true, true]);
  // Quiet for a while: the bucket refills up to the burst, not beyond.
  await clock.step(10_000);
  const more = Array.from({ length: 4 }, () => bucket.wait());
  assert.deepEqual(await settled(more), [true, true, true, false]);
  await clock.step(100);
  assert.deepEqual(await settled(more), [true, true, true, true]);
});

test('token bucket: an aborted wait rejects with the reason and gives its token back', async () => {
  const clock = new FakeClock(0);
  const bucket = new TokenBucket({ qps: 1, burst: 1, clock });
  await bucket.wait();
  const ac = new AbortController();
  const waiting = bucket.wait(ac.signal);
  ac.abort(new Error('stopped'));
  await assert.rejects(waiting, /stopped/);
  assert.equal(clock.waiting, 0);
  await assert.rejects(bucket.wait(AbortSignal.abort(new Error('already'))), /already/);
  // The aborted wait's token is back: the next request waits one period, not two.
  const next = bucket.wait();
  await clock.step(1000);
  assert.deepEqual(await settled([next]), [true]);
});

test('token bucket: qps 0 is unlimited; bad settings are refused', async () => {
  const clock = new FakeClock(0);
  const bucket = new TokenBucket({ qps: 0, burst: 0, clock });
  assert.deepEqual(await settled(Array.from({ length: 1000 }, () => bucket.wait())), Array(1000).fill(true));
  assert.throws(() => new TokenBucket({ qps: -1, burst: 1 }), /qps must be a number >= 0/);
  assert.throws(() => new TokenBucket({ qps: 5, burst: 0 }), /burst must be an integer >= 1/);
});
