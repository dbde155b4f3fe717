/**
 * Toleration matching, as core/v1 `Toleration.ToleratesTaint`: the one implementation the scheduler
 * (TaintToleration, NodeUnschedulable), the kubelet's admission, the taint-eviction controller and the DaemonSet
 * controller share.
 */
import type { Taint, Toleration } from '../types.ts';

/** Whether `t` tolerates `taint`: same effect (or none), same key (or none: with Exists, every taint), value by operator. */
export function toleratesTaint(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op: string = t.operator || 'Equal';
  switch (op) {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint with one of `effects` that no toleration tolerates (FindMatchingUntoleratedTaint), or undefined. */
export function untoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: readonly string[]): Taint | undefined {
  return (taints ?? []).find((taint) => effects.includes(taint.effect) && !tolerationsTolerateTaint(tolerations, taint));
}
