/**
 * The taint manager's pure decision (upstream's processPodOnNode): given a pod's tolerations, its node's
 * NoExecute taints and the eviction already scheduled for it, is the pod left alone, deleted now, or deleted
 * when its shortest `tolerationSeconds` runs out? A pod that tolerates every taint without a time limit
 * stays; one that leaves any taint untolerated goes at once. An eviction already scheduled keeps its time:
 * later updates of the node never push it back.
 */
import { toleratesTaint, type Taint, type Toleration } from '../../api/index.ts';

/** Whether `t` tolerates `taint` (upstream's ToleratesTaint; the shared matcher). */
export { toleratesTaint };

/** For each taint the first toleration that tolerates it; undefined when some taint is not tolerated. */
export function matchingTolerations(taints: Taint[], tolerations: Toleration[]): Toleration[] | undefined {
  const out: Toleration[] = [];
  for (const taint of taints) {
    const t = tolerations.find((tol) => toleratesTaint(tol, taint));
    if (!t) return undefined;
    out.push(t);
  }
  return out;
}

/** The shortest toleration in ms: 0 for none or a non-positive one, -1 when none is time-limited (forever). */
export function minTolerationMs(tolerations: Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

export interface ScheduledEviction {
  /** When the eviction was first scheduled (ms). */
  createdAt: number;
  /** When the pod is to be deleted (ms). */
  fireAt: number;
}

export type EvictionDecision = { kind: 'cancel' } | ({ kind: 'evict' } & ScheduledEviction);

export function evictionDecision(
  noExecuteTaints: Taint[], tolerations: Toleration[], scheduled: ScheduledEviction | undefined, now: number,
): EvictionDecision {
  if (noExecuteTaints.length === 0) return { kind: 'cancel' };
  const matching = matchingTolerations(noExecuteTaints, tolerations);
  if (!matching) return { kind: 'evict', createdAt: now, fireAt: now };
  const min = minTolerationMs(matching);
  if (min < 0) return { kind: 'cancel' };
  if (scheduled && scheduled.createdAt + min <= now + min) return { kind: 'evict', ...scheduled };
  return { kind: 'evict', createdAt: now, fireAt: now + min };
}

export function noExecuteTaints(taints: Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}
