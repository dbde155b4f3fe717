/**
 * TaintToleration: a node's NoSchedule and NoExecute taints keep out pods that do not tolerate them (filter);
 * nodes with fewer untolerated PreferNoSchedule taints score higher (score, normalized in reverse).
 */
import { tolerationsTolerateTaint, type Pod, type Toleration } from '../../../api/index.ts';
import {
  defaultNormalizeScore, unresolvable,
  type CycleState, type FilterPlugin, type NodeInfo, type NodeScore, type ScorePlugin, type Status,
} from '../../framework/index.ts';

const STATE_KEY = 'PreScoreTaintToleration';

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

  /** Only tolerations that can apply to PreferNoSchedule count in scoring: picked once per cycle. */
  preScore(state: CycleState, pod: Pod): Status | undefined {
    state.write(STATE_KEY, (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'));
    return undefined;
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const taints = nodeInfo.node.spec?.taints;
    if (!taints || taints.length === 0) return 0;
    const tolerations = state.read<Toleration[]>(STATE_KEY);
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
