/**
 * The garbage collector's two finalizers, as a DELETE sets them (upstream's
 * `deletionFinalizersForGarbageCollection` in the generic store): `orphan` asks for the dependents'
 * ownerReferences to this object to be removed before it goes; `foregroundDeletion` asks for its dependents to
 * be deleted first. The dependents controller (dependents-controller.ts) does that work and removes the
 * finalizer, and the write that removes the last finalizer removes the object.
 */
import type { DeleteOptions } from '../../api/index.ts';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** What a DELETE without a propagation policy does to dependents (upstream's `rest.GarbageCollectionPolicy`). */
export type GarbageCollectionPolicy = 'OrphanDependents' | 'DeleteDependents';

function shouldOrphan(finalizers: readonly string[], options: DeleteOptions, defaultPolicy: GarbageCollectionPolicy): boolean {
  // An explicit choice on the request overrides everything, then a finalizer already on the object, then the
  // resource's default.
  if (options.orphanDependents !== undefined && options.orphanDependents !== null) return options.orphanDependents;
  if (options.propagationPolicy) return options.propagationPolicy === 'Orphan';
  if (finalizers.includes(ORPHAN_FINALIZER)) return true;
  if (finalizers.includes(FOREGROUND_FINALIZER)) return false;
  return defaultPolicy === 'OrphanDependents';
}

function shouldDeleteInForeground(finalizers: readonly string[], options: DeleteOptions): boolean {
  if (options.orphanDependents !== undefined && options.orphanDependents !== null) return false;
  if (options.propagationPolicy) return options.propagationPolicy === 'Foreground';
  return finalizers.includes(FOREGROUND_FINALIZER);
}

/**
 * The finalizers an object has after a DELETE with these options: both GC finalizers are dropped, then the one
 * the options (or the object, or the resource's default) ask for is added at the end. `changed` says whether
 * that differs from what the object had.
 */
export function finalizersOnDelete(current: readonly string[] | undefined, options: DeleteOptions, defaultPolicy: GarbageCollectionPolicy = 'DeleteDependents'): { finalizers: string[]; changed: boolean } {
  const had = current ?? [];
  const next = had.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (shouldOrphan(had, options, defaultPolicy)) next.push(ORPHAN_FINALIZER);
  if (shouldDeleteInForeground(had, options)) next.push(FOREGROUND_FINALIZER);
  const changed = next.length !== had.length || next.some((f, i) => f !== had[i]);
  return { finalizers: next, changed };
}
