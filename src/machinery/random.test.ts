import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitter, newUid } from './random.ts';

test('newUid returns distinct v4 UUIDs', () => {
  const a = newUid();
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, newUid());
});

test('jitter adds up to factor × ms, and a factor ≤ 0 means 1', () => {
  assert.equal(
    jitter(1000, 0.1, () => 0),
    1000,
  );
  assert.equal(
    jitter(1000, 0.1, () => 0.5),
    1050,
  );
  assert.equal(
    jitter(1000, 0, () => 1),
    2000,
  );
  for (let i = 0; i < 100; i++) {
    const j = jitter(100, 0.2);
    assert.ok(j >= 100 && j <= 120, `${j}`);
  }
});
