/**
 * Validation of ResourceQuotas and LimitRanges (pkg/apis/core/validation: ValidateResourceQuota,
 * ValidateLimitRange): quantities are non-negative (whole numbers for object counts), scopes are known, do not
 * contradict each other and fit the resources they limit, and a LimitRange's bounds are ordered
 * min ≤ defaultRequest ≤ default ≤ max with a ratio of at least 1.
 */
import type { LimitRange, ResourceQuota } from '../types.ts';
import { type FieldError, duplicate, forbidden, invalid, notSupported, required } from '../field-error.ts';
import { tryParseQuantity, type Quantity } from '../quantity.ts';
import { nameIsDNSSubdomain } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate, deepEqual } from './meta.ts';
import { QUOTA_SCOPES, isIntegerQuotaResource, scopeSupportsResource } from '../quota/scopes.ts';

const NEGATIVE = 'must be greater than or equal to 0';

function validateQuantities(list: Record<string, string | number> | undefined, path: string, integers: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    const p = `${path}[${k}]`;
    if (!q) continue; // the schema check already refused it
    if (q.nano < 0n) errs.push(invalid(p, q.toString(), NEGATIVE));
    if (integers && isIntegerQuotaResource(k) && q.nano % 1_000_000_000n !== 0n) errs.push(invalid(p, q.toString(), 'must be an integer'));
  }
  return errs;
}

function validateQuotaSpec(rq: ResourceQuota): FieldError[] {
  const errs: FieldError[] = [];
  const spec = rq.spec ?? {};
  errs.push(...validateQuantities(spec.hard, 'spec.hard', true));
  const scopes: string[] = [...(spec.scopes ?? []), ...(spec.scopeSelector?.matchExpressions ?? []).map((e) => e.scopeName)];
  for (const [i, s] of (spec.scopes ?? []).entries()) {
    if (!QUOTA_SCOPES.includes(s)) errs.push(invalid(`spec.scopes[${i}]`, s, 'unsupported scope'));
  }
  for (const [i, e] of (spec.scopeSelector?.matchExpressions ?? []).entries()) {
    const p = `spec.scopeSelector.matchExpressions[${i}]`;
    if (!QUOTA_SCOPES.includes(e.scopeName)) errs.push(invalid(`${p}.scopeName`, e.scopeName, 'unsupported scope'));
    const ops = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
    if (!ops.includes(e.operator)) errs.push(notSupported(`${p}.operator`, e.operator, ops));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values ?? []).length) {
      errs.push(required(`${p}.values`, 'must be at least one value when `operator` is \'In\' or \'NotIn\' for scope selector'));
    } else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length) {
      errs.push(invalid(`${p}.values`, e.values, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    }
    if (['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort'].includes(e.scopeName) && e.operator !== 'Exists') {
      errs.push(invalid(`${p}.operator`, e.operator, `must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity`));
    }
  }
  if (scopes.length) {
    for (const k of Object.keys(spec.hard ?? {})) {
      if (!scopes.every((s) => scopeSupportsResource(s, k))) errs.push(invalid('spec.hard', spec.hard, 'unsupported scope applied to resource'));
    }
    const has = (s: string) => scopes.includes(s);
    if ((has('Terminating') && has('NotTerminating')) || (has('BestEffort') && has('NotBestEffort'))) {
      errs.push(invalid(spec.scopes?.length ? 'spec.scopes' : 'spec.scopeSelector', scopes, 'conflicting scopes'));
    }
  }
  return errs;
}

export function validateResourceQuota(rq: ResourceQuota): FieldError[] {
  const errs = validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateQuotaSpec(rq));
  errs.push(...validateQuantities(rq.status?.hard, 'status.hard', false), ...validateQuantities(rq.status?.used, 'status.used', false));
  return errs;
}

export function validateResourceQuotaUpdate(rq: ResourceQuota, old: ResourceQuota): FieldError[] {
  const errs = validateObjectMetaUpdate(rq.metadata, old.metadata);
  errs.push(...validateQuotaSpec(rq));
  if (!deepEqual(rq.spec?.scopes ?? [], old.spec?.scopes ?? [])) errs.push(invalid('spec.scopes', rq.spec?.scopes, 'field is immutable'));
  if (!deepEqual(rq.spec?.scopeSelector ?? null, old.spec?.scopeSelector ?? null)) errs.push(invalid('spec.scopeSelector', rq.spec?.scopeSelector, 'field is immutable'));
  return errs;
}

