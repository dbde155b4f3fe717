/**
 * NodeAffinity: the pod's `nodeSelector` and required node affinity must match the node (filter); each
 * matching preferred term adds its weight (score, normalized to 0..100 against the best node).
 */
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../../../api/index.ts';
import {
  defaultNormalizeScore, unresolvable,
  type CycleState, type FilterPlugin, type NodeInfo, type NodeScore, type ScorePlugin, type Status,
} from '../../framework/index.ts';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // Invalid (non-integer) values match nothing, as labels.Requirement does.
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0]!)) return false;
      const v = BigInt(value);
      const bound = BigInt(values[0]!);
      return r.operator === 'Gt' ? v > bound : v < bound;
    }
    default:
      return false;
  }
}

/** One term: all its expressions (labels) and fields (only `metadata.name`) match. An empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const e of exprs) if (!requirementMatches(e, Object.hasOwn(labels, e.key) ? labels[e.key] : undefined)) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name' || (f.operator !== 'In' && f.operator !== 'NotIn')) return false;
    if (!requirementMatches(f, node.metadata?.name)) return false;
  }
  return true;
}

/** Whether the node satisfies the pod's nodeSelector and required node affinity (terms are ORed). */
export function podMatchesNodeSelectorAndAffinityTerms(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return (required.nodeSelectorTerms ?? []).some((t) => nodeSelectorTermMatches(t, node));
  return true;
}

export class NodeAffinity implements FilterPlugin, ScorePlugin {
  readonly name = 'NodeAffinity';

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    return podMatchesNodeSelectorAndAffinityTerms(pod, nodeInfo.node) ? undefined : unresolvable(ERR_REASON_POD);
  }

  score(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    let total = 0;
    for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (p.weight !== 0 && nodeSelectorTermMatches(p.preference, nodeInfo.node)) total += p.weight;
    }
    return total;
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, false);
  }
}
