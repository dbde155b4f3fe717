/** Toleration matching, as core/v1 `Toleration.ToleratesTaint`. Shared by TaintToleration and NodeUnschedulable. */
import type { Taint, Toleration } from '../../../api/index.ts';

export function toleratesTaint(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  // An empty key with operator Exists tolerates every taint.
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

export function tolerationsTolerateTaint(tolerations: Toleration[] | undefined, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}
