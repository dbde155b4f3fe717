/**
 * The horizontal pod autoscaler controller (kube-controller-manager's podautoscaler): every sync period
 * each HorizontalPodAutoscaler reads its target's `scale` subresource, the resource metrics of the pods the
 * scale's selector picks (metrics.k8s.io), computes a replica count per metric (replica-calculator.ts),
 * takes the largest, bounds it by stabilization, rate policies and min/max (behavior.ts), writes the new
 * count through `scale`, and records status (currentReplicas, desiredReplicas, currentMetrics,
 * lastScaleTime), the AbleToScale, ScalingActive and ScalingLimited conditions, and events, with upstream's
 * reasons and messages.
 *
 *   hpa added / spec changed ─▶ reconcile now; every reconcile ─▶ again after the sync period (15 s)
 *
 * Recommendations and scale events are kept in memory per HPA, as upstream does (a restart forgets them).
 */
import type { HorizontalPodAutoscaler, HPAScalingRules, MetricSpec, MetricStatus, Pod } from '../../api/index.ts';
import { defaultScaleDownRules, defaultScaleUpRules, findResourceByKind, parseLabelSelector, parseQuantity, Quantity, withDefaultRules } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller, type ReconcileResult } from '../controller.ts';
import { limitWithBehavior, limitWithoutBehavior, stabilizeWithBehavior, stabilizeWithoutBehavior, type ScaleEvent, type TimestampedRecommendation } from './behavior.ts';
import { podRequests, rawResourceReplicas, resourceReplicas, type CalculatorConfig } from './replica-calculator.ts';
import { getResourceMetric } from './resource-metrics.ts';

export interface HorizontalPodAutoscalerControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Scale {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

class MetricError extends Error {
  readonly condition: { reason: string; message: string };
  constructor(message: string, condition: { reason: string; message: string }) {
    super(message);
    this.condition = condition;
  }
}

function metricName(spec: MetricSpec): string {
  return spec.resource?.name ?? spec.containerResource?.name ?? spec.type;
}

function milli(q: string | number): number {
  return parseQuantity(q).milliValue();
}

/** A milli-unit figure as a DecimalSI quantity (resource.NewMilliQuantity). */
function milliQuantity(m: number): string {
  return Quantity.fromMilli(m).toString();
}

export class HorizontalPodAutoscalerController {
  readonly hpas: Informer<HorizontalPodAutoscaler>;
  readonly pods: Informer<Pod>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #syncMs: number;
  readonly #downscaleWindowMs: number;
  readonly #calc: CalculatorConfig;
  readonly #recommendations = new Map<string, TimestampedRecommendation[]>();
  readonly #scaleUps = new Map<string, ScaleEvent[]>();
  readonly #scaleDowns = new Map<string, ScaleEvent[]>();

  constructor(config: HorizontalPodAutoscalerControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('horizontal-pod-autoscaler');
    this.#syncMs = config.syncPeriodMs ?? 15_000;
    this.#downscaleWindowMs = config.downscaleStabilizationMs ?? 300_000;
    this.#calc = {
      tolerance: config.tolerance ?? 0.1,
      cpuInitializationPeriodMs: config.cpuInitializationPeriodMs ?? 300_000,
      initialReadinessDelayMs: config.initialReadinessDelayMs ?? 30_000,
    };
    const opts = { clock: this.#clock, logger: this.#log };
    this.hpas = informerOf(config.informers, config.client.resource<HorizontalPodAutoscaler>('horizontalpodautoscalers.autoscaling'), opts);
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.#recorder = new EventRecorder(config.client, { component: 'horizontal-pod-autoscaler', clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: 'horizontal-pod-autoscaler',
      recorder: this.#recorder,
      informers: [this.hpas, this.pods] as Informer<KubeObjectLike>[],
      reconcile: (key, signal) => this.reconcile(key, signal),
      clock: this.#clock,
      logger: this.#log,
    });
    this.hpas.onAdd((h) => this.controller.enqueue(objectKey(h)));
    // Our own status writes come back as updates: only a changed spec is worth an early pass.
    this.hpas.onUpdate((o, h) => {
      if (JSON.stringify(o.spec) !== JSON.stringify(h.spec)) this.controller.enqueue(objectKey(h));
    });
    this.hpas.onDelete((h) => {
      const key = objectKey(h);
      this.#recommendations.delete(key);
      this.#scaleUps.delete(key);
      this.#scaleDowns.delete(key);
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  /** One pass for one HPA (public for tests); always comes back after the sync period. */
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const stored = this.hpas.get(key);
    if (!stored || stored.metadata?.deletionTimestamp) return;
    const hpa = structuredClone(stored);
    try {
      await this.#reconcileAutoscaler(key, hpa, signal);
    } catch (err) {
      if (isNotFound(err)) return;
      this.#log.warn({ hpa: key, err: String(err) }, 'autoscaling');
    }
    return { requeueAfterMs: this.#syncMs };
  }

  #setCondition(hpa: HorizontalPodAutoscaler, type: ConditionType, status: 'True' | 'False', reason: string, message: string): void {
    const st = (hpa.status ??= { desiredReplicas: 0 });
    const conditions = (st.conditions ??= []);
    const now = new Date(Math.floor(this.#clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const existing = conditions.find((c) => c.type === type);
    if (!existing) {
      conditions.push({ type, status, lastTransitionTime: now, reason, message });
      return;
    }
    if (existing.status !== status) existing.lastTransitionTime = now;
    existing.status = status;
    existing.reason = reason;
    existing.message = message;
  }

  async #reconcileAutoscaler(key: string, hpa: HorizontalPodAutoscaler, signal: AbortSignal): Promise<void> {
    const ns = hpa.metadata!.namespace!;
    const ref = hpa.spec!.scaleTargetRef;
    const info = findResourceByKind(ref.apiVersion ?? '', ref.kind);
    let scale: Scale;
    try {
      if (!info || !info.subresources.some((s) => s.name === 'scale')) {
        const group = (ref.apiVersion ?? '').includes('/') ? ref.apiVersion!.split('/')[0] : '';
        throw new Error(`unable to determine resource for scale target reference: no matches for kind "${ref.kind}" in group "${group}"`);
      }
      scale = await this.#client.resource(info, ns).subresource('scale').get<Scale>(ref.name, { signal });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.#setCondition(hpa, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      this.#recorder.event(hpa, 'Warning', 'FailedGetScale', msg);
      await this.#writeStatus(hpa, signal);
      return;
    }
    this.#setCondition(hpa, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const current = scale.spec?.replicas ?? 0;
    const min = hpa.spec!.minReplicas ?? 1;
    const max = hpa.spec!.maxReplicas;
    let desired = 0;
    let rescaleReason = '';
    let statuses: MetricStatus[] = hpa.status?.currentMetrics ?? [];
    if (current === 0 && min !== 0) {
      // Scaled to zero by hand: autoscaling is off until someone scales it up again.
      this.#setCondition(hpa, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > max) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = max;
    } else if (current < min) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = min;
    } else {
      const computed = await this.#computeReplicasForMetrics(hpa, scale, signal);
      statuses = computed.statuses;
      if (computed.replicas === -1) {
        this.#setStatus(hpa, current, hpa.status?.desiredReplicas ?? current, statuses, false);
        await this.#writeStatus(hpa, signal);
        this.#recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error ?? 'failed to compute desired number of replicas');
        return;
      }
      desired = computed.replicas;
      if (desired > current) rescaleReason = `${computed.metric} above target`;
      if (desired < current) rescaleReason = 'All metrics below target';
      desired = hpa.spec!.behavior ? this.#normalizeWithBehavior(key, hpa, current, desired, min) : this.#normalize(key, hpa, current, desired, min);
    }
    const rescale = desired !== current;
    if (rescale) {
      try {
        await this.#client.resource(info!, ns).subresource('scale').update(ref.name, { ...scale, spec: { ...scale.spec, replicas: desired } }, { signal });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        this.#recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${rescaleReason}; error: ${msg}`);
        this.#setCondition(hpa, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        this.#setStatus(hpa, current, hpa.status?.desiredReplicas ?? current, statuses, false);
        await this.#writeStatus(hpa, signal);
        return;
      }
      this.#setCondition(hpa, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.#recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`);
      this.#storeScaleEvent(key, hpa, current, desired);
      this.#log.info({ hpa: key, from: current, to: desired, reason: rescaleReason }, 'successful rescale');
    } else {
      desired = current;
    }
    this.#setStatus(hpa, current, desired, statuses, rescale);
    await this.#writeStatus(hpa, signal);
  }

  #setStatus(hpa: HorizontalPodAutoscaler, current: number, desired: number, statuses: MetricStatus[], rescale: boolean): void {
    const old = hpa.status;
    hpa.status = {
      currentReplicas: current,
      desiredReplicas: desired,
      ...(old?.lastScaleTime ? { lastScaleTime: old.lastScaleTime } : {}),
      ...(statuses.length > 0 ? { currentMetrics: statuses } : {}),
      ...(old?.conditions ? { conditions: old.conditions } : {}),
    };
    if (rescale) hpa.status.lastScaleTime = new Date(Math.floor(this.#clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  async #writeStatus(hpa: HorizontalPodAutoscaler, signal: AbortSignal): Promise<void> {
    const stored = this.hpas.get(objectKey(hpa));
    if (stored && JSON.stringify(stored.status ?? {}) === JSON.stringify(hpa.status ?? {})) return;
    await this.#client.resource<HorizontalPodAutoscaler>('horizontalpodautoscalers.autoscaling', hpa.metadata!.namespace).updateStatus(hpa, { signal });
  }

  async #computeReplicasForMetrics(hpa: HorizontalPodAutoscaler, scale: Scale, signal: AbortSignal): Promise<{ replicas: number; metric: string; statuses: MetricStatus[]; error?: string }> {
    const selectorText = scale.status?.selector ?? '';
    if (!selectorText) {
      const msg = 'selector is required';
      this.#recorder.event(hpa, 'Warning', 'SelectorRequired', msg);
      this.#setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      return { replicas: -1, metric: '', statuses: [], error: msg };
    }
    let selector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (err) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${String(err)}`;
      this.#recorder.event(hpa, 'Warning', 'InvalidSelector', msg);
      this.#setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', msg);
      return { replicas: -1, metric: '', statuses: [], error: msg };
    }
    const ns = hpa.metadata!.namespace!;
    const pods = this.pods.list().filter((p) => p.metadata?.namespace === ns && selector.matches(p.metadata?.labels ?? {}));
    const specs = hpa.spec!.metrics ?? [];
    const specReplicas = scale.spec?.replicas ?? 0;
    const statuses: MetricStatus[] = [];
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let firstError: MetricError | undefined;
    for (const spec of specs) {
      try {
        const r = await this.#computeForMetric(hpa, spec, specReplicas, ns, selectorText, pods, signal);
        statuses.push(r.status);
        if (replicas === 0 || r.replicas > replicas) {
          replicas = r.replicas;
          metric = r.metric;
        }
      } catch (err) {
        const e = err instanceof MetricError ? err : new MetricError(String(err), { reason: 'FailedGetResourceMetric', message: String(err) });
        firstError ??= e;
        invalid++;
        statuses.push({ type: '' });
      }
    }
    const error = firstError ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}` : undefined;
    // All metrics failed, or some did and the rest would scale down: do nothing, say why.
    if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas)) {
      this.#setCondition(hpa, 'ScalingActive', 'False', firstError!.condition.reason, firstError!.condition.message);
      return { replicas: -1, metric: '', statuses: statuses.filter((s) => s.type !== ''), error };
    }
    this.#setCondition(hpa, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
    return { replicas, metric, statuses: statuses.filter((s) => s.type !== '') };
  }

  async #computeForMetric(hpa: HorizontalPodAutoscaler, spec: MetricSpec, current: number, ns: string, selector: string, pods: Pod[], signal: AbortSignal): Promise<{ replicas: number; metric: string; status: MetricStatus }> {
    if (spec.type !== 'Resource' || !spec.resource) {
      const msg = `unable to get metric ${metricName(spec)}: kubeling serves resource metrics only (no custom or external metrics API)`;
      this.#recorder.event(hpa, 'Warning', `FailedGet${spec.type}Metric`, msg);
      throw new MetricError(`failed to get ${spec.type} metric value: ${msg}`, { reason: `FailedGet${spec.type}Metric`, message: `the HPA was unable to compute the replica count: ${msg}` });
    }
    const resource = spec.resource.name;
    const target = spec.resource.target;
    const fail = (inner: string) => {
      // Upstream's getUnableComputeReplicaCountCondition: a warning where the metric fails.
      this.#recorder.event(hpa, 'Warning', 'FailedGetResourceMetric', inner);
      return new MetricError(`failed to get ${resource} resource metric value: ${inner}`, { reason: 'FailedGetResourceMetric', message: `the HPA was unable to compute the replica count: ${inner}` });
    };
    const now = this.#clock.now();
    if (target.averageValue !== undefined) {
      try {
        const metrics = await getResourceMetric(this.#client, resource, ns, selector, signal).catch((e: Error) => {
          throw new Error(`unable to get metrics for resource ${resource}: ${e.message}`);
        });
        const p = rawResourceReplicas(current, milli(target.averageValue), pods, metrics, resource, this.#calc, now);
        return { replicas: p.replicas, metric: `${resource} resource`, status: { type: 'Resource', resource: { name: resource, current: { averageValue: milliQuantity(p.rawAverage) } } } };
      } catch (err) {
        throw fail(`failed to get ${resource} usage: ${(err as Error).message}`);
      }
    }
    if (target.averageUtilization === undefined) {
      throw fail('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    }
    try {
      const metrics = await getResourceMetric(this.#client, resource, ns, selector, signal).catch((e: Error) => {
        throw new Error(`unable to get metrics for resource ${resource}: ${e.message}`);
      });
      const requests = podRequests(pods, resource, milli);
      const p = resourceReplicas(current, target.averageUtilization, pods, metrics, resource, requests, this.#calc, now);
      return {
        replicas: p.replicas,
        metric: `${resource} resource utilization (percentage of request)`,
        status: { type: 'Resource', resource: { name: resource, current: { averageUtilization: p.utilization, averageValue: milliQuantity(p.rawAverage) } } },
      };
    } catch (err) {
      throw fail(`failed to get ${resource} utilization: ${(err as Error).message}`);
    }
  }

  #normalize(key: string, hpa: HorizontalPodAutoscaler, current: number, desired: number, min: number): number {
    const history = this.#recommendationsOf(key);
    const stabilized = stabilizeWithoutBehavior(history, desired, this.#downscaleWindowMs, this.#clock.now());
    if (stabilized !== desired) {
      this.#setCondition(hpa, 'AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
    } else {
      this.#setCondition(hpa, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    }
    const out = limitWithoutBehavior(current, stabilized, min, hpa.spec!.maxReplicas);
    this.#setCondition(hpa, 'ScalingLimited', out.replicas === stabilized ? 'False' : 'True', out.reason, out.message);
    return out.replicas;
  }

  #rules(hpa: HorizontalPodAutoscaler): { up: HPAScalingRules; down: HPAScalingRules } {
    const b = hpa.spec!.behavior;
    const up = withDefaultRules(b?.scaleUp, defaultScaleUpRules());
    const down = withDefaultRules(b?.scaleDown, defaultScaleDownRules());
    // An unset scale-down window is the controller's --horizontal-pod-autoscaler-downscale-stabilization.
    if (down.stabilizationWindowSeconds === undefined) down.stabilizationWindowSeconds = Math.round(this.#downscaleWindowMs / 1000);
    return { up, down };
  }

  #normalizeWithBehavior(key: string, hpa: HorizontalPodAutoscaler, current: number, desired: number, min: number): number {
    const { up, down } = this.#rules(hpa);
    const args = { current, desired, min, max: hpa.spec!.maxReplicas, scaleUp: up, scaleDown: down, now: this.#clock.now() };
    const stabilized = stabilizeWithBehavior(this.#recommendationsOf(key), args);
    if (stabilized.replicas !== desired) this.#setCondition(hpa, 'AbleToScale', 'True', stabilized.reason, stabilized.message);
    else this.#setCondition(hpa, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    const out = limitWithBehavior({ ...args, desired: stabilized.replicas }, this.#scaleUps.get(key) ?? [], this.#scaleDowns.get(key) ?? []);
    this.#setCondition(hpa, 'ScalingLimited', out.replicas === stabilized.replicas ? 'False' : 'True', out.reason, out.message);
    return out.replicas;
  }

  #recommendationsOf(key: string): TimestampedRecommendation[] {
    let h = this.#recommendations.get(key);
    if (!h) this.#recommendations.set(key, (h = []));
    return h;
  }

  /** storeScaleEvent: remembered for the rate policies, forgotten once older than the longest period. */
  #storeScaleEvent(key: string, hpa: HorizontalPodAutoscaler, prev: number, next: number): void {
    if (!hpa.spec!.behavior) return;
    const { up, down } = this.#rules(hpa);
    const now = this.#clock.now();
    const longest = (r: HPAScalingRules) => Math.max(0, ...(r.policies ?? []).map((p) => p.periodSeconds)) * 1000;
    const push = (map: Map<string, ScaleEvent[]>, change: number, keepMs: number) => {
      const list = (map.get(key) ?? []).filter((e) => e.timestampMs > now - keepMs);
      list.push({ replicaChange: change, timestampMs: now });
      map.set(key, list);
    };
    if (next > prev) push(this.#scaleUps, next - prev, longest(up));
    else push(this.#scaleDowns, prev - next, longest(down));
  }
}
