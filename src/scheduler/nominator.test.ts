import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/index.ts';
import { NodeResourcesFit } from './plugins/index.ts';
import { CycleState } from './framework/index.ts';
import { Nominator } from './nominator.ts';
import { nodeInfoOf } from './testing/run-plugin.ts';
import { makeNode, makePod } from './testing/builders.ts';

const nominatedTo = (pod: Pod, node: string): Pod => ({ ...pod, status: { ...pod.status, nominatedNodeName: node } });

test('nominated pods hold their room against pods of lower or equal priority, not higher', () => {
  const nominator = new Nominator();
  const node = nodeInfoOf(makeNode().name('n1').capacity({ cpu: '2', memory: '8Gi', pods: '110' }).obj());
  const nominee = nominatedTo(makePod().name('nominee').priority(100).req({ cpu: '2' }).obj(), 'n1');
  nominator.observe(nominee);
  assert.equal(nominator.nodeOf(nominee), 'n1');
  const fit = new NodeResourcesFit();
  const fits = (pod: Pod) => {
    const state = new CycleState();
    fit.preFilter(state, pod);
    return fit.filter(state, pod, nominator.withNominated(pod, node)) === undefined;
  };
  assert.equal(fits(makePod().name('low').priority(10).req({ cpu: '1' }).obj()), false);
  assert.equal(fits(makePod().name('equal').priority(100).req({ cpu: '1' }).obj()), false);
  assert.equal(fits(makePod().name('higher').priority(1000).req({ cpu: '1' }).obj()), true);
  assert.equal(fits(nominee), true, 'the nominee does not count against itself');
  assert.equal(node.podCount, 0, 'the node itself is not changed');
  // Once bound (or deleted) the nomination is gone.
  nominator.observe({ ...nominee, spec: { ...nominee.spec!, nodeName: 'n1' } });
  assert.equal(nominator.nodeOf(nominee), undefined);
  assert.deepEqual(nominator.podsOn('n1'), []);
});
