/**
 * TaintToleration: a node's NoSchedule and NoExecute taints keep out pods that do not tolerate them (filter);
 * nodes with fewer untolerated PreferNoSchedule taints score higher (score, normalized in reverse).
 */
import { tolerationsTolerateTaint, type Pod } from '../../../api/index.ts';
import {
  defaultNormalizeScore, unresolvable,
  type CycleState, type FilterPlugin, type NodeInfo, type NodeScore, type ScorePlugin, type Status,
} from '../../framework/index.ts';

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = 'TaintToleration';

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    for (const taint of nodeInfo.node.spec?.taints ?? []) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (tolerationsTolerateTaint(pod.spec?.tolerations, taint)) continue;
      return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
    }
    return undefined;
  }

  score(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    // Only tolerations that can apply to PreferNoSchedule count here.
    const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let intolerable = 0;
    for (const taint of nodeInfo.node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) intolerable++;
    }
    return intolerable;
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, true);
  }
}
