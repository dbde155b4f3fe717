/**
 * PodTopologySpread (filter and score): `topologySpreadConstraints` with `whenUnsatisfiable: DoNotSchedule`. For each
 * constraint, PreFilter counts the pods matching its selector (in the pod's namespace) in every topology
 * domain of the eligible nodes (nodes with the topology label that also pass the pod's nodeSelector and
 * required node affinity, `nodeAffinityPolicy: Honor`); Filter rejects a node whose domain would exceed the
 * least-loaded domain by more than `maxSkew`. `minDomains` counts missing domains as empty.
 *
 * Score, for `ScheduleAnyway` constraints, as upstream: PreScore takes the domains of the feasible nodes
 * (a feasible node lacking a constraint's topology label is ignored: it scores 0), counts the matching pods of
 * every eligible node into them, and weighs each constraint by log(domains + 2); a node's raw score is the sum
 * of count × weight + (maxSkew - 1) (for `kubernetes.io/hostname`, the node's own count), and normalizing
 * turns fewer matching pods into a higher score: 100 × (max + min - score) / max.
 *
 * Not yet: the cluster-level default constraints, `nodeTaintsPolicy: Honor`.
 */
import { labelSelectorFromObject, newRequirement, ParsedLabelSelector, podMatchesNodeSelectorAndAffinityTerms, type Pod, type TopologySpreadConstraint } from '../../../api/index.ts';
import {
  MAX_NODE_SCORE, skip, unresolvable, unschedulable,
  type CycleState, type FilterPlugin, type NodeInfo, type NodeScore, type PreFilterPlugin, type ScorePlugin, type Status,
} from '../../framework/index.ts';

export const ERR_REASON_CONSTRAINTS = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";
const STATE_KEY = 'PreFilterPodTopologySpread';
const SCORE_KEY = 'PreScorePodTopologySpread';
const ALL_NODES_KEY = 'PreFilterPodTopologySpreadNodes';
const HOSTNAME = 'kubernetes.io/hostname';

interface ScoreState {
  constraints: Constraint[];
  /** Per constraint: log(number of domains + 2). */
  weights: number[];
  ignored: Set<string>;
}

/** Pods in `namespace`, not terminating, that the selector matches. */
function countMatching(pods: readonly Pod[], c: Constraint, namespace: string | undefined): number {
  let n = 0;
  for (const other of pods) {
    if (other.metadata?.namespace !== namespace || other.metadata?.deletionTimestamp) continue;
    if (c.selector.matches(other.metadata?.labels)) n++;
  }
  return n;
}

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: ParsedLabelSelector;
  minDomains: number;
  /** Matching pods per domain value (domains of eligible nodes, zero included). */
  counts: Map<string, number>;
  /** The least count over the domains (0 when there are fewer than minDomains): set once PreFilter counted. */
  min: number;
  selfMatch: number;
}

