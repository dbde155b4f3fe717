/**
 * NodeResourcesFit: the pod's effective requests (containers, init containers, sidecars, overhead) must fit
 * in what the node has left (allocatable − requests of its pods), and one more pod must fit under `pods`
 * (filter). Scores by the LeastAllocated strategy: nodes with more cpu and memory free after placing the
 * pod score higher (cpu and memory weighted 1 each, containers without requests charged 100m / 200Mi).
 */
import type { Pod } from '../../../api/index.ts';
import {
  MAX_NODE_SCORE, podNonZeroRequest, podResourceRequest,
  type CycleState, type FilterPlugin, type NodeInfo, type PreFilterPlugin, type Resource, type ScorePlugin, type Status,
} from '../../framework/index.ts';

const STATE_KEY = 'PreFilterNodeResourcesFit';

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The node is too small for the pod even when empty: evicting pods could not help. */
  unresolvable: boolean;
}

/** What the node lacks for a pod with request `req` (empty when it fits). */
export function fitsRequest(req: Resource, nodeInfo: NodeInfo): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  if (nodeInfo.podCount + 1 > alloc.pods) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: nodeInfo.podCount, capacity: alloc.pods, unresolvable: false });
  }
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && Object.keys(req.scalar).length === 0) return out;
  const used = nodeInfo.requested;
  const check = (name: string, want: number, have: number, inUse: number) => {
    if (want > 0 && want > have - inUse) {
      out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: want, used: inUse, capacity: have, unresolvable: want > have });
    }
  };
  check('cpu', req.milliCPU, alloc.milliCPU, used.milliCPU);
  check('memory', req.memory, alloc.memory, used.memory);
  check('ephemeral-storage', req.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
  for (const [name, want] of Object.entries(req.scalar)) check(name, want, alloc.scalar[name] ?? 0, used.scalar[name] ?? 0);
  return out;
}

/**
 * Whether a pod with request `req` fits: `fitsRequest(...).length === 0` without building the reasons.
 * Filter asks it for hundreds of nodes per cycle; the reasons are made only for a node that does not fit.
 */
export function fitsRequestQuickly(req: Resource, nodeInfo: NodeInfo): boolean {
  const alloc = nodeInfo.allocatable;
  if (nodeInfo.podCount + 1 > alloc.pods) return false;
  const used = nodeInfo.requested;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) return false;
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) return false;
  for (const name in req.scalar) {
    const want = req.scalar[name]!;
    if (want > 0 && want > (alloc.scalar[name] ?? 0) - (used.scalar[name] ?? 0)) return false;
  }
  return true;
}

function leastAllocated(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  readonly name = 'NodeResourcesFit';

  preFilter(state: CycleState, pod: Pod): Status | undefined {
    state.write(STATE_KEY, { request: podResourceRequest(pod), nonZero: podNonZeroRequest(pod) });
    return undefined;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const { request } = state.read<{ request: Resource }>(STATE_KEY);
    if (fitsRequestQuickly(request, nodeInfo)) return undefined;
    const insufficient = fitsRequest(request, nodeInfo);
    if (insufficient.length === 0) return undefined;
    return {
      code: insufficient.some((i) => i.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable',
      reasons: insufficient.map((i) => i.reason),
    };
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const { nonZero } = state.read<{ nonZero: { milliCPU: number; memory: number } }>(STATE_KEY);
    const alloc = nodeInfo.allocatable;
    const cpu = leastAllocated(nodeInfo.nonZeroRequested.milliCPU + nonZero.milliCPU, alloc.milliCPU);
    const memory = leastAllocated(nodeInfo.nonZeroRequested.memory + nonZero.memory, alloc.memory);
    return Math.floor((cpu + memory) / 2);
  }
}
