import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runScore } from '../../testing/run-plugin.ts';
import { balancedScore, NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.ts';

test('balancedScore: 100 when cpu and memory fractions match, less by half their difference', () => {
  assert.equal(balancedScore([1000, 4], [4000, 16]), 100);
  assert.equal(balancedScore([3000, 0], [4000, 16]), 62); // fractions 0.75 and 0 → 1 - 0.375
  assert.equal(balancedScore([8000, 0], [4000, 16]), 50); // a fraction is capped at 1
  assert.equal(balancedScore([1000, 5], [0, 10]), 100); // a resource the node lacks is left out
});

test('NodeResourcesBalancedAllocation prefers the node the pod balances; best-effort pods score 0', () => {
  const plugin = new NodeResourcesBalancedAllocation();
  const node = (name: string) => makeNode().name(name).capacity({ cpu: '4', memory: '4Gi', pods: '110' }).obj();
  const cpuHeavy = makePod().name('cpu').node('a').req({ cpu: '2' }).obj();
  const memHeavy = makePod().name('mem').node('b').req({ memory: '2Gi' }).obj();
  const wantsMemory = makePod().name('p').req({ memory: '2Gi' }).obj();
  // On a: cpu 0.5, memory 0.5 → 100; on b: cpu 0, memory 1 → 50.
  assert.deepEqual(runScore(plugin, wantsMemory, [nodeInfoOf(node('a'), [cpuHeavy]), nodeInfoOf(node('b'), [memHeavy])]), { a: 100, b: 50 });
  assert.deepEqual(runScore(plugin, makePod().name('be').obj(), [nodeInfoOf(node('a'), [cpuHeavy])]), { a: 0 });
});
