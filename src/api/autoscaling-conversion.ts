/**
 * autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscalers, as pkg/apis/autoscaling/v1/conversion.go does
 * it: v1 has only a CPU utilization target and current value; what v2 says beyond that travels in
 * annotations on the v1 object, so a round trip through v1 loses nothing:
 *
 *   autoscaling.alpha.kubernetes.io/metrics          the other metric specs (v1's MetricSpec shape)
 *   autoscaling.alpha.kubernetes.io/current-metrics  the other metric statuses
 *   autoscaling.alpha.kubernetes.io/behavior         spec.behavior
 *   autoscaling.alpha.kubernetes.io/conditions       status.conditions
 *
 * Objects are stored as autoscaling/v2; the v1 endpoint converts on the way in and out.
 */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1, MetricSpec, MetricStatus } from './types.ts';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const ANNOTATIONS = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, BEHAVIOR_ANNOTATION, CONDITIONS_ANNOTATION];

type Obj = Record<string, unknown>;

/** v2 MetricSpec -> v1 MetricSpec (targetAverageUtilization / targetAverageValue / metricName). */
function specToV1(m: MetricSpec): Obj {
  const out: Obj = { type: m.type };
  if (m.resource) out.resource = { name: m.resource.name, targetAverageUtilization: m.resource.target.averageUtilization, targetAverageValue: m.resource.target.averageValue };
  if (m.containerResource) {
    const c = m.containerResource;
    out.containerResource = { name: c.name, container: c.container, targetAverageUtilization: c.target.averageUtilization, targetAverageValue: c.target.averageValue };
  }
  if (m.pods) out.pods = { metricName: m.pods.metric.name, selector: m.pods.metric.selector, targetAverageValue: m.pods.target.averageValue };
  if (m.object) {
    out.object = {
      target: m.object.describedObject, metricName: m.object.metric.name, selector: m.object.metric.selector,
      targetValue: m.object.target.value, averageValue: m.object.target.averageValue,
    };
  }
  if (m.external) {
    out.external = {
      metricName: m.external.metric.name, metricSelector: m.external.metric.selector,
      targetValue: m.external.target.value, targetAverageValue: m.external.target.averageValue,
    };
  }
  return JSON.parse(JSON.stringify(out)) as Obj;
}

function target(utilization: unknown, average: unknown, value?: unknown): Obj {
  if (utilization !== undefined) return { type: 'Utilization', averageUtilization: utilization };
  if (value !== undefined) return { type: 'Value', value };
  return { type: 'AverageValue', averageValue: average };
}

function specFromV1(m: Obj): MetricSpec {
  const out: Obj = { type: m.type };
  const r = m.resource as Obj | undefined;
  if (r) out.resource = { name: r.name, target: target(r.targetAverageUtilization, r.targetAverageValue) };
  const c = m.containerResource as Obj | undefined;
  if (c) out.containerResource = { name: c.name, container: c.container, target: target(c.targetAverageUtilization, c.targetAverageValue) };
  const p = m.pods as Obj | undefined;
  if (p) out.pods = { metric: { name: p.metricName, selector: p.selector }, target: { type: 'AverageValue', averageValue: p.targetAverageValue } };
  const o = m.object as Obj | undefined;
  if (o) out.object = { describedObject: o.target, metric: { name: o.metricName, selector: o.selector }, target: target(undefined, o.averageValue, o.targetValue) };
  const e = m.external as Obj | undefined;
  if (e) out.external = { metric: { name: e.metricName, selector: e.metricSelector }, target: target(undefined, e.targetAverageValue, e.targetValue) };
  return JSON.parse(JSON.stringify(out)) as MetricSpec;
}

function statusToV1(m: MetricStatus): Obj {
  const out: Obj = { type: m.type };
  if (m.resource) out.resource = { name: m.resource.name, currentAverageUtilization: m.resource.current.averageUtilization, currentAverageValue: m.resource.current.averageValue };
  if (m.containerResource) {
    const c = m.containerResource;
    out.containerResource = { name: c.name, container: c.container, currentAverageUtilization: c.current.averageUtilization, currentAverageValue: c.current.averageValue };
  }
  if (m.pods) out.pods = { metricName: m.pods.metric.name, selector: m.pods.metric.selector, currentAverageValue: m.pods.current.averageValue };
  if (m.object) out.object = { target: m.object.describedObject, metricName: m.object.metric.name, selector: m.object.metric.selector, currentValue: m.object.current.value, averageValue: m.object.current.averageValue };
  if (m.external) out.external = { metricName: m.external.metric.name, metricSelector: m.external.metric.selector, currentValue: m.external.current.value, currentAverageValue: m.external.current.averageValue };
  return JSON.parse(JSON.stringify(out)) as Obj;
}

