import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import type { Pod } from '../../../api/index.ts';
import { nodeInfoOf, runFilter, runScore } from '../../testing/run-plugin.ts';
import { CycleState } from '../../framework/index.ts';
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

/** A pod with preferred (anti-)affinity terms: [labels, topologyKey, weight, anti]. */
function preferring(name: string, labels: Record<string, string>, terms: [Record<string, string>, string, number, boolean][]): Pod {
  const p = makePod().name(name).labels(labels).obj();
  const term = ([sel, key, weight]: [Record<string, string>, string, number, boolean]) => ({ weight, podAffinityTerm: { labelSelector: { matchLabels: sel }, topologyKey: key } });
  p.spec!.affinity = {
    podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms.filter((t) => !t[3]).map(term) },
    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms.filter((t) => t[3]).map(term) },
  };
  return p;
}

test('InterPodAffinity score: preferred anti-affinity spreads, preferred affinity attracts, normalized min..max', () => {
  const plugin = new InterPodAffinity();
  const h = (n: string) => makeNode().name(n).labels({ 'kubernetes.io/hostname': n, zone: n === 'n3' ? 'b' : 'a' }).obj();
  const replica = (name: string) => preferring(name, { app: 'web' }, [[{ app: 'web' }, 'kubernetes.io/hostname', 100, true]]);
  // One replica on n1: n2 and n3 tie at the top, n1 gets 0.
  assert.deepEqual(runScore(plugin, replica('r1'), [nodeInfoOf(h('n1'), [replica('r0')]), nodeInfoOf(h('n2')), nodeInfoOf(h('n3'))]), { n1: 0, n2: 100, n3: 100 });
  // Affinity to db by zone (weight 50) and anti-affinity to web by host (weight 10).
  const pod = preferring('app', {}, [[{ app: 'db' }, 'zone', 50, false], [{ app: 'web' }, 'kubernetes.io/hostname', 10, true]]);
  const scores = runScore(plugin, pod, [nodeInfoOf(h('n1'), [db, web]), nodeInfoOf(h('n2')), nodeInfoOf(h('n3'))]);
  // n1: 50 - 10 = 40, n2 (same zone as db): 50, n3: 0 → normalized over 0..50.
  assert.deepEqual(scores, { n1: 80, n2: 100, n3: 0 });
  // No preferred terms anywhere: every node scores 0.
  assert.deepEqual(runScore(plugin, makePod().name('plain').obj(), [nodeInfoOf(h('n1'), [db]), nodeInfoOf(h('n2'))]), { n1: 0, n2: 0 });
});

test('InterPodAffinity score: placed pods\' terms count towards the incoming pod (required affinity with weight 1)', () => {
  const plugin = new InterPodAffinity();
  const n = (name: string) => makeNode().name(name).labels({ 'kubernetes.io/hostname': name }).obj();
  const wantsWeb = makePod().name('follower').podAffinity({ app: 'web' }, 'kubernetes.io/hostname').obj();
  const avoidsWeb = preferring('avoider', {}, [[{ app: 'web' }, 'kubernetes.io/hostname', 5, true]]);
  const incoming = makePod().name('web-9').labels({ app: 'web' }).obj();
  assert.deepEqual(runScore(plugin, incoming, [nodeInfoOf(n('x'), [wantsWeb]), nodeInfoOf(n('y')), nodeInfoOf(n('z'), [avoidsWeb])]), { x: 100, y: 83, z: 0 });
});

test('InterPodAffinity: a non-empty namespaceSelector selects namespaces by their labels (plus those listed)', () => {
  const namespaces = [
    { apiVersion: 'v1' as const, kind: 'Namespace' as const, metadata: { name: 'team-a', labels: { team: 'a' } } },
    { apiVersion: 'v1' as const, kind: 'Namespace' as const, metadata: { name: 'team-b', labels: { team: 'b' } } },
  ];
  const plugin = new InterPodAffinity({ namespaces: () => namespaces });
  const wantsTeamADb = makePod().name('app').obj();
  wantsTeamADb.spec!.affinity = {
    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, namespaceSelector: { matchLabels: { team: 'a' } }, topologyKey: 'zone' }] },
  };
  const dbIn = (ns: string) => makePod().namespace(ns).name(`db-${ns}`).labels({ app: 'db' }).obj();
  assert.equal(runFilter(plugin, wantsTeamADb, zoneA, [dbIn('team-a')]), undefined);
  assert.deepEqual(runFilter(plugin, wantsTeamADb, zoneA, [dbIn('team-b')]), AFFINITY);
  // Without namespace labels to read, the selector selects nothing.
  assert.deepEqual(runFilter(new InterPodAffinity(), wantsTeamADb, zoneA, [dbIn('team-a')]), AFFINITY);
});

test('InterPodAffinity PreFilter skips the filter only when neither the pod nor any placed pod has required terms that could apply', () => {
  const plugin = new InterPodAffinity();
  const plain = makePod().name('plain').labels({ app: 'web' }).obj();
  const loner = makePod().name('loner').podAffinity({ app: 'web' }, 'zone', { anti: true }).obj();
  const pre = (pod: Pod, nodes: ReturnType<typeof nodeInfoOf>[]) => plugin.preFilter(new CycleState(), pod, nodes)?.code;
  assert.equal(pre(plain, [nodeInfoOf(zoneA, [db])]), 'Skip');
  assert.equal(pre(plain, [nodeInfoOf(zoneA, [loner])]), undefined, "a placed pod's anti-affinity matches it");
  assert.equal(pre(makePod().name('other').labels({ app: 'db' }).obj(), [nodeInfoOf(zoneA, [loner])]), 'Skip', 'one it does not match');
  assert.equal(pre(makePod().name('app').podAffinity({ app: 'db' }, 'zone').obj(), [nodeInfoOf(zoneA)]), undefined, 'its own terms');
});
