import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numFeasibleNodesToFind } from './scheduler.ts';

test('numFeasibleNodesToFind: every node below 100, then upstream adaptive percentage (50% less 1% per 125 nodes, at least 5%, at least 100 nodes)', () => {
  assert.equal(numFeasibleNodesToFind(0), 0);
  assert.equal(numFeasibleNodesToFind(99), 99);
  assert.equal(numFeasibleNodesToFind(100), 100);
  assert.equal(numFeasibleNodesToFind(200), 100);
  assert.equal(numFeasibleNodesToFind(500), 230);
  assert.equal(numFeasibleNodesToFind(1000), 420);
  assert.equal(numFeasibleNodesToFind(5000), 500);
  assert.equal(numFeasibleNodesToFind(10_000), 500);
});
