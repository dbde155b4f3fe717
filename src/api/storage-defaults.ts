/**
 * Defaults of PersistentVolumes, PersistentVolumeClaims and StorageClasses, as pkg/apis/core/v1/defaults.go
 * (SetDefaults_PersistentVolume, SetDefaults_PersistentVolumeClaim) and pkg/apis/storage/v1/defaults.go fill
 * them in: a volume starts Pending with the Retain reclaim policy, a claim Pending, both in Filesystem mode;
 * a class deletes what it provisions and binds at once unless it says otherwise.
 */
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, StorageClass } from './types.ts';

export function defaultPersistentVolume(pv: PersistentVolume): PersistentVolume {
  const spec = (pv.spec ??= {});
  spec.persistentVolumeReclaimPolicy ||= 'Retain';
  spec.volumeMode ||= 'Filesystem';
  const status = (pv.status ??= {});
  status.phase ||= 'Pending';
  return pv;
}

/** Also used for a StatefulSet's volumeClaimTemplates. */
export function defaultPersistentVolumeClaimSpec(spec: PersistentVolumeClaimSpec): void {
  spec.volumeMode ||= 'Filesystem';
}

export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): PersistentVolumeClaim {
  defaultPersistentVolumeClaimSpec(pvc.spec ??= {});
  const status = (pvc.status ??= {});
  status.phase ||= 'Pending';
  return pvc;
}

export function defaultStorageClass(sc: StorageClass): StorageClass {
  sc.reclaimPolicy ||= 'Delete';
  sc.volumeBindingMode ||= 'Immediate';
  return sc;
}
