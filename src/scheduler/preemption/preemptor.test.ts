import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client, EventRecorder } from '../../client/index.ts';
import { createLogger, realClock } from '../../machinery/index.ts';
import { CycleState, type Diagnosis, type NodeInfo, type Status } from '../framework/index.ts';
import { NodeResourcesFit } from '../plugins/index.ts';
import { Nominator } from '../nominator.ts';
import { makeNode, makePod } from '../testing/builders.ts';
import { nodeInfoOf } from '../testing/run-plugin.ts';
import { numCandidates, Preemptor } from './preemptor.ts';

test('numCandidates: 10% of the potential nodes, at least 100, at most all of them', () => {
  for (const [potential, want] of [[0, 0], [5, 5], [100, 100], [300, 100], [1000, 100], [1500, 150], [5000, 500]]) {
    assert.equal(numCandidates(potential!), want, `${potential} nodes`);
  }
});

test('findCandidate dry-runs from a random node onwards and stops once it has enough candidates', () => {
  const nodes: NodeInfo[] = [];
  for (let i = 0; i < 300; i++) {
    const name = `n${i}`;
    nodes.push(nodeInfoOf(makeNode().name(name).capacity({ cpu: '1', memory: '8Gi', pods: 10 }).obj(), [makePod().name(`low-${i}`).node(name).priority(1).req({ cpu: '1' }).obj()]));
  }
  const pod = makePod().name('high').priority(100).req({ cpu: '1' }).obj();
  const statuses = new Map<string, Status>(nodes.map((n) => [n.name, { code: 'Unschedulable', reasons: ['Insufficient cpu'] }]));
  const d: Diagnosis = { numAllNodes: nodes.length, nodeStatuses: statuses };
  const fit = new NodeResourcesFit();
  const tried = new Set<string>();
  const fits = (ni: NodeInfo) => {
    tried.add(ni.name);
    const state = new CycleState();
    fit.preFilter(state, pod);
    return fit.filter(state, pod, ni) === undefined;
  };
  const preemptor = new Preemptor({
    client: undefined as unknown as Client, recorder: undefined as unknown as EventRecorder, nominator: new Nominator(),
    clock: realClock, logger: createLogger('test'), random: () => 0.5,
  });
  const result = preemptor.findCandidate(pod, nodes, d, fits, []);
  assert.equal(tried.size, 100, 'stops at numCandidates(300) = 100 nodes');
  assert.ok(tried.has('n150') && tried.has('n249') && !tried.has('n250') && !tried.has('n149'), 'starting at the random offset');
  // Every candidate ties: the first one tried wins, as upstream's pickOneNode keeps the first.
  assert.equal(result.candidate?.nodeName, 'n150');
  assert.deepEqual(result.candidate?.victims.pods.map((p) => p.metadata?.name), ['low-150']);
});
