/**
 * autoscaling/v2 HorizontalPodAutoscaler validation, as upstream's pkg/apis/autoscaling/validation: the
 * replica bounds, the scale target reference (kind and name as path segments), each metric's source matching
 * its type with a well-formed target, and the behavior's rules (stabilization window 0..3600 s, a known
 * select policy, at least one policy, each Pods or Percent with a positive value and a period of 1..1800 s).
 * autoscaling/v1 objects are converted to v2 first (autoscaling-conversion.ts), as upstream validates the
 * internal version.
 */
import type { CrossVersionObjectReference, HorizontalPodAutoscaler, HPAScalingRules, MetricSpec, MetricTarget } from '../types.ts';
import { type FieldError, forbidden, invalid, notSupported, required } from '../field-error.ts';
import { tryParseQuantity } from '../quantity.ts';
import { nameIsDNSSubdomain } from './names.ts';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { rbacName } from './rbac.ts';

const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const MAX_PERIOD_SECONDS = 1800;
const METRIC_SOURCES: Record<string, keyof MetricSpec> = {
  Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource',
};

function validateReference(ref: CrossVersionObjectReference | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref?.kind) errs.push(required(`${path}.kind`));
  else for (const msg of rbacName(ref.kind, false)) errs.push(invalid(`${path}.kind`, ref.kind, msg));
  if (!ref?.name) errs.push(required(`${path}.name`));
  else for (const msg of rbacName(ref.name, false)) errs.push(invalid(`${path}.name`, ref.name, msg));
  return errs;
}

function isNegative(q: unknown): boolean {
  const v = tryParseQuantity(q);
  return v !== undefined && v.nano < 0n;
}

function validateTarget(t: MetricTarget | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!t?.type) {
    errs.push(required(`${path}.type`, 'must specify a metric target type'));
  } else if (t.type !== 'Utilization' && t.type !== 'Value' && t.type !== 'AverageValue') {
    errs.push(invalid(`${path}.type`, t.type, 'must be either Utilization, Value, or AverageValue'));
  }
  if (t?.value !== undefined && isNegative(t.value)) errs.push(invalid(`${path}.value`, t.value, 'must be positive'));
  if (t?.averageValue !== undefined && isNegative(t.averageValue)) errs.push(invalid(`${path}.averageValue`, t.averageValue, 'must be positive'));
  if (t?.averageUtilization !== undefined && t.averageUtilization < 1) {
    errs.push(invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  }
  return errs;
}

