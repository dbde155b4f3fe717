/**
 * StorageObjectInUseProtection, as upstream's admission plugin: every new PersistentVolumeClaim gets the
 * `kubernetes.io/pvc-protection` finalizer and every new PersistentVolume `kubernetes.io/pv-protection`, so
 * deleting one that is still in use (a claim a pod mounts, a volume a claim is bound to) only marks it; the
 * pvc-protection and pv-protection controllers remove the finalizer once nothing uses it.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export class StorageObjectInUseProtection implements AdmissionPlugin {
  readonly name = 'StorageObjectInUseProtection';

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== '' || !a.object) return;
    const finalizer = a.resource.plural === 'persistentvolumeclaims' ? PVC_PROTECTION_FINALIZER
      : a.resource.plural === 'persistentvolumes' ? PV_PROTECTION_FINALIZER : undefined;
    if (!finalizer) return;
    const meta = (a.object.metadata ??= {});
    const finalizers = (meta.finalizers ??= []);
    if (!finalizers.includes(finalizer)) finalizers.push(finalizer);
  }
}
