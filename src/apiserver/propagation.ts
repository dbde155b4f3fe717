/**
 * Deletion propagation the API server does itself, before the owner goes: `Orphan` (or orphanDependents)
 * removes the owner's reference from every dependent, so the garbage collector leaves them alone;
 * `Foreground` deletes the dependents first. `Background` (kubectl's default) needs nothing here: the garbage
 * collector deletes dependents whose owner is gone. Done synchronously rather than with the `orphan` and
 * `foregroundDeletion` finalizers, which need a garbage collector that processes them.
 */
import type { DeleteOptions, KubeObject, OwnerReference } from '../api/index.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { ApiError } from './status.ts';

function dependentsOf(registries: Iterable<GenericRegistry>, owner: KubeObject): { registry: GenericRegistry; object: KubeObject }[] {
  const uid = owner.metadata?.uid;
  const ns = owner.metadata?.namespace;
  const out: { registry: GenericRegistry; object: KubeObject }[] = [];
  if (!uid) return out;
  for (const registry of registries) {
    for (const object of registry.cache.list().items) {
      // A namespaced owner only owns objects in its namespace.
      if (ns && object.metadata?.namespace !== ns) continue;
      if (object.metadata?.ownerReferences?.some((r: OwnerReference) => r.uid === uid)) out.push({ registry, object });
    }
  }
  return out;
}

export async function propagateDeletion(registries: Iterable<GenericRegistry>, owner: KubeObject, options: DeleteOptions, dryRun: boolean): Promise<void> {
  const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : options.orphanDependents === false ? 'Background' : undefined);
  if (policy !== 'Orphan' && policy !== 'Foreground') return;
  const uid = owner.metadata!.uid!;
  for (const { registry, object } of dependentsOf(registries, owner)) {
    const ns = object.metadata?.namespace ?? '';
    const name = object.metadata!.name!;
    try {
      if (policy === 'Orphan') {
        await registry.guaranteedUpdate(ns, name, { dryRun }, (cur) => {
          const next = structuredClone(cur!);
          const refs = (next.metadata!.ownerReferences ?? []).filter((r) => r.uid !== uid);
          if (refs.length) next.metadata!.ownerReferences = refs;
          else delete next.metadata!.ownerReferences;
          return next;
        });
      } else {
        await registry.delete(ns, name, { propagationPolicy: 'Foreground' }, { dryRun });
      }
    } catch (err) {
      // Gone meanwhile: nothing to do for it.
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}
