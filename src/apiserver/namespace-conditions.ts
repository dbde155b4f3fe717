/**
 * The conditions a Terminating namespace carries while it is emptied, as upstream's namespace deleter
 * (namespace_condition_utils.go) writes them: five types, each either "True" with what went wrong or "False"
 * with its ok reason and message. Pure: the controller counts, this turns the counts into conditions.
 */
import type { Namespace } from '../api/index.ts';

type NamespaceCondition = NonNullable<NonNullable<Namespace['status']>['conditions']>[number];

const TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

const OK: Record<(typeof TYPES)[number], { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** What one pass of emptying a namespace found. */
export interface ContentTotals {
  /** Objects left per resource, keyed `plural.group` (`configmaps.` for the core group, as upstream prints it). */
  remaining: Map<string, number>;
  /** Objects left per finalizer they carry. */
  finalizers: Map<string, number>;
  /** Why deleting a resource's objects failed, one message per resource. */
  deleteErrors: string[];
}

function failures(totals: ContentTotals): Map<string, { reason: string; message: string }> {
  const out = new Map<string, { reason: string; message: string }>();
  if (totals.deleteErrors.length) {
    const msgs = [...totals.deleteErrors].sort();
    out.set('NamespaceDeletionContentFailure', { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}` });
  }
  const remaining = [...totals.remaining].filter(([, n]) => n > 0).map(([r, n]) => `${r} has ${n} resource instances`).sort();
  if (totals.remaining.size) out.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` });
  const byFinalizer = [...totals.finalizers].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
  if (totals.finalizers.size) out.set('NamespaceFinalizersRemaining', { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${byFinalizer.join(', ')}` });
  return out;
}

/**
 * The namespace's conditions after a pass: every type present, in upstream's order after any others; a
 * condition keeps its lastTransitionTime unless its status flips. Returns undefined when nothing changed (no
 * write needed).
 */
export function nextConditions(current: NamespaceCondition[] | undefined, totals: ContentTotals, now: string): NamespaceCondition[] | undefined {
  const bad = failures(totals);
  const next = (current ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of TYPES) {
    const want = bad.has(type) ? { status: 'True', ...bad.get(type)! } : { status: 'False', ...OK[type] };
    const old = next.find((c) => c.type === type);
    if (!old) {
      next.push({ type, status: want.status, lastTransitionTime: now, reason: want.reason, message: want.message });
      changed = true;
    } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
      if (old.status !== want.status) old.lastTransitionTime = now;
      Object.assign(old, want);
      changed = true;
    }
  }
  return changed ? next : undefined;
}
