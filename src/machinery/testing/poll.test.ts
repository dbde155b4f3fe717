import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll, PollTimeout } from './poll.ts';

test('poll: resolves with the first truthy value, sync or async', async () => {
  let n = 0;
  assert.equal(await poll(() => (++n >= 3 ? `n=${n}` : undefined), 'three asks', { intervalMs: 1 }), 'n=3');
  let m = 0;
  assert.equal(await poll(async () => ++m >= 2 && m, 'two asks', { intervalMs: 1 }), 2);
});

test('poll: times out naming what it waited for and the detail', async () => {
  await assert.rejects(
    poll(() => false, 'never', { intervalMs: 1, timeoutMs: 5, detail: () => 'last seen: nothing' }),
    (err: unknown) =>
      err instanceof PollTimeout && /^timed out waiting for never\nlast seen: nothing$/.test(err.message),
  );
});

test('poll: an error fails at once unless retryErrors, which names the last error on timeout', async () => {
  let asks = 0;
  await assert.rejects(
    poll(() => {
      asks++;
      throw new Error('boom');
    }, 'x'),
    /boom/,
  );
  assert.equal(asks, 1);
  let k = 0;
  assert.equal(
    await poll(
      async () => {
        if (++k < 3) throw new Error('not found');
        return 'found';
      },
      'y',
      { intervalMs: 1, retryErrors: true },
    ),
    'found',
  );
  await assert.rejects(
    poll(() => Promise.reject(new Error('not found')), 'z', { intervalMs: 1, timeoutMs: 5, retryErrors: true }),
    /^PollTimeout: timed out waiting for z \(last error: Error: not found\)$/,
  );
});