/** A Resource or ContainerResource source: a name and a utilization or average value target. */
function validateResourceTarget(name: string | undefined, t: MetricTarget | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(required(`${path}.name`, 'must specify a resource name'));
  if (t?.averageUtilization === undefined && t?.averageValue === undefined) {
    errs.push(required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
  }
  if (t?.averageUtilization !== undefined && t.averageValue !== undefined) {
    errs.push(forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  }
  errs.push(...validateTarget(t, `${path}.target`));
  return errs;
}

function validateMetric(m: MetricSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const set = Object.entries(METRIC_SOURCES).filter(([, field]) => m[field] !== undefined).map(([type]) => type);
  if (!m.type) {
    errs.push(required(`${path}.type`, 'must specify a metric source type'));
  } else if (!(m.type in METRIC_SOURCES)) {
    errs.push(notSupported(`${path}.type`, m.type, Object.keys(METRIC_SOURCES)));
    return errs;
  } else if (!set.includes(m.type)) {
    errs.push(required(`${path}.${METRIC_SOURCES[m.type]}`, 'must populate information for the given metric source'));
  }
  if (set.length > 1 || (set.length === 1 && m.type && set[0] !== m.type)) {
    errs.push(forbidden(path, 'must populate the given metric source only'));
  }
  if (m.resource) errs.push(...validateResourceTarget(m.resource.name, m.resource.target, `${path}.resource`));
  if (m.containerResource) {
    errs.push(...validateResourceTarget(m.containerResource.name, m.containerResource.target, `${path}.containerResource`));
    if (!m.containerResource.container) errs.push(required(`${path}.containerResource.container`, 'must specify a container'));
  }
  if (m.pods) {
    if (!m.pods.metric?.name) errs.push(required(`${path}.pods.metric.name`, 'must specify a metric name'));
    errs.push(...validateLabelSelector(m.pods.metric?.selector, `${path}.pods.metric.selector`));
    if (m.pods.target?.averageValue === undefined) errs.push(required(`${path}.pods.target.averageValue`, 'must specify a positive target averageValue'));
    errs.push(...validateTarget(m.pods.target, `${path}.pods.target`));
  }
  if (m.object) {
    errs.push(...validateReference(m.object.describedObject, `${path}.object.describedObject`));
    if (!m.object.metric?.name) errs.push(required(`${path}.object.metric.name`, 'must specify a metric name'));
    if (m.object.target?.value === undefined && m.object.target?.averageValue === undefined) {
      errs.push(required(`${path}.object.target.averageValue`, 'must set either a target value or averageValue'));
    }
    errs.push(...validateTarget(m.object.target, `${path}.object.target`));
  }
  if (m.external) {
    if (!m.external.metric?.name) errs.push(required(`${path}.external.metric.name`, 'must specify a metric name'));
    if (m.external.target?.value === undefined && m.external.target?.averageValue === undefined) {
      errs.push(required(`${path}.external.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
    }
    errs.push(...validateTarget(m.external.target, `${path}.external.target`));
  }
  return errs;
}

function validateRules(rules: HPAScalingRules | undefined, path: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && w < 0) errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (w !== undefined && w > MAX_STABILIZATION_WINDOW_SECONDS) {
    errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  }
  const select = rules.selectPolicy;
  if (select !== undefined && select !== 'Max' && select !== 'Min' && select !== 'Disabled') {
    errs.push(notSupported(`${path}.selectPolicy`, select, ['Disabled', 'Max', 'Min']));
  }
  const policies = rules.policies ?? [];
  if (policies.length === 0) errs.push(required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((p, i) => {
    const pp = `${path}.policies[${i}]`;
    if (p.type !== 'Pods' && p.type !== 'Percent') errs.push(notSupported(`${pp}.type`, p.type, ['Percent', 'Pods']));
    if (!(p.value > 0)) errs.push(invalid(`${pp}.value`, p.value, 'must be greater than zero'));
    if (!(p.periodSeconds > 0)) errs.push(invalid(`${pp}.periodSeconds`, p.periodSeconds, 'must be greater than zero'));
    if (p.periodSeconds > MAX_PERIOD_SECONDS) errs.push(invalid(`${pp}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

function validateSpec(hpa: HorizontalPodAutoscaler): FieldError[] {
  const errs: FieldError[] = [];
  const spec = hpa.spec;
  const min = spec?.minReplicas;
  const max = spec?.maxReplicas ?? 0;
  if (min !== undefined && min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateReference(spec?.scaleTargetRef, 'spec.scaleTargetRef'));
  (spec?.metrics ?? []).forEach((m, i) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
  errs.push(...validateRules(spec?.behavior?.scaleUp, 'spec.behavior.scaleUp'));
  errs.push(...validateRules(spec?.behavior?.scaleDown, 'spec.behavior.scaleDown'));
  return errs;
}

export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): FieldError[] {
  return [...validateObjectMeta(hpa.metadata, true, nameIsDNSSubdomain), ...validateSpec(hpa)];
}

export function validateHorizontalPodAutoscalerUpdate(hpa: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler): FieldError[] {
  return [...validateObjectMetaUpdate(hpa.metadata, old.metadata), ...validateSpec(hpa)];
}

/** ValidateHorizontalPodAutoscalerStatusUpdate: replica counts are never negative. */
export function validateHorizontalPodAutoscalerStatusUpdate(hpa: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler): FieldError[] {
  const errs = validateObjectMetaUpdate(hpa.metadata, old.metadata);
  const s = hpa.status;
  if ((s?.currentReplicas ?? 0) < 0) errs.push(invalid('status.currentReplicas', s!.currentReplicas, 'must be greater than or equal to 0'));
  if ((s?.desiredReplicas ?? 0) < 0) errs.push(invalid('status.desiredReplicas', s!.desiredReplicas, 'must be greater than or equal to 0'));
  return errs;
}