function compile(c: TopologySpreadConstraint, pod: Pod): Constraint {
  const base = labelSelectorFromObject(c.labelSelector);
  const extra = (c.matchLabelKeys ?? []).filter((k) => pod.metadata?.labels?.[k] !== undefined).map((k) => newRequirement(k, 'in', [pod.metadata!.labels![k]!]));
  const selector = extra.length > 0 && base.requirements ? new ParsedLabelSelector([...base.requirements, ...extra]) : base;
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector,
    minDomains: c.minDomains ?? 1,
    counts: new Map(),
    min: 0,
    selfMatch: selector.matches(pod.metadata?.labels) ? 1 : 0,
  };
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, ScorePlugin {

  readonly name = 'PodTopologySpread';

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined {
    // Every node of the cycle: PreScore counts pods on all eligible nodes, not only the feasible ones.
    state.write(ALL_NODES_KEY, nodes);
    const constraints = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule').map((c) => compile(c, pod));
    state.write(STATE_KEY, constraints);
    // No hard constraint: nothing to filter (upstream's Skip).
    if (constraints.length === 0) return skip();
    // Whether a node is eligible is the same for every constraint: decided once per node.
    const eligible = nodes.filter((n) => podMatchesNodeSelectorAndAffinityTerms(pod, n.node));
    for (const c of constraints) {
      for (const n of eligible) {
        const value = n.node.metadata?.labels?.[c.topologyKey];
        if (value === undefined) continue;
        c.counts.set(value, (c.counts.get(value) ?? 0) + countMatching(n.pods, c, pod.metadata?.namespace));
      }
      // Fewer domains than minDomains: the missing ones count as empty, so the minimum is 0.
      c.min = 0;
      if (c.counts.size >= c.minDomains) {
        c.min = Infinity;
        for (const v of c.counts.values()) if (v < c.min) c.min = v;
      }
    }
    return undefined;
  }

  preScore(state: CycleState, pod: Pod, feasible: readonly NodeInfo[]): Status | undefined {
    const constraints = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway').map((c) => compile(c, pod));
    const s: ScoreState = { constraints, weights: [], ignored: new Set() };
    state.write(SCORE_KEY, s);
    // No soft constraint: every node would score 0 (upstream's Skip).
    if (constraints.length === 0) return skip();
    const hasAllKeys = (n: NodeInfo) => constraints.every((c) => n.node.metadata?.labels?.[c.topologyKey] !== undefined);
    for (const n of feasible) {
      if (!hasAllKeys(n)) {
        s.ignored.add(n.name);
        continue;
      }
      for (const c of constraints) if (c.topologyKey !== HOSTNAME) c.counts.set(n.node.metadata!.labels![c.topologyKey]!, 0);
    }
    s.weights = constraints.map((c) => Math.log((c.topologyKey === HOSTNAME ? feasible.length - s.ignored.size : c.counts.size) + 2));
    for (const n of state.read<readonly NodeInfo[]>(ALL_NODES_KEY)) {
      if (!hasAllKeys(n) || !podMatchesNodeSelectorAndAffinityTerms(pod, n.node)) continue;
      for (const c of constraints) {
        if (c.topologyKey === HOSTNAME) continue;
        const value = n.node.metadata!.labels![c.topologyKey]!;
        if (c.counts.has(value)) c.counts.set(value, c.counts.get(value)! + countMatching(n.pods, c, pod.metadata?.namespace));
      }
    }
    return undefined;
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    const s = state.read<ScoreState>(SCORE_KEY);
    if (s.constraints.length === 0 || s.ignored.has(nodeInfo.name)) return 0;
    let score = 0;
    s.constraints.forEach((c, i) => {
      const value = nodeInfo.node.metadata?.labels?.[c.topologyKey];
      if (value === undefined) return;
      const count = c.topologyKey === HOSTNAME ? countMatching(nodeInfo.pods, c, pod.metadata?.namespace) : (c.counts.get(value) ?? 0);
      score += count * s.weights[i]! + (c.maxSkew - 1);
    });
    return Math.round(score);
  }

  /** Fewer matching pods score higher: 100 × (max + min - score) / max; ignored nodes 0; all zero: 100. */
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    const s = state.read<ScoreState>(SCORE_KEY);
    if (s.constraints.length === 0) return;
    let min = Infinity;
    let max = 0;
    for (const x of scores) {
      if (s.ignored.has(x.name)) continue;
      min = Math.min(min, x.score);
      max = Math.max(max, x.score);
    }
    for (const x of scores) {
      if (s.ignored.has(x.name)) x.score = 0;
      else if (max === 0) x.score = MAX_NODE_SCORE;
      else x.score = Math.trunc((MAX_NODE_SCORE * (max + min - x.score)) / max);
    }
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    for (const c of state.read<Constraint[]>(STATE_KEY)) {
      const value = nodeInfo.node.metadata?.labels?.[c.topologyKey];
      if (value === undefined) return unresolvable(ERR_REASON_MISSING_LABEL);
      const skew = (c.counts.get(value) ?? 0) + c.selfMatch - c.min;
      if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS);
    }
    return undefined;
  }
}
