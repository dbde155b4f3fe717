import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runFilter, runScore } from '../../testing/run-plugin.ts';
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

test('PodTopologySpread score: ScheduleAnyway prefers the domains with fewer matching pods', () => {
  const plugin = new PodTopologySpread();
  const soft = (key: string, maxSkew = 1) => {
    const p = makePod().name('new').labels({ app: 'web' }).obj();
    p.spec!.topologySpreadConstraints = [{ maxSkew, topologyKey: key, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }];
    return p;
  };
  const n = (name: string, zone?: string) => makeNode().name(name).labels({ 'kubernetes.io/hostname': name, ...(zone ? { zone } : {}) }).obj();
  const w = (i: number) => makePod().name(`w${i}`).labels({ app: 'web' }).obj();
  // By zone: a holds 2 (on a1), b holds 0; weight log(2 + 2): a1 and a2 score round(2 × 1.386) = 3, b1 0.
  // Normalized 100 × (3 + 0 - s) / 3: a → 0, b → 100. The unlabelled node is ignored (0).
  const byZone = runScore(plugin, soft('zone'), [nodeInfoOf(n('a1', 'a'), [w(1), w(2)]), nodeInfoOf(n('a2', 'a')), nodeInfoOf(n('b1', 'b')), nodeInfoOf(n('bare'))]);
  assert.deepEqual(byZone, { a1: 0, a2: 0, b1: 100, bare: 0 });
  // By hostname, each node its own count: 2, 1, 0 over log(3 + 2) = 1.609 → 3, 2, 0 → 0, 33, 100.
  const byHost = runScore(plugin, soft('kubernetes.io/hostname'), [nodeInfoOf(n('h1'), [w(1), w(2)]), nodeInfoOf(n('h2'), [w(3)]), nodeInfoOf(n('h3'))]);
  assert.deepEqual(byHost, { h1: 0, h2: 33, h3: 100 });
  // No ScheduleAnyway constraint: the plugin does not score.
  assert.deepEqual(runScore(plugin, makePod().name('plain').obj(), [nodeInfoOf(n('h1'), [w(1)]), nodeInfoOf(n('h2'))]), { h1: 0, h2: 0 });
});
