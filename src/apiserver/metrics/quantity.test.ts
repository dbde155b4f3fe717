import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatNanoCores } from './quantity.ts';

test('CPU in the largest exact suffix, as metrics-server serializes nanocores', () => {
  assert.equal(formatNanoCores(0), '0');
  assert.equal(formatNanoCores(123456), '123456n');
  assert.equal(formatNanoCores(12_000_000), '12m');
  assert.equal(formatNanoCores(1_500_000), '1500u');
  assert.equal(formatNanoCores(1_000_000_000), '1');
  assert.equal(formatNanoCores(2_500_000_000), '2500m');
});

test('memory as BinarySI: Ki/Mi/Gi when a multiple of 1024, else bytes', () => {
  assert.equal(formatBytes(0), '0');
  assert.equal(formatBytes(1_536_000), '1500Ki');
  assert.equal(formatBytes(2 * 1024 * 1024), '2Mi');
  assert.equal(formatBytes(1000), '1000');
  assert.equal(formatBytes(3 * 1024 ** 3), '3Gi');
});

test('windows as Go durations', () => {
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(12_500), '12.5s');
  assert.equal(formatDuration(65_000), '1m5s');
});
