/**
 * NodeResourcesBalancedAllocation (score): prefers nodes whose cpu and memory would be used in equal shares
 * once the pod is there, as upstream's balancedResourceScorer: each resource's fraction requested/allocatable
 * (capped at 1), and a score of (1 - half their difference) × 100. Uses the actual requests (not the scoring
 * defaults LeastAllocated charges); a pod that requests neither cpu nor memory scores 0 everywhere (upstream
 * skips it).
 */
import type { Pod } from '../../../api/index.ts';
import { MAX_NODE_SCORE, podResourceRequest, skip, type CycleState, type NodeInfo, type PreFilterPlugin, type Resource, type ScorePlugin, type Status } from '../../framework/index.ts';

const STATE_KEY = 'PreScoreNodeResourcesBalancedAllocation';

/** (1 - std) × 100 over the fractions of the resources the node has (two: half the absolute difference). */
export function balancedScore(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  requested.forEach((r, i) => {
    const a = allocatable[i]!;
    if (a !== 0) fractions.push(Math.min(r / a, 1));
  });
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = fractions.reduce((s, f) => s + f, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((s, f) => s + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class NodeResourcesBalancedAllocation implements PreFilterPlugin, ScorePlugin {
  readonly name = 'NodeResourcesBalancedAllocation';

  preFilter(state: CycleState, pod: Pod): Status | undefined {
    state.write(STATE_KEY, podResourceRequest(pod));
    return undefined;
  }

  /** A pod that requests neither cpu nor memory scores 0 everywhere: Skip. */
  preScore(state: CycleState): Status | undefined {
    const request = state.read<Resource>(STATE_KEY);
    return request.milliCPU === 0 && request.memory === 0 ? skip() : undefined;
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const request = state.read<Resource>(STATE_KEY);
    if (request.milliCPU === 0 && request.memory === 0) return 0;
    const alloc = nodeInfo.allocatable;
    const cpu = nodeInfo.requested.milliCPU + request.milliCPU;
    const memory = nodeInfo.requested.memory + request.memory;
    // balancedScore for the usual two resources, without its arrays: this runs for every feasible node.
    if (alloc.milliCPU !== 0 && alloc.memory !== 0) {
      const std = Math.abs((Math.min(cpu / alloc.milliCPU, 1) - Math.min(memory / alloc.memory, 1)) / 2);
      return Math.trunc((1 - std) * MAX_NODE_SCORE);
    }
    return balancedScore([cpu, memory], [alloc.milliCPU, alloc.memory]);
  }
}
