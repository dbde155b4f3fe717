import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../testing/builders.ts';
import { NodeInfo } from './node-info.ts';

test('NodeInfo keeps the pods with pod (anti-)affinity apart, and its pod list current', () => {
  const info = new NodeInfo(makeNode().name('n1').obj());
  const plain = makePod().name('plain').obj();
  const anti = makePod().name('anti').obj();
  anti.spec!.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  info.addPod(plain);
  info.addPod(anti);
  assert.deepEqual([...info.podsWithAffinity].map((p) => p.metadata?.name), ['anti']);
  assert.deepEqual(info.pods.map((p) => p.metadata?.name), ['plain', 'anti']);
  info.removePod(anti);
  assert.deepEqual([...info.podsWithAffinity], []);
  assert.deepEqual(info.pods.map((p) => p.metadata?.name), ['plain'], 'the list follows a removal');
  assert.deepEqual(info.clone().pods.map((p) => p.metadata?.name), ['plain']);
});
