/**
 * The replica calculation of upstream's podautoscaler (replica_calculator.go), pure: from the pods a target
 * selects, their resource metrics and requests, how many replicas bring the average to the target.
 *
 * Pods are grouped first (groupPods): deleted and failed pods are ignored; Pending pods, and for CPU pods that
 * are not Ready or still within the CPU initialization period with a sample older than their last readiness
 * change, count as unready; pods without a sample are missing. The usage ratio is computed over the ready
 * pods with samples; within the tolerance (0.1) nothing changes. When pods are missing or unready, a second
 * pass assumes the worst for the direction of change (missing pods use 100% of their request on a scale
 * down, 0% on a scale up; unready pods 0% on a scale up) and keeps the current count if that pass is within
 * tolerance or reverses the direction.
 */
import type { Pod } from '../../api/index.ts';

export interface PodMetric {
  /** Millicores for cpu, bytes x 1000 (milli-units) for memory: always milli-units of the resource. */
  value: number;
  timestampMs: number;
  windowMs: number;
}

export interface CalculatorConfig {
  tolerance: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
}

export interface ReplicaProposal {
  replicas: number;
  /** Utilization in percent of the requests (Utilization targets only). */
  utilization?: number;
  /** The average raw value per pod, in milli-units. */
  rawAverage: number;
}

export class ReplicaCalculationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicaCalculationError';
  }
}

interface Groups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function groupPods(pods: readonly Pod[], metrics: ReadonlyMap<string, PodMetric>, resource: string, config: CalculatorConfig, now: number): Groups {
  const g: Groups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = readyCondition(pod);
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
      let unready: boolean;
      if (!cond || start === undefined) {
        unready = true;
      } else {
        const transition = Date.parse(cond.lastTransitionTime ?? '') || 0;
        if (start + config.cpuInitializationPeriodMs > now) {
          // Still initializing: ignore the sample if unready, or if it does not cover a whole window since the last change.
          unready = cond.status === 'False' || metric.timestampMs < transition + metric.windowMs;
        } else {
          // Ignore a pod that has never been ready since it started.
          unready = cond.status === 'False' && start + config.initialReadinessDelayMs > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Sum of the containers' requests of `resource` per pod, in milli-units; a container without one is an error. */
export function podRequests(pods: readonly Pod[], resource: string, toMilli: (q: string | number) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      const req = c.resources?.requests?.[resource];
      if (req === undefined) throw new ReplicaCalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`);
      sum += toMilli(req as string | number);
    }
    out.set(pod.metadata!.name!, sum);
  }
  return out;
}

/** GetResourceUtilizationRatio. */
function utilizationRatio(metrics: ReadonlyMap<string, PodMetric>, requests: ReadonlyMap<string, number>, target: number) {
  let total = 0;
  let requested = 0;
  let n = 0;
  for (const [pod, m] of metrics) {
    const r = requests.get(pod);
    if (r === undefined) continue;
    total += m.value;
    requested += r;
    n++;
  }
  if (requested === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((total * 100) / requested);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(total / n) };
}

function usageRatio(metrics: ReadonlyMap<string, PodMetric>, target: number) {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const average = total / metrics.size;
  return { ratio: average / target, rawAverage: Math.trunc(average) };
}

interface Calc {
  ratio: (m: Map<string, PodMetric>) => { ratio: number; utilization?: number; rawAverage: number };
  /** The value a missing pod is assumed to use on a scale down. */
  missingOnScaleDown: (pod: string) => number;
}

function calculate(current: number, pods: readonly Pod[], metrics: ReadonlyMap<string, PodMetric>, resource: string, config: CalculatorConfig, now: number, calc: Calc): ReplicaProposal {
  if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, metrics, resource, config, now);
  const m = new Map(metrics);
  for (const p of [...g.ignored, ...g.unready]) m.delete(p);
  // Metrics of pods the selector no longer picks play no part either.
  const known = new Set(pods.map((p) => p.metadata!.name!));
  for (const p of [...m.keys()]) if (!known.has(p)) m.delete(p);
  if (m.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');
  const first = calc.ratio(m);
  const result = (replicas: number): ReplicaProposal => ({ replicas, rawAverage: first.rawAverage, ...(first.utilization !== undefined ? { utilization: first.utilization } : {}) });
  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= config.tolerance) return result(current);
    return result(Math.ceil(first.ratio * g.readyCount));
  }
  if (g.missing.size > 0) {
    for (const p of g.missing) m.set(p, { value: first.ratio < 1 ? calc.missingOnScaleDown(p) : 0, timestampMs: now, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const p of g.unready) m.set(p, { value: 0, timestampMs: now, windowMs: 0 });
  const second = calc.ratio(m).ratio;
  if (Math.abs(1 - second) <= config.tolerance || (first.ratio < 1 && second > 1) || (first.ratio > 1 && second < 1)) return result(current);
  const replicas = Math.ceil(second * m.size);
  if ((second < 1 && replicas > current) || (second > 1 && replicas < current)) return result(current);
  return result(replicas);
}

/** GetResourceReplicas: a Utilization target (percent of the pods' requests). */
export function resourceReplicas(current: number, targetUtilization: number, pods: readonly Pod[], metrics: ReadonlyMap<string, PodMetric>,
  resource: string, requests: ReadonlyMap<string, number>, config: CalculatorConfig, now: number): ReplicaProposal {
  return calculate(current, pods, metrics, resource, config, now, {
    ratio: (m) => utilizationRatio(m, requests, targetUtilization),
    // On a scale down a missing pod counts as using its whole request (or the target, when above 100%).
    missingOnScaleDown: (p) => Math.trunc(((requests.get(p) ?? 0) * Math.max(100, targetUtilization)) / 100),
  });
}

/** GetRawResourceReplicas: an AverageValue target (milli-units per pod). */
export function rawResourceReplicas(current: number, targetMilli: number, pods: readonly Pod[], metrics: ReadonlyMap<string, PodMetric>,
  resource: string, config: CalculatorConfig, now: number): ReplicaProposal {
  return calculate(current, pods, metrics, resource, config, now, {
    ratio: (m) => usageRatio(m, targetMilli),
    missingOnScaleDown: () => targetMilli,
  });
}
