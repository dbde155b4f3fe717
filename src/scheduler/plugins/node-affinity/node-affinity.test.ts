import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runFilter, runScore } from '../../testing/run-plugin.ts';
import { NodeAffinity } from './node-affinity.ts';

const rejected = { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] };

test('NodeAffinity filter', () => {
  const node = makeNode().name('n1').labels({ disk: 'ssd', zone: 'a', cores: '8' }).obj();
  const cases = [
    { name: 'nothing asked', pod: makePod().obj(), want: undefined },
    { name: 'nodeSelector matches', pod: makePod().nodeSelector({ disk: 'ssd' }).obj(), want: undefined },
    { name: 'nodeSelector value differs', pod: makePod().nodeSelector({ disk: 'hdd' }).obj(), want: rejected },
    { name: 'nodeSelector label missing', pod: makePod().nodeSelector({ gpu: 'true' }).obj(), want: rejected },
    { name: 'In', pod: makePod().nodeAffinityRequired({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }).obj(), want: undefined },
    { name: 'NotIn', pod: makePod().nodeAffinityRequired({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }).obj(), want: rejected },
    { name: 'Exists', pod: makePod().nodeAffinityRequired({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }).obj(), want: undefined },
    { name: 'DoesNotExist', pod: makePod().nodeAffinityRequired({ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }).obj(), want: rejected },
    { name: 'Gt', pod: makePod().nodeAffinityRequired({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }).obj(), want: undefined },
    { name: 'Lt', pod: makePod().nodeAffinityRequired({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] }).obj(), want: rejected },
    {
      name: 'terms are ORed',
      pod: makePod().nodeAffinityRequired(
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
        { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
      ).obj(),
      want: undefined,
    },
    {
      name: 'expressions in a term are ANDed',
      pod: makePod().nodeAffinityRequired({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }] }).obj(),
      want: rejected,
    },
    { name: 'an empty term matches nothing', pod: makePod().nodeAffinityRequired({}).obj(), want: rejected },
    { name: 'matchFields metadata.name', pod: makePod().nodeAffinityRequired({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }).obj(), want: undefined },
    { name: 'matchFields other name', pod: makePod().nodeAffinityRequired({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }).obj(), want: rejected },
    {
      name: 'nodeSelector and affinity must both match',
      pod: makePod().nodeSelector({ disk: 'hdd' }).nodeAffinityRequired({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }).obj(),
      want: rejected,
    },
  ];
  for (const c of cases) assert.deepEqual(runFilter(new NodeAffinity(), c.pod, node), c.want, c.name);
});

test('NodeAffinity score sums matching preferred weights, normalized to the best node', () => {
  const nodes = [
    nodeInfoOf(makeNode().name('both').labels({ zone: 'a', disk: 'ssd' }).obj()),
    nodeInfoOf(makeNode().name('zone').labels({ zone: 'a' }).obj()),
    nodeInfoOf(makeNode().name('none').obj()),
  ];
  const pod = makePod()
    .nodeAffinityPreferred(30, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] })
    .nodeAffinityPreferred(10, { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] })
    .obj();
  assert.deepEqual(runScore(new NodeAffinity(), pod, nodes), { both: 100, zone: 75, none: 0 });
  assert.deepEqual(runScore(new NodeAffinity(), makePod().obj(), nodes), { both: 0, zone: 0, none: 0 });
});