export function validateResourceQuotaStatusUpdate(rq: ResourceQuota, old: ResourceQuota): FieldError[] {
  const errs = validateObjectMetaUpdate(rq.metadata, old.metadata);
  errs.push(...validateQuantities(rq.status?.hard, 'status.hard', false), ...validateQuantities(rq.status?.used, 'status.used', false));
  return errs;
}

const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

function quantities(list: Record<string, string | number> | undefined): Map<string, Quantity> {
  const m = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) m.set(k, q);
  }
  return m;
}

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain);
  const seen = new Set<string>();
  for (const [i, limit] of (lr.spec?.limits ?? []).entries()) {
    const p = `spec.limits[${i}]`;
    const type = limit.type ?? '';
    if (!LIMIT_TYPES.includes(type) && !type.includes('/')) errs.push(notSupported(`${p}.type`, type, LIMIT_TYPES));
    if (seen.has(type)) errs.push(duplicate(`${p}.type`, type));
    seen.add(type);
    for (const part of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
      errs.push(...validateQuantities(limit[part], `${p}.${part}`, false));
    }
    const min = quantities(limit.min);
    const max = quantities(limit.max);
    let defaults = quantities(limit.default);
    let defaultRequests = quantities(limit.defaultRequest);
    const ratios = quantities(limit.maxLimitRequestRatio);
    if (type === 'Pod') {
      if (defaults.size) errs.push(forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
      if (defaultRequests.size) errs.push(forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
      defaults = new Map();
      defaultRequests = new Map();
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      errs.push(required(`${p}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const keys = new Set([...min.keys(), ...max.keys(), ...defaults.keys(), ...defaultRequests.keys(), ...ratios.keys()]);
    for (const k of [...keys].sort()) {
      const mn = min.get(k), mx = max.get(k), def = defaults.get(k), req = defaultRequests.get(k), ratio = ratios.get(k);
      if (mn && mx && mn.cmp(mx) > 0) errs.push(invalid(`${p}.min[${k}]`, mn.toString(), `min value ${mn} is greater than max value ${mx}`));
      if (req && mn && mn.cmp(req) > 0) errs.push(invalid(`${p}.defaultRequest[${k}]`, req.toString(), `min value ${mn} is greater than default request value ${req}`));
      if (req && mx && req.cmp(mx) > 0) errs.push(invalid(`${p}.defaultRequest[${k}]`, req.toString(), `default request value ${req} is greater than max value ${mx}`));
      if (req && def && req.cmp(def) > 0) errs.push(invalid(`${p}.defaultRequest[${k}]`, req.toString(), `default request value ${req} is greater than default limit value ${def}`));
      if (def && mn && mn.cmp(def) > 0) errs.push(invalid(`${p}.default[${k}]`, def.toString(), `min value ${mn} is greater than default value ${def}`));
      if (def && mx && def.cmp(mx) > 0) errs.push(invalid(`${p}.default[${k}]`, def.toString(), `default value ${def} is greater than max value ${mx}`));
      if (ratio && ratio.nano < 1_000_000_000n) errs.push(invalid(`${p}.maxLimitRequestRatio[${k}]`, ratio.toString(), `ratio ${ratio} is less than 1`));
      if (ratio && mn && mx && !mn.isZero()) {
        const limit = Number(mx.nano) / Number(mn.nano);
        if (Number(ratio.nano) / 1e9 > limit) errs.push(invalid(`${p}.maxLimitRequestRatio[${k}]`, ratio.toString(), `ratio ${ratio} is greater than max/min = ${limit.toFixed(6)}`));
      }
    }
  }
  return errs;
}

export function validateLimitRangeUpdate(lr: LimitRange, old: LimitRange): FieldError[] {
  return [...validateObjectMetaUpdate(lr.metadata, old.metadata), ...validateLimitRange(lr).filter((e) => !e.field.startsWith('metadata'))];
}
