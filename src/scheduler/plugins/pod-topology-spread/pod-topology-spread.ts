/**
 * PodTopologySpread (filter): `topologySpreadConstraints` with `whenUnsatisfiable: DoNotSchedule`. For each
 * constraint, PreFilter counts the pods matching its selector (in the pod's namespace) in every topology
 * domain of the eligible nodes (nodes with the topology label that also pass the pod's nodeSelector and
 * required node affinity, `nodeAffinityPolicy: Honor`); Filter rejects a node whose domain would exceed the
 * least-loaded domain by more than `maxSkew`. `minDomains` counts missing domains as empty.
 *
 * Not yet: `ScheduleAnyway` scoring, the cluster-level default constraints, `nodeTaintsPolicy: Honor`.
 */
import { labelSelectorFromObject, newRequirement, ParsedLabelSelector, podMatchesNodeSelectorAndAffinityTerms, type Pod, type TopologySpreadConstraint } from '../../../api/index.ts';
import {
  unresolvable, unschedulable,
  type CycleState, type FilterPlugin, type NodeInfo, type PreFilterPlugin, type Status,
} from '../../framework/index.ts';

export const ERR_REASON_CONSTRAINTS = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";
const STATE_KEY = 'PreFilterPodTopologySpread';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: ParsedLabelSelector;
  minDomains: number;
  /** Matching pods per domain value (domains of eligible nodes, zero included). */
  counts: Map<string, number>;
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
    selfMatch: selector.matches(pod.metadata?.labels) ? 1 : 0,
  };
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin {
  readonly name = 'PodTopologySpread';

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined {
    const constraints = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule').map((c) => compile(c, pod));
    for (const c of constraints) {
      for (const n of nodes) {
        const value = n.node.metadata?.labels?.[c.topologyKey];
        if (value === undefined) continue;
        if (!podMatchesNodeSelectorAndAffinityTerms(pod, n.node)) continue;
        let count = c.counts.get(value) ?? 0;
        for (const other of n.pods) {
          if (other.metadata?.namespace !== pod.metadata?.namespace || other.metadata?.deletionTimestamp) continue;
          if (c.selector.matches(other.metadata?.labels)) count++;
        }
        c.counts.set(value, count);
      }
    }
    state.write(STATE_KEY, constraints);
    return undefined;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    for (const c of state.read<Constraint[]>(STATE_KEY)) {
      const value = nodeInfo.node.metadata?.labels?.[c.topologyKey];
      if (value === undefined) return unresolvable(ERR_REASON_MISSING_LABEL);
      // Fewer domains than minDomains: the missing ones count as empty, so the minimum is 0.
      const min = c.counts.size < c.minDomains ? 0 : Math.min(...c.counts.values());
      const skew = (c.counts.get(value) ?? 0) + c.selfMatch - min;
      if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS);
    }
    return undefined;
  }
}
