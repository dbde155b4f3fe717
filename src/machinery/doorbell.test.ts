import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Doorbell } from './doorbell.ts';

test('rings coalesce: many rings before a wait make one wake-up', async () => {
  const bell = new Doorbell();
  bell.ring();
  bell.ring();
  assert.equal(bell.rung, true);
  await bell.wait();
  assert.equal(bell.rung, false);
  let woke = false;
  const waiting = bell.wait().then(() => (woke = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(woke, false, 'the second wait needs a new ring');
  bell.ring();
  await waiting;
  assert.equal(woke, true);
  assert.equal(bell.rung, false, 'a ring that woke a waiter is consumed');
});

test('wait rejects on abort and leaves later rings for the next waiter', async () => {
  const bell = new Doorbell();
  const ac = new AbortController();
  const w = bell.wait(ac.signal);
  ac.abort(new Error('bye'));
  await assert.rejects(w, /bye/);
  bell.ring();
  assert.equal(bell.rung, true);
  await assert.rejects(bell.wait(AbortSignal.abort(new Error('already'))), /already/);
});
