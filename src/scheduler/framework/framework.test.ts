import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/index.ts';
import { makeNode, makePod } from '../testing/builders.ts';
import { nodeInfoOf } from '../testing/run-plugin.ts';
import { CycleState } from './cycle-state.ts';
import { Framework } from './framework.ts';
import type { BindPlugin, FilterPlugin, NodeScore, PreFilterPlugin, ScorePlugin } from './interface.ts';
import { skip, unschedulable, type Status } from './status.ts';

const binder: BindPlugin = { name: 'Binder', bind: async () => undefined };

/** A plugin that skips (or not, by the pod's label `skip`) and counts its per-node calls. */
class Counting implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  filters = 0;
  scores = 0;
  readonly name: string;
  readonly score0: number;
  constructor(name: string, score0: number) {
    this.name = name;
    this.score0 = score0;
  }
  preFilter(_s: CycleState, pod: Pod): Status | undefined {
    return pod.metadata?.labels?.skip === 'yes' ? skip() : undefined;
  }
  filter(): Status | undefined {
    this.filters++;
    return undefined;
  }
  preScore(_s: CycleState, pod: Pod): Status | undefined {
    return pod.metadata?.labels?.skip === 'yes' ? skip() : undefined;
  }
  score(): number {
    this.scores++;
    return this.score0;
  }
  normalizeScore(_s: CycleState, _p: Pod, scores: NodeScore[]): void {
    for (const s of scores) s.score = Math.min(s.score, 100);
  }
}

const nodes = [nodeInfoOf(makeNode().name('n1').obj()), nodeInfoOf(makeNode().name('n2').obj())];

test('a PreFilter Skip leaves that plugin\'s filter out of the cycle; the other filters still run', () => {
  const skipping = new Counting('Skipping', 0);
  const rejecting: FilterPlugin = { name: 'Rejecting', filter: (_s, _p, n) => (n.name === 'n2' ? unschedulable('no') : undefined) };
  const fw = new Framework({ plugins: [skipping, rejecting, binder] });
  const pod = makePod().labels({ skip: 'yes' }).obj();
  const state = new CycleState();
  assert.equal(fw.runPreFilter(state, pod, nodes), undefined, 'Skip is not a failure');
  assert.equal(fw.runFilter(state, pod, nodes[0]!), undefined);
  assert.deepEqual(fw.runFilter(state, pod, nodes[1]!), { code: 'Unschedulable', reasons: ['no'], plugin: 'Rejecting' });
  assert.equal(skipping.filters, 0);

  const other = new CycleState();
  const plain = makePod().obj();
  fw.runPreFilter(other, plain, nodes);
  fw.runFilter(other, plain, nodes[0]!);
  assert.equal(skipping.filters, 1, 'without Skip the filter runs');
});

test('a PreScore Skip scores the plugin 0 on every node without calling it; weights apply to the rest', () => {
  const skipping = new Counting('Skipping', 40);
  const scoring = new Counting('Scoring', 30);
  const fw = new Framework({ plugins: [skipping, scoring, binder], weights: { Skipping: 2, Scoring: 3 } });
  const skipped = makePod().labels({ skip: 'yes' }).obj();
  // Both skip for this pod: all totals 0, neither scored.
  assert.deepEqual(fw.runScore(new CycleState(), skipped, nodes), [{ name: 'n1', score: 0 }, { name: 'n2', score: 0 }]);
  assert.equal(skipping.scores + scoring.scores, 0);
  assert.deepEqual(fw.runScore(new CycleState(), makePod().obj(), nodes), [{ name: 'n1', score: 40 * 2 + 30 * 3 }, { name: 'n2', score: 170 }]);
  assert.equal(skipping.scores, 2);
});
