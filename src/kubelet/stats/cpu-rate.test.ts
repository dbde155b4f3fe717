import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuRate } from './cpu-rate.ts';

test('the rate is the counter difference over the time between two samples', () => {
  const r = new CpuRate(1000);
  assert.deepEqual(r.sample('a', 5_000_000_000, 10_000), { usageNanoCores: undefined, windowMs: undefined });
  // 0.25 s of CPU over 2 s: 125 millicores.
  assert.deepEqual(r.sample('a', 5_250_000_000, 12_000), { usageNanoCores: 125_000_000, windowMs: 2000 });
  // Each key has its own series.
  assert.equal(r.sample('b', 1, 12_000).usageNanoCores, undefined);
});

test('a sample sooner than the minimum interval answers the last rate and keeps the old sample', () => {
  const r = new CpuRate(1000);
  r.sample('a', 0, 0);
  r.sample('a', 1_000_000_000, 2000); // 0.5 cores
  assert.deepEqual(r.sample('a', 9_000_000_000, 2500), { usageNanoCores: 500_000_000, windowMs: 2000 });
  // The next one measures from the sample at 2000, not 2500.
  assert.deepEqual(r.sample('a', 3_000_000_000, 4000), { usageNanoCores: 1_000_000_000, windowMs: 2000 });
});

test('a counter going backwards restarts the series; retain forgets other keys', () => {
  const r = new CpuRate(0);
  r.sample('a', 100, 0);
  assert.equal(r.sample('a', 50, 1000).usageNanoCores, undefined);
  assert.equal(r.sample('a', 1050, 2000).usageNanoCores, 1000);
  r.retain(new Set());
  assert.equal(r.sample('a', 2050, 3000).usageNanoCores, undefined);
});
