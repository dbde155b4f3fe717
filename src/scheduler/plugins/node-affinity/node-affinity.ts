/**
 * NodeAffinity: the pod's `nodeSelector` and required node affinity must match the node (filter); each
 * matching preferred term adds its weight (score, normalized to 0..100 against the best node).
 */
import { nodeSelectorTermMatches, podMatchesNodeSelectorAndAffinityTerms, type Pod } from '../../../api/index.ts';
import {
  defaultNormalizeScore, skip, unresolvable,
  type CycleState, type FilterPlugin, type PreFilterPlugin, type NodeInfo, type NodeScore, type ScorePlugin, type Status,
} from '../../framework/index.ts';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  readonly name = 'NodeAffinity';

  /** Neither a nodeSelector nor required node affinity: every node matches (upstream's Skip). */
  preFilter(_state: CycleState, pod: Pod): Status | undefined {
    const selector = pod.spec?.nodeSelector;
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    return !required && (!selector || Object.keys(selector).length === 0) ? skip() : undefined;
  }

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    return podMatchesNodeSelectorAndAffinityTerms(pod, nodeInfo.node) ? undefined : unresolvable(ERR_REASON_POD);
  }

  /** No preferred terms: every node scores 0. Skip. */
  preScore(_state: CycleState, pod: Pod): Status | undefined {
    return (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) === 0 ? skip() : undefined;
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
