/**
 * ObjectMeta validation (apimachinery/pkg/api/validation/objectmeta.go and metav1 validation):
 * names, namespace, labels, annotations, owner references, finalizers, and the update rules
 * (immutable name/namespace/uid/creationTimestamp, no new finalizers while deleting).
 */
import type { LabelSelector, LabelSelectorRequirement, ObjectMeta, OwnerReference } from '../types.ts';
import { type FieldError, forbidden, invalid, required, tooLong } from '../field-error.ts';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameValidator } from './names.ts';

export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

/** Go's reflect.DeepEqual on JSON values, treating undefined members as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

export function validateQualifiedName(value: string, path: string): FieldError[] {
  return isQualifiedName(value).map((m) => invalid(path, value, m));
}

export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(path, name, m));
}

export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, path));
    if (typeof v !== 'string') errs.push(invalid(path, v, 'must be a string'));
    else for (const m of isValidLabelValue(v)) errs.push(invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // QualifiedName, except that case does not matter.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    size += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

function validateOwnerReferences(refs: OwnerReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let controller: OwnerReference | undefined;
  for (const r of refs ?? []) {
    const slash = (r.apiVersion ?? '').split('/');
    const version = slash.length === 2 ? slash[1] : slash.length === 1 ? slash[0] : '';
    if (!version) errs.push(invalid(`${path}.apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) errs.push(invalid(`${path}.kind`, r.kind ?? '', 'kind must not be empty'));
    if (!r.name) errs.push(invalid(`${path}.name`, r.name ?? '', 'name must not be empty'));
    if (!r.uid) errs.push(invalid(`${path}.uid`, r.uid ?? '', 'uid must not be empty'));
    if (r.controller) {
      if (controller) {
        errs.push(invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controller.kind}/${controller.name} and ${r.kind}/${r.name}`));
      } else controller = r;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) errs.push(...validateQualifiedName(f, path));
  const list = finalizers ?? [];
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(invalid(path, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** ValidateObjectMeta: `nameFn` is the kind's name rule; `namespaced` whether a namespace is required. */
export function validateObjectMeta(meta: ObjectMeta | undefined, namespaced: boolean, nameFn: NameValidator, path = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) for (const msg of nameFn(m.generateName, true)) errs.push(invalid(`${path}.generateName`, m.generateName, msg));
  if (!m.name) errs.push(required(`${path}.name`, 'name or generateName is required'));
  else for (const msg of nameFn(m.name, false)) errs.push(invalid(`${path}.name`, m.name, msg));
  if (namespaced) {
    if (!m.namespace) errs.push(required(`${path}.namespace`, ''));
    else for (const msg of nameIsDNSLabel(m.namespace, false)) errs.push(invalid(`${path}.namespace`, m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  if (m.generation !== undefined && m.generation < 0) errs.push(invalid(`${path}.generation`, m.generation, 'must be greater than or equal to 0'));
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
  return errs;
}

function validateImmutableField(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return deepEqual(newVal ?? undefined, oldVal ?? undefined) ? [] : [invalid(path, newVal ?? null, 'field is immutable')];
}

/**
 * ValidateObjectMetaUpdate. Expects the apiserver to have set `resourceVersion` on the new object
 * already (unconditional updates and patches take the stored one), as the real registry does.
 */
export function validateObjectMetaUpdate(newMeta: ObjectMeta | undefined, oldMeta: ObjectMeta | undefined, path = 'metadata'): FieldError[] {
  const n = newMeta ?? {};
  const o = oldMeta ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const extra = (n.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f));
    if (extra.length) {
      errs.push(forbidden(`${path}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`));
    }
  }
  if (!n.resourceVersion) errs.push(invalid(`${path}.resourceVersion`, n.resourceVersion ?? '', 'must be specified for an update'));
  if ((n.generation ?? 0) < (o.generation ?? 0)) errs.push(invalid(`${path}.generation`, n.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutableField(n.name, o.name, `${path}.name`));
  errs.push(...validateImmutableField(n.namespace, o.namespace, `${path}.namespace`));
  errs.push(...validateImmutableField(n.uid, o.uid, `${path}.uid`));
  errs.push(...validateImmutableField(n.creationTimestamp, o.creationTimestamp, `${path}.creationTimestamp`));
  errs.push(...validateImmutableField(n.deletionTimestamp, o.deletionTimestamp, `${path}.deletionTimestamp`));
  errs.push(...validateImmutableField(n.deletionGracePeriodSeconds, o.deletionGracePeriodSeconds, `${path}.deletionGracePeriodSeconds`));
  errs.push(...validateLabels(n.labels, `${path}.labels`));
  errs.push(...validateAnnotations(n.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(n.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(n.finalizers, `${path}.finalizers`));
  return errs;
}

/** metav1 ValidateLabelSelector. */
export function validateLabelSelector(sel: LabelSelector | undefined | null, path: string): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((r, i) => errs.push(...validateLabelSelectorRequirement(r, `${path}.matchExpressions[${i}]`)));
  return errs;
}

function validateLabelSelectorRequirement(r: LabelSelectorRequirement, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (r.operator) {
    case 'In': case 'NotIn':
      if (!r.values?.length) errs.push(required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (r.values?.length) errs.push(forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(invalid(`${path}.operator`, r.operator, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(r.key, `${path}.key`));
  (r.values ?? []).forEach((v, i) => { for (const m of isValidLabelValue(v)) errs.push(invalid(`${path}.values[${i}]`, v, m)); });
  return errs;
}
