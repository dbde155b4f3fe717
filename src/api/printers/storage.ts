/**
 * Table printers of PersistentVolumes, PersistentVolumeClaims and StorageClasses: the columns and cell text
 * of upstream's printPersistentVolume, printPersistentVolumeClaim and printStorageClass
 * (pkg/printers/internalversion/printers.go), so `kubectl get pv,pvc,sc [-o wide]` reads as against Kubernetes.
 */
import type { KubeObject, PersistentVolume, PersistentVolumeClaim, StorageClass, TableColumnDefinition } from '../types.ts';

export interface StoragePrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

type Col = (name: string, description: string, opts?: { priority?: number; format?: string }) => TableColumnDefinition;

/** GetAccessModesAsString: the short forms in upstream's fixed order, comma-separated. */
export function accessModesText(modes: readonly string[] | undefined): string {
  const short: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return short.filter(([m]) => modes?.includes(m)).map(([, s]) => s).join(',');
}

/** GetPersistentVolumeClass / GetPersistentVolumeClaimClass: the field, else the beta annotation. */
function className(obj: PersistentVolume | PersistentVolumeClaim): string {
  return obj.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? obj.spec?.storageClassName ?? '';
}

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

export function storagePrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition,
  age: (obj: KubeObject, now: number) => string): Record<string, StoragePrinter> {
  const volumeMode = col('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.', { priority: 1 });
  const vac = col('VolumeAttributesClass', 'VolumeAttributesClass referenced by the PersistentVolumeClaim/PersistentVolume.');
  const pv: StoragePrinter = {
    columns: [
      NAME,
      col('Capacity', 'capacity is the description of the persistent volume\'s resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity'),
      col('Access Modes', 'accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes'),
      col('Reclaim Policy', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming'),
      col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase'),
      col('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding'),
      col('StorageClass', 'storageClassName is the name of StorageClass to which this persistent volume belongs. Empty value means that this volume does not belong to any StorageClass.'),
      vac,
      col('Reason', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
      AGE, volumeMode,
    ],
    cells(obj, now, wide) {
      const v = obj as unknown as PersistentVolume;
      const ref = v.spec?.claimRef;
      const cells: unknown[] = [
        v.metadata?.name ?? '', String(v.spec?.capacity?.['storage'] ?? ''), accessModesText(v.spec?.accessModes),
        v.spec?.persistentVolumeReclaimPolicy ?? '', v.status?.phase ?? '', ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
        className(v), v.spec?.volumeAttributesClassName || '<unset>', v.status?.reason ?? '', age(obj, now),
      ];
      if (wide) cells.push(v.spec?.volumeMode ?? '<unset>');
      return cells;
    },
  };
  const pvc: StoragePrinter = {
    columns: [
      NAME,
      col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
      col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
      col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1'),
      col('StorageClass', 'storageClassName is the name of the StorageClass required by the claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#class-1'),
      vac, AGE, volumeMode,
    ],
    cells(obj, now, wide) {
      const c = obj as unknown as PersistentVolumeClaim;
      const bound = !!c.spec?.volumeName;
      const cells: unknown[] = [
        c.metadata?.name ?? '', c.status?.phase ?? '', c.spec?.volumeName ?? '',
        bound ? String(c.status?.capacity?.['storage'] ?? '') : '', bound ? accessModesText(c.status?.accessModes) : '',
        className(c), c.spec?.volumeAttributesClassName || '<unset>', age(obj, now),
      ];
      if (wide) cells.push(c.spec?.volumeMode ?? '<unset>');
      return cells;
    },
  };
  const sc: StoragePrinter = {
    columns: [
      NAME,
      col('Provisioner', 'provisioner indicates the type of the provisioner.'),
      col('ReclaimPolicy', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
      col('VolumeBindingMode', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.'),
      col('AllowVolumeExpansion', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
      AGE,
    ],
    cells(obj, now) {
      const s = obj as unknown as StorageClass;
      const isDefault = s.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' || s.metadata?.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return [
        `${s.metadata?.name ?? ''}${isDefault ? ' (default)' : ''}`, s.provisioner ?? '', s.reclaimPolicy ?? 'Delete',
        s.volumeBindingMode ?? 'Immediate', String(s.allowVolumeExpansion ?? false), age(obj, now),
      ];
    },
  };
  return { '/persistentvolumes': pv, '/persistentvolumeclaims': pvc, 'storage.k8s.io/storageclasses': sc };
}
