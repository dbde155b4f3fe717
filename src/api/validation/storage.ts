/**
 * Validation of PersistentVolumes, PersistentVolumeClaims and StorageClasses (pkg/apis/core/validation and
 * pkg/apis/storage/validation, the parts kubeling serves): access modes, capacity and requests, one volume
 * source (hostPath or local), reclaim policies and binding modes, and what may not change once created.
 */
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, StorageClass } from '../types.ts';
import { type FieldError, forbidden, invalid, notSupported, required } from '../field-error.ts';
import { nameIsDNSSubdomain } from './names.ts';
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { QUANTITY_FORMAT_ERROR, tryParseQuantity } from '../quantity.ts';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function validateAccessModes(modes: string[] | undefined, path: string): FieldError[] {
  if (!modes?.length) return [required(path, 'at least 1 access mode is required')];
  const errs = modes.filter((m) => !ACCESS_MODES.includes(m)).map((m) => notSupported(path, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateStorageQuantity(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null || value === '') return [required(path, '')];
  const q = tryParseQuantity(value);
  if (!q) return [invalid(path, value, QUANTITY_FORMAT_ERROR)];
  if (q.milliValue() <= 0) return [invalid(path, value, 'must be greater than zero')];
  return [];
}

/** A claim's spec: also a StatefulSet's volumeClaimTemplates[i].spec. */
export function validatePersistentVolumeClaimSpec(spec: PersistentVolumeClaimSpec | undefined, path: string): FieldError[] {
  const errs = validateAccessModes(spec?.accessModes, `${path}.accessModes`);
  errs.push(...validateStorageQuantity(spec?.resources?.requests?.['storage'], `${path}.resources[storage]`));
  if (spec?.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported(`${path}.volumeMode`, spec.volumeMode, VOLUME_MODES));
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  const errs = validateObjectMeta(pvc.metadata, true, nameIsDNSSubdomain);
  errs.push(...validatePersistentVolumeClaimSpec(pvc.spec, 'spec'));
  return errs;
}

/** The spec is immutable but for the storage request, and volumeName may be set once (binding). */
export function validatePersistentVolumeClaimUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata, old.metadata);
  errs.push(...validatePersistentVolumeClaimSpec(pvc.spec, 'spec'));
  const strip = (s: PersistentVolumeClaimSpec | undefined, volumeName: string | undefined) =>
    ({ ...s, resources: { ...s?.resources, requests: undefined }, volumeName });
  const oldName = old.spec?.volumeName || pvc.spec?.volumeName;
  if (!deepEqual(strip(pvc.spec, pvc.spec?.volumeName), strip(old.spec, oldName))) {
    errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  return errs;
}

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const errs = validateObjectMeta(pv.metadata, false, nameIsDNSSubdomain);
  const spec = pv.spec;
  errs.push(...validateAccessModes(spec?.accessModes, 'spec.accessModes'));
  errs.push(...validateStorageQuantity(spec?.capacity?.['storage'], 'spec.capacity[storage]'));
  const policy = spec?.persistentVolumeReclaimPolicy;
  if (policy && !RECLAIM_POLICIES.includes(policy)) errs.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  const sources = ['hostPath', 'local'].filter((k) => (spec as Record<string, unknown> | undefined)?.[k] !== undefined);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  if (sources.length > 1) errs.push(forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  if (spec?.hostPath && !spec.hostPath.path) errs.push(required('spec.hostPath.path', ''));
  if (spec?.local) {
    if (!spec.local.path) errs.push(required('spec.local.path', ''));
    if (!spec.nodeAffinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  return errs;
}

/** The volume source and node affinity are fixed once made (claimRef and the rest may change). */
export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = validateObjectMetaUpdate(pv.metadata, old.metadata);
  errs.push(...validatePersistentVolume(pv).filter((e) => !e.field.startsWith('metadata.')));
  for (const k of ['hostPath', 'local', 'nodeAffinity'] as const) {
    if (!deepEqual(pv.spec?.[k], old.spec?.[k])) errs.push(invalid(`spec.${k}`, pv.spec?.[k], 'field is immutable'));
  }
  return errs;
}

export function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain);
  if (!sc.provisioner) errs.push(required('provisioner', ''));
  if (sc.reclaimPolicy && !['Delete', 'Retain'].includes(sc.reclaimPolicy)) errs.push(notSupported('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  if (sc.volumeBindingMode && !BINDING_MODES.includes(sc.volumeBindingMode)) errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  return errs;
}

export function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs = validateObjectMetaUpdate(sc.metadata, old.metadata);
  errs.push(...validateStorageClass(sc).filter((e) => !e.field.startsWith('metadata.')));
  if (!deepEqual(sc.parameters, old.parameters)) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push(invalid('volumeBindingMode', sc.volumeBindingMode, 'field is immutable'));
  return errs;
}
