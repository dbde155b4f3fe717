/**
 * The CustomResourceDefinition strategy: defaults and validation of apiextensions' `crd` strategy, the status
 * subresource (conditions, acceptedNames and storedVersions are the server's: crd/crd-controller.ts), and the
 * `customresourcecleanup.apiextensions.k8s.io` finalizer every new CRD gets, so deleting it first deletes its
 * objects.
 */
import type { KubeObject, ResourceInfo } from '../../api/index.ts';
import { CRD_CLEANUP_FINALIZER, defaultCustomResourceDefinition, invalid, validateCustomResourceDefinition, type CustomResourceDefinition } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

export function customResourceDefinitionStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true });
  return {
    ...base,
    decode(obj: KubeObject) {
      defaultCustomResourceDefinition(obj as CustomResourceDefinition);
    },
    prepareForCreate(obj: KubeObject) {
      const crd = obj as CustomResourceDefinition;
      const stored = crd.spec?.versions?.find?.((v) => v.storage)?.name;
      crd.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: stored ? [stored] : [] };
      const meta = (obj.metadata ??= {});
      if (!meta.finalizers?.includes(CRD_CLEANUP_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), CRD_CLEANUP_FINALIZER];
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject) {
      base.prepareForUpdate(obj, old);
      // A new storage version joins storedVersions at once, as upstream's PrepareForUpdate does.
      const crd = obj as CustomResourceDefinition;
      const stored = crd.spec?.versions?.find?.((v) => v.storage)?.name;
      if (stored && crd.status && !crd.status.storedVersions?.includes(stored)) crd.status.storedVersions = [...(crd.status.storedVersions ?? []), stored];
    },
    validate: (obj) => [...base.validate(obj), ...validateCustomResourceDefinition(obj as CustomResourceDefinition)],
    validateUpdate(obj, old) {
      const errs = [...base.validateUpdate(obj, old), ...validateCustomResourceDefinition(obj as CustomResourceDefinition)];
      const [n, o] = [(obj as CustomResourceDefinition).spec, (old as CustomResourceDefinition).spec];
      if (n?.group !== o?.group) errs.push(invalid('spec.group', n?.group, 'field is immutable'));
      if (n?.scope !== o?.scope) errs.push(invalid('spec.scope', n?.scope, 'field is immutable'));
      return errs;
    },
  };
}