function statusFromV1(m: Obj): MetricStatus {
  const out: Obj = { type: m.type };
  const cur = (u: unknown, a: unknown, v?: unknown) => JSON.parse(JSON.stringify({ averageUtilization: u, averageValue: a, value: v })) as Obj;
  const r = m.resource as Obj | undefined;
  if (r) out.resource = { name: r.name, current: cur(r.currentAverageUtilization, r.currentAverageValue) };
  const c = m.containerResource as Obj | undefined;
  if (c) out.containerResource = { name: c.name, container: c.container, current: cur(c.currentAverageUtilization, c.currentAverageValue) };
  const p = m.pods as Obj | undefined;
  if (p) out.pods = { metric: { name: p.metricName, selector: p.selector }, current: cur(undefined, p.currentAverageValue) };
  const o = m.object as Obj | undefined;
  if (o) out.object = { describedObject: o.target, metric: { name: o.metricName, selector: o.selector }, current: cur(undefined, o.averageValue, o.currentValue) };
  const e = m.external as Obj | undefined;
  if (e) out.external = { metric: { name: e.metricName, selector: e.metricSelector }, current: cur(undefined, e.currentAverageValue, e.currentValue) };
  return JSON.parse(JSON.stringify(out)) as MetricStatus;
}

function isCpuUtilization(m: MetricSpec): boolean {
  return m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.averageUtilization !== undefined;
}

function parseList(text: string | undefined): Obj[] | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as Obj[]) : undefined;
  } catch {
    return undefined; // upstream ignores an annotation it cannot read
  }
}

/** The stored (v2) form of a v1 object. */
export function hpaV1ToV2(v1: HorizontalPodAutoscalerV1): HorizontalPodAutoscaler {
  const annotations = { ...(v1.metadata?.annotations ?? {}) };
  const spec = v1.spec ?? ({} as NonNullable<HorizontalPodAutoscalerV1['spec']>);
  const metrics: MetricSpec[] = (parseList(annotations[METRIC_SPECS_ANNOTATION]) ?? []).map(specFromV1);
  if (spec.targetCPUUtilizationPercentage !== undefined) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  const out: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...v1.metadata },
    spec: { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas, ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}) },
  };
  if (metrics.length > 0) out.spec!.metrics = metrics;
  const behavior = annotations[BEHAVIOR_ANNOTATION];
  if (behavior !== undefined) {
    try {
      out.spec!.behavior = JSON.parse(behavior) as NonNullable<HorizontalPodAutoscaler['spec']>['behavior'];
    } catch {
      // unreadable: ignored, as upstream does
    }
  }
  const s = v1.status;
  if (s) {
    const current: MetricStatus[] = (parseList(annotations[METRIC_STATUSES_ANNOTATION]) ?? []).map(statusFromV1);
    if (s.currentCPUUtilizationPercentage !== undefined) {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: s.currentCPUUtilizationPercentage } } });
    }
    out.status = {
      ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
      ...(s.lastScaleTime !== undefined ? { lastScaleTime: s.lastScaleTime } : {}),
      currentReplicas: s.currentReplicas,
      desiredReplicas: s.desiredReplicas,
    };
    if (current.length > 0) out.status.currentMetrics = current;
    const conditions = parseList(annotations[CONDITIONS_ANNOTATION]);
    if (conditions) out.status.conditions = conditions as unknown as NonNullable<HorizontalPodAutoscaler['status']>['conditions'];
  }
  for (const a of ANNOTATIONS) delete annotations[a];
  if (Object.keys(annotations).length > 0) out.metadata!.annotations = annotations;
  else delete out.metadata!.annotations;
  return out;
}

/** The v1 view of a stored (v2) object. */
export function hpaV2ToV1(v2: HorizontalPodAutoscaler): HorizontalPodAutoscalerV1 {
  const annotations: Record<string, string> = { ...(v2.metadata?.annotations ?? {}) };
  const spec = v2.spec ?? ({} as NonNullable<HorizontalPodAutoscaler['spec']>);
  let cpuTarget: number | undefined;
  const others: Obj[] = [];
  for (const m of spec.metrics ?? []) {
    if (cpuTarget === undefined && isCpuUtilization(m)) cpuTarget = m.resource!.target.averageUtilization;
    else others.push(specToV1(m));
  }
  if (others.length > 0) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others);
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  const out: HorizontalPodAutoscalerV1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...v2.metadata },
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(cpuTarget !== undefined ? { targetCPUUtilizationPercentage: cpuTarget } : {}),
    },
  };
  const s = v2.status;
  if (s) {
    let cpuCurrent: number | undefined;
    const current: Obj[] = [];
    for (const m of s.currentMetrics ?? []) {
      if (cpuCurrent === undefined && m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current.averageUtilization !== undefined) {
        cpuCurrent = m.resource.current.averageUtilization;
      } else {
        current.push(statusToV1(m));
      }
    }
    if (current.length > 0) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(current);
    if (s.conditions && s.conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(s.conditions);
    out.status = {
      ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
      ...(s.lastScaleTime !== undefined ? { lastScaleTime: s.lastScaleTime } : {}),
      currentReplicas: s.currentReplicas ?? 0,
      desiredReplicas: s.desiredReplicas,
      ...(cpuCurrent !== undefined ? { currentCPUUtilizationPercentage: cpuCurrent } : {}),
    };
  }
  if (Object.keys(annotations).length > 0) out.metadata!.annotations = annotations;
  else delete out.metadata!.annotations;
  return out;
}
