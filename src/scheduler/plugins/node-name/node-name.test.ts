import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { runFilter } from '../../testing/run-plugin.ts';
import { NodeName } from './node-name.ts';

test('NodeName filter', () => {
  const cases = [
    { name: 'no nodeName fits any node', pod: makePod().obj(), want: undefined },
    { name: 'matching nodeName fits', pod: makePod().node('foo').obj(), want: undefined },
    { name: 'other nodeName is unresolvable', pod: makePod().node('bar').obj(), want: { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match the requested node name"] } },
  ];
  for (const c of cases) assert.deepEqual(runFilter(new NodeName(), c.pod, makeNode().name('foo').obj()), c.want, c.name);
});
