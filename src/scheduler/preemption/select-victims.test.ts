import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '../../api/index.ts';
import { CycleState } from '../framework/index.ts';
import { NodeResourcesFit } from '../plugins/index.ts';
import { nodeInfoOf } from '../testing/run-plugin.ts';
import { makeNode, makePod } from '../testing/builders.ts';
import { notEligibleReason, pickOneNode, selectVictimsOnNode, type Candidate } from './select-victims.ts';
import type { NodeInfo } from '../framework/index.ts';

const fit = new NodeResourcesFit();
/** NodeResourcesFit as the what-if check. */
const fitsFor = (pod: Pod) => (ni: NodeInfo) => {
  const state = new CycleState();
  fit.preFilter(state, pod);
  return fit.filter(state, pod, ni) === undefined;
};
const node = (cpu: string) => makeNode().name('n1').capacity({ cpu, memory: '8Gi', pods: '110' }).obj();
const low = (name: string, cpu: string, prio: number, created = '2026-01-01T00:00:00Z') =>
  makePod().name(name).node('n1').priority(prio).created(created).req({ cpu }).obj();
const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name);

test('evicts only as many lower-priority pods as needed, keeping the most important', () => {
  const pods = [low('a', '1', 10), low('b', '1', 5), low('c', '1', 1), low('d', '1', 20)];
  const preemptor = makePod().name('hi').priority(100).req({ cpu: '2' }).obj();
  const v = selectVictimsOnNode(preemptor, nodeInfoOf(node('4'), pods), fitsFor(preemptor), [])!;
  assert.deepEqual(names(v.pods), ['b', 'c']);
  assert.equal(v.numPDBViolations, 0);
});

test('pods of equal or higher priority are never victims; no candidate when they fill the node', () => {
  const pods = [low('same', '2', 100), low('higher', '1', 200), low('lower', '1', 1)];
  const preemptor = makePod().name('hi').priority(100).req({ cpu: '2' }).obj();
  assert.equal(selectVictimsOnNode(preemptor, nodeInfoOf(node('4'), pods), fitsFor(preemptor), []), undefined);
  const small = makePod().name('small').priority(100).req({ cpu: '1' }).obj();
  assert.deepEqual(names(selectVictimsOnNode(small, nodeInfoOf(node('4'), pods), fitsFor(small), [])!.pods), ['lower']);
});

test('pods protected by a PodDisruptionBudget are reprieved first when another victim will do', () => {
  // guarded started later, so it is the less important one: only the budget saves it.
  const base = low('guarded', '1', 1, '2026-01-02T00:00:00Z');
  const guarded = { ...base, metadata: { ...base.metadata, labels: { app: 'db' } } } as Pod;
  const plain = low('plain', '1', 1, '2026-01-01T00:00:00Z');
  const pdb: PodDisruptionBudget = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } as never };
  const preemptor = makePod().name('hi').priority(100).req({ cpu: '1' }).obj();
  const v = selectVictimsOnNode(preemptor, nodeInfoOf(node('2'), [guarded, plain]), fitsFor(preemptor), [pdb])!;
  assert.deepEqual(names(v.pods), ['plain']);
  assert.deepEqual(names(selectVictimsOnNode(preemptor, nodeInfoOf(node('2'), [guarded, plain]), fitsFor(preemptor), [])!.pods), ['guarded']);
  // When both must go, the budget's violation is counted.
  const both = makePod().name('hi2').priority(100).req({ cpu: '2' }).obj();
  const all = selectVictimsOnNode(both, nodeInfoOf(node('2'), [guarded, plain]), fitsFor(both), [pdb])!;
  assert.deepEqual([names(all.pods).sort(), all.numPDBViolations], [['guarded', 'plain'], 1]);
});

test('pickOneNode: fewest violations, then lowest top victim priority, then sum, then count', () => {
  const c = (nodeName: string, prios: number[], numPDBViolations = 0): Candidate =>
    ({ nodeName, victims: { pods: prios.map((p, i) => low(`${nodeName}-${i}`, '1', p)), numPDBViolations } });
  assert.equal(pickOneNode([c('a', [1], 1), c('b', [50])])!.nodeName, 'b');
  assert.equal(pickOneNode([c('a', [10]), c('b', [5, 5])])!.nodeName, 'b');
  assert.equal(pickOneNode([c('a', [5, 5]), c('b', [5, 1])])!.nodeName, 'b');
  assert.equal(pickOneNode([c('a', [5, 0, 0]), c('b', [5, 0])])!.nodeName, 'b');
  assert.equal(pickOneNode([]), undefined);
});

test('preemptionPolicy Never, and a terminating victim on the nominated node, make a pod ineligible', () => {
  assert.equal(notEligibleReason({ ...makePod().obj(), spec: { containers: [], preemptionPolicy: 'Never' } }, undefined), 'not eligible due to preemptionPolicy=Never.');
  const going = { ...low('going', '1', 1), metadata: { ...low('going', '1', 1).metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } as Pod;
  const nominated = { ...makePod().priority(100).obj(), status: { nominatedNodeName: 'n1' } } as Pod;
  assert.equal(notEligibleReason(nominated, nodeInfoOf(node('2'), [going])), 'not eligible due to a terminating pod on the nominated node.');
  assert.equal(notEligibleReason(nominated, nodeInfoOf(node('2'), [low('stay', '1', 1)])), undefined);
});
