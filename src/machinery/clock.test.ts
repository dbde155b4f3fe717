import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';

test('FakeClock wakes sleepers in time order only when stepped past them', async () => {
  const clock = new FakeClock(0);
  const woke: string[] = [];
  const a = clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
  const b = clock.sleep(50).then(() => woke.push(`b@${clock.now()}`));
  await clock.step(49);
  assert.deepEqual(woke, []);
  await clock.step(100);
  await Promise.all([a, b]);
  assert.deepEqual(woke, ['b@50', 'a@100']);
  assert.equal(clock.now(), 149);
});

test('FakeClock sleep rejects when its signal aborts', async () => {
  const clock = new FakeClock(0);
  const ac = new AbortController();
  const slept = clock.sleep(1000, ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(slept, /stop/);
  assert.equal(clock.waiting, 0);
});
