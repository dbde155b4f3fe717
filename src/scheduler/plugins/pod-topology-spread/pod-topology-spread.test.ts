import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runFilter } from '../../testing/run-plugin.ts';
import { PodTopologySpread } from './pod-topology-spread.ts';

const SKEW = { code: 'Unschedulable', reasons: ["node(s) didn't match pod topology spread constraints"] };
const MISSING = { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match pod topology spread constraints (missing required label)"] };

test('PodTopologySpread filter', () => {
  const a = makeNode().name('a').labels({ zone: 'a' }).obj();
  const b = makeNode().name('b').labels({ zone: 'b' }).obj();
  const app = () => makePod().labels({ app: 'x' }).obj();
  const spread = (skew = 1, minDomains?: number) => makePod().name('new').labels({ app: 'x' }).spread(skew, 'zone', { app: 'x' }, minDomains).obj();
  const cases = [
    { name: 'balanced: either zone', pod: spread(), node: a, pods: [app()], others: [nodeInfoOf(b, [app()])], want: undefined },
    { name: 'the fuller zone exceeds maxSkew 1', pod: spread(), node: a, pods: [app()], others: [nodeInfoOf(b, [])], want: SKEW },
    { name: 'the emptier zone is fine', pod: spread(), node: b, pods: [], others: [nodeInfoOf(a, [app()])], want: undefined },
    { name: 'maxSkew 2 allows it', pod: spread(2), node: a, pods: [app()], others: [nodeInfoOf(b, [])], want: undefined },
    { name: 'pods of other apps do not count', pod: spread(), node: a, pods: [makePod().labels({ app: 'y' }).obj()], others: [nodeInfoOf(b, [])], want: undefined },
    { name: 'a node without the topology label', pod: spread(), node: makeNode().name('bare').obj(), pods: [], others: [nodeInfoOf(a, [])], want: MISSING },
    { name: 'minDomains 3 with two zones: the minimum is 0', pod: spread(1, 3), node: a, pods: [], others: [nodeInfoOf(b, [app()])], want: undefined },
    { name: 'minDomains 3: one pod already there is the limit', pod: spread(1, 3), node: a, pods: [app()], others: [nodeInfoOf(b, [app()])], want: SKEW },
    {
      name: 'nodes the pod cannot use do not define the minimum',
      pod: makePod().name('new').labels({ app: 'x' }).nodeSelector({ zone: 'a' }).spread(1, 'zone', { app: 'x' }).obj(),
      node: a, pods: [app()], others: [nodeInfoOf(b, [])], want: undefined,
    },
    { name: 'ScheduleAnyway is not a filter', pod: (() => { const p = spread(); p.spec!.topologySpreadConstraints![0]!.whenUnsatisfiable = 'ScheduleAnyway'; return p; })(), node: a, pods: [app(), app()], others: [nodeInfoOf(b, [])], want: undefined },
  ];
  for (const c of cases) assert.deepEqual(runFilter(new PodTopologySpread(), c.pod, c.node, c.pods, c.others), c.want, c.name);
});
