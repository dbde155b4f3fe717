import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { runFilter } from '../../testing/run-plugin.ts';
import { NodePorts } from './node-ports.ts';

test('NodePorts filter', () => {
  const busy = { code: 'Unschedulable', reasons: ["node(s) didn't have free ports for the requested pod ports"] };
  const node = makeNode().name('n').obj();
  const cases = [
    { name: 'no host ports', pod: makePod().obj(), existing: [makePod().hostPort(80).obj()], want: undefined },
    { name: 'free port', pod: makePod().hostPort(8080).obj(), existing: [makePod().hostPort(80).obj()], want: undefined },
    { name: 'same port and protocol', pod: makePod().hostPort(80).obj(), existing: [makePod().hostPort(80).obj()], want: busy },
    { name: 'other protocol', pod: makePod().hostPort(53, 'UDP').obj(), existing: [makePod().hostPort(53, 'TCP').obj()], want: undefined },
    { name: 'different specific IPs', pod: makePod().hostPort(80, 'TCP', '10.0.0.1').obj(), existing: [makePod().hostPort(80, 'TCP', '10.0.0.2').obj()], want: undefined },
    { name: 'specific IP against all addresses', pod: makePod().hostPort(80, 'TCP', '10.0.0.1').obj(), existing: [makePod().hostPort(80).obj()], want: busy },
  ];
  for (const c of cases) assert.deepEqual(runFilter(new NodePorts(), c.pod, node, c.existing), c.want, c.name);
});
