/**
 * The strategy most resources use, built from RESOURCES and api's validation: no status subresource, no
 * generation, immediate deletion unless finalizers hold the object. Resource files override what differs.
 */
import type { DeleteOptions, KubeObject, ResourceInfo } from '../../api/index.ts';
import { validateObject, validateObjectUpdate, validateStatusUpdate } from '../api-bridge.ts';
import type { Strategy } from './strategy.ts';

export function baseStrategy(info: ResourceInfo, overrides: Partial<Strategy> = {}): Strategy {
  const hasStatus = overrides.hasStatusSubresource ?? false;
  return {
    info,
    allowCreateOnUpdate: false,
    hasStatusSubresource: hasStatus,
    tracksGeneration: false,
    prepareForCreate(obj: KubeObject) {
      if (hasStatus) delete obj.status;
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject) {
      if (!hasStatus) return;
      if (old.status === undefined) delete obj.status;
      else obj.status = structuredClone(old.status);
    },
    prepareForStatusUpdate(obj: KubeObject, old: KubeObject) {
      // Only status changes through /status; everything else (spec and metadata) stays as stored.
      const status = obj.status;
      for (const k of Object.keys(obj)) if (k !== 'status') delete obj[k];
      // A copy of the rest of the stored object (old may be the watch cache's, which is shared), not of its status.
      const { status: _old, ...rest } = old;
      Object.assign(obj, structuredClone(rest));
      if (status === undefined) delete obj.status;
      else obj.status = status;
    },
    validate: (obj) => validateObject(info, obj),
    validateUpdate: (obj, old) => validateObjectUpdate(info, obj, old),
    validateStatusUpdate: (obj, old) => validateStatusUpdate(info, obj, old),
    gracePeriodSeconds: (_obj: KubeObject, _options: DeleteOptions) => 0,
    finalizing: (obj) => (obj.metadata?.finalizers?.length ?? 0) > 0,
    markDeleting: () => {},
    ...overrides,
  };
}
