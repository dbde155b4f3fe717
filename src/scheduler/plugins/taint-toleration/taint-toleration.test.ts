import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runFilter, runScore } from '../../testing/run-plugin.ts';
import { TaintToleration } from './taint-toleration.ts';
import { toleratesTaint } from '../../../api/index.ts';

test('toleratesTaint', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
  const cases: [string, Parameters<typeof toleratesTaint>[0], boolean][] = [
    ['Equal with same value', { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, true],
    ['default operator is Equal', { key: 'k', value: 'v' }, true],
    ['Equal with other value', { key: 'k', operator: 'Equal', value: 'x' }, false],
    ['Exists ignores value', { key: 'k', operator: 'Exists' }, true],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['other effect', { key: 'k', operator: 'Exists', effect: 'NoExecute' }, false],
    ['other key', { key: 'j', operator: 'Exists' }, false],
  ];
  for (const [name, t, want] of cases) assert.equal(toleratesTaint(t, taint), want, name);
});

test('TaintToleration filter', () => {
  const cases = [
    { name: 'no taints', node: makeNode().obj(), pod: makePod().obj(), want: undefined },
    {
      name: 'untolerated NoSchedule taint, message shows key and value',
      node: makeNode().taint({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }).obj(),
      pod: makePod().obj(),
      want: { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {dedicated: gpu}'] },
    },
    {
      name: 'taint without value prints an empty value',
      node: makeNode().taint({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoExecute' }).obj(),
      pod: makePod().obj(),
      want: { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'] },
    },
    {
      name: 'tolerated taint',
      node: makeNode().taint({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }).obj(),
      pod: makePod().toleration({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }).obj(),
      want: undefined,
    },
    {
      name: 'PreferNoSchedule does not filter',
      node: makeNode().taint({ key: 'soft', value: '', effect: 'PreferNoSchedule' }).obj(),
      pod: makePod().obj(),
      want: undefined,
    },
  ];
  for (const c of cases) assert.deepEqual(runFilter(new TaintToleration(), c.pod, c.node), c.want, c.name);
});

test('TaintToleration score favours fewer untolerated PreferNoSchedule taints', () => {
  const nodes = [
    nodeInfoOf(makeNode().name('clean').obj()),
    nodeInfoOf(makeNode().name('one').taint({ key: 'a', effect: 'PreferNoSchedule' }).obj()),
    nodeInfoOf(makeNode().name('two').taint({ key: 'a', effect: 'PreferNoSchedule' }).taint({ key: 'b', effect: 'PreferNoSchedule' }).obj()),
    nodeInfoOf(makeNode().name('tolerated').taint({ key: 'c', effect: 'PreferNoSchedule' }).obj()),
  ];
  const pod = makePod().toleration({ key: 'c', operator: 'Exists', effect: 'PreferNoSchedule' }).obj();
  assert.deepEqual(runScore(new TaintToleration(), pod, nodes), { clean: 100, one: 50, two: 0, tolerated: 100 });
});
