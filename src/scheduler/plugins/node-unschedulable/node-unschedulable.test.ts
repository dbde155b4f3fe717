import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { runFilter } from '../../testing/run-plugin.ts';
import { NodeUnschedulable } from './node-unschedulable.ts';

test('NodeUnschedulable filter', () => {
  const rejected = { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] };
  const cases = [
    { name: 'schedulable node', node: makeNode().obj(), pod: makePod().obj(), want: undefined },
    { name: 'cordoned node rejects', node: makeNode().unschedulable().obj(), pod: makePod().obj(), want: rejected },
    {
      name: 'cordoned node takes a pod tolerating the unschedulable taint',
      node: makeNode().unschedulable().obj(),
      pod: makePod().toleration({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }).obj(),
      want: undefined,
    },
    {
      name: 'a NoExecute-only toleration does not count',
      node: makeNode().unschedulable().obj(),
      pod: makePod().toleration({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }).obj(),
      want: rejected,
    },
  ];
  for (const c of cases) assert.deepEqual(runFilter(new NodeUnschedulable(), c.pod, c.node), c.want, c.name);
});
