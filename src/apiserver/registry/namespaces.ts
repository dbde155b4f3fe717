/**
 * Namespaces: Active on create with the `kubernetes` finalizer in spec; a DELETE only marks the namespace
 * Terminating; the namespace controller (../controllers.ts) empties it and clears the finalizer through
 * `/finalize`, and that write removes the namespace.
 */
import type { KubeObject, Namespace, ResourceInfo } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

export function namespaceStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info, { hasStatusSubresource: true });
  return {
    ...base,
    prepareForCreate(obj: KubeObject) {
      const ns = obj as unknown as Namespace;
      ns.status = { phase: 'Active' };
      const spec = (ns.spec ??= {});
      spec.finalizers ??= ['kubernetes'];
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject) {
      base.prepareForUpdate(obj, old);
      // spec.finalizers change only through /finalize.
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      const oldSpec = (old.spec ?? {}) as Record<string, unknown>;
      if (oldSpec.finalizers === undefined) delete spec.finalizers;
      else spec.finalizers = structuredClone(oldSpec.finalizers);
    },
    finalizing(obj: KubeObject) {
      const ns = obj as unknown as Namespace;
      return (ns.spec?.finalizers?.length ?? 0) > 0 || (ns.metadata?.finalizers?.length ?? 0) > 0;
    },
    markDeleting(obj: KubeObject) {
      (obj as unknown as Namespace).status = { ...(obj as unknown as Namespace).status, phase: 'Terminating' };
    },
  };
}

/** The `/finalize` subresource: only spec.finalizers changes. */
export function prepareForFinalize(obj: KubeObject, old: KubeObject): void {
  const finalizers = (obj.spec as { finalizers?: string[] } | undefined)?.finalizers;
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, structuredClone(old));
  const spec = (obj.spec ??= {}) as Record<string, unknown>;
  if (finalizers === undefined) delete spec.finalizers;
  else spec.finalizers = finalizers;
}
