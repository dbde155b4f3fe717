import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runFilter } from '../../testing/run-plugin.ts';
import { InterPodAffinity } from './inter-pod-affinity.ts';

const zoneA = makeNode().name('a1').labels({ zone: 'a' }).obj();
const zoneA2 = makeNode().name('a2').labels({ zone: 'a' }).obj();
const zoneB = makeNode().name('b1').labels({ zone: 'b' }).obj();
const db = makePod().name('db').labels({ app: 'db' }).obj();
const web = makePod().name('web-0').labels({ app: 'web' }).obj();

const AFFINITY = { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match pod affinity rules"] };
const ANTI = { code: 'Unschedulable', reasons: ["node(s) didn't match pod anti-affinity rules"] };
const EXISTING = { code: 'Unschedulable', reasons: ["node(s) didn't satisfy existing pods anti-affinity rules"] };

test('InterPodAffinity filter', () => {
  const wantsDbZone = makePod().name('app').podAffinity({ app: 'db' }, 'zone').obj();
  const spreadsWeb = makePod().name('web-1').labels({ app: 'web' }).podAffinity({ app: 'web' }, 'kubernetes.io/hostname', { anti: true }).obj();
  const cases = [
    { name: 'affinity: the node holds a match', pod: wantsDbZone, node: zoneA, pods: [db], others: [], want: undefined },
    { name: 'affinity: another node of the same zone holds it', pod: wantsDbZone, node: zoneA2, pods: [], others: [nodeInfoOf(zoneA, [db])], want: undefined },
    { name: 'affinity: only another zone holds it', pod: wantsDbZone, node: zoneB, pods: [], others: [nodeInfoOf(zoneA, [db])], want: AFFINITY },
    { name: 'affinity: the node lacks the topology label', pod: wantsDbZone, node: makeNode().name('bare').obj(), pods: [], others: [nodeInfoOf(zoneA, [db])], want: AFFINITY },
    { name: 'affinity: matches in other namespaces do not count', pod: wantsDbZone, node: zoneA, pods: [makePod().namespace('other').labels({ app: 'db' }).obj()], others: [], want: AFFINITY },
    {
      name: 'affinity: the first pod of a self-affine group may go anywhere',
      pod: makePod().labels({ app: 'cache' }).podAffinity({ app: 'cache' }, 'zone').obj(), node: zoneB, pods: [], others: [], want: undefined,
    },
    { name: 'anti-affinity: one per node', pod: spreadsWeb, node: zoneA, pods: [web], others: [], want: ANTI },
    { name: 'anti-affinity: another node is fine', pod: spreadsWeb, node: zoneA2, pods: [], others: [nodeInfoOf(zoneA, [web])], want: undefined },
    {
      name: "existing pods' anti-affinity keeps matching pods out of their domain",
      pod: makePod().name('intruder').labels({ app: 'web' }).obj(), node: zoneA,
      pods: [makePod().name('loner').podAffinity({ app: 'web' }, 'zone', { anti: true }).obj()], others: [], want: EXISTING,
    },
    {
      name: "existing pods' anti-affinity reaches the whole zone",
      pod: makePod().name('intruder').labels({ app: 'web' }).obj(), node: zoneA2, pods: [],
      others: [nodeInfoOf(zoneA, [makePod().name('loner').podAffinity({ app: 'web' }, 'zone', { anti: true }).obj()])], want: EXISTING,
    },
    {
      name: "existing pods' anti-affinity does not reach other zones",
      pod: makePod().name('intruder').labels({ app: 'web' }).obj(), node: zoneB, pods: [],
      others: [nodeInfoOf(zoneA, [makePod().name('loner').podAffinity({ app: 'web' }, 'zone', { anti: true }).obj()])], want: undefined,
    },
  ];
  for (const c of cases) assert.deepEqual(runFilter(new InterPodAffinity(), c.pod, c.node, c.pods, c.others), c.want, c.name);
});
