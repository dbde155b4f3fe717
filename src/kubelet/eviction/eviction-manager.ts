/**
 * The eviction manager (upstream pkg/kubelet/eviction/eviction_manager.go): every 10 s it observes the node's
 * signals and, when a threshold is met, evicts one pod to reclaim the starved resource.
 *
 *   observe ─▶ thresholds met (a met one stays met until its minimum reclaim is back) ─▶ soft ones only after
 *   their grace period ─▶ node conditions (kept for --eviction-pressure-transition-period after the last
 *   time) ─▶ pods over their emptyDir sizeLimit / ephemeral-storage limits evicted ─▶ rank the active pods
 *   for the starved resource (disk: unused images are deleted first, and no pod goes when that was enough)
 *   ─▶ evict the first that is not critical (hard: 1 s grace; soft: the pod's)
 *
 * Evicting is the kubelet's: the pod is killed and ends `Failed` with reason `Evicted`, the message and a
 * `DisruptionTarget` condition (`TerminationByKubelet`). Under memory pressure BestEffort pods are refused at
 * admission (`admitUnderPressure`).
 *
 * Dead containers are not reclaimed here: the runtime manager keeps only the last dead instance of each.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import { Quantity, podQOSClass, parseQuantity } from '../../api/index.ts';
import { realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { isStaticPod } from '../config/index.ts';
import type { Manager } from '../manager.ts';
import {
  containerEphemeralStorageMessage,
  emptyDirMessage,
  evictionMessage,
  nodeConditionMessage,
  podEphemeralStorageMessage,
  rankPods,
  type ReclaimResource,
} from './rank.ts';
import type { Observations, PodStats, StatsProvider } from './stats.ts';
import { thresholdQuantity, type Signal, type Threshold } from './thresholds.ts';

export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

const conditionOf: Record<Signal, PressureCondition> = {
  'memory.available': 'MemoryPressure',
  'nodefs.available': 'DiskPressure',
  'nodefs.inodesFree': 'DiskPressure',
  'imagefs.available': 'DiskPressure',
  'imagefs.inodesFree': 'DiskPressure',
  'pid.available': 'PIDPressure',
};

const resourceOf: Record<Signal, ReclaimResource> = {
  'memory.available': 'memory',
  'nodefs.available': 'ephemeral-storage',
  'nodefs.inodesFree': 'ephemeral-storage',
  'imagefs.available': 'ephemeral-storage',
  'imagefs.inodesFree': 'ephemeral-storage',
  'pid.available': 'pids',
};

/** upstream's SystemCriticalPriority: pods at or above it are never evicted. */
const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

export interface Eviction {
  pod: IPod;
  message: string;
  gracePeriodSeconds: number;
}

export interface EvictionManagerConfig {
  thresholds: Threshold[];
  stats: StatsProvider;
  /** The pods that may still have running containers. */
  activePods: () => IPod[];
  /** Kills the pod and records it Failed/Evicted; resolves true when it was evicted. */
  evictPod: (e: Eviction) => Promise<boolean>;
  /**
   * Frees node-level resources for a disk signal before any pod is evicted (upstream reclaimNodeLevelResources:
   * unused images); the signals are observed again afterwards.
   */
  reclaimDisk?: () => Promise<void>;
  /** Called when the set of pressure conditions changed (the node status is written at once). */
  onConditionsChanged?: () => void;
  /** --eviction-pressure-transition-period (default 5 min). */
  pressureTransitionPeriodMs?: number;
  /** How often to synchronize (default 10 s, upstream's monitoring interval). */
  periodMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** upstream IsCriticalPod: static pods, mirror pods and system-critical priorities. */
const isCritical = (pod: IPod) =>
  (pod.spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY ||
  isStaticPod(pod) ||
  pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;

export class EvictionManager implements Manager {
  readonly name = 'eviction manager';
  readonly #c: EvictionManagerConfig;
  readonly #clock: Clock;
  /** Thresholds met at the last synchronize (they stay met until their minimum reclaim is back). */
  #met: Threshold[] = [];
  readonly #firstObservedAt = new Map<Threshold, number>();
  readonly #conditionLastObservedAt = new Map<PressureCondition, number>();
  #conditions: PressureCondition[] = [];
  #observations: Observations = {};

  constructor(config: EvictionManagerConfig) {
    this.#c = config;
    this.#clock = config.clock ?? realClock;
  }

  /** The node's pressure conditions now (MemoryPressure, DiskPressure, PIDPressure that are true). */
  conditions(): PressureCondition[] {
    return [...this.#conditions];
  }

  /** upstream's eviction admission: refuse BestEffort pods under memory pressure, every pod under other pressure. */
  admit(pod: IPod): { admit: true } | { admit: false; reason: 'Evicted'; message: string } {
    const conds = this.#conditions;
    if (conds.length === 0 || isCritical(pod)) return { admit: true };
    if (conds.length === 1 && conds[0] === 'MemoryPressure') {
      const tolerates = (pod.spec?.tolerations ?? []).some(
        (t) => (t.key === 'node.kubernetes.io/memory-pressure' || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoSchedule'),
      );
      if (podQOSClass(pod) !== 'BestEffort' || tolerates) return { admit: true };
    }
    return { admit: false, reason: 'Evicted', message: nodeConditionMessage(conds) };
  }

  async run(signal: AbortSignal): Promise<void> {
    if (this.#c.thresholds.length === 0) return;
    while (!signal.aborted) {
      try {
        await this.synchronize();
      } catch (err) {
        this.#c.logger?.warn({ err }, 'eviction manager: synchronize');
      }
      try {
        await this.#clock.sleep(this.#c.periodMs ?? 10_000, signal);
      } catch {
        return;
      }
    }
  }

  #metNow(thresholds: Threshold[], obs: Observations, withMinReclaim: boolean): Threshold[] {
    return thresholds.filter((t) => {
      const o = obs[t.signal];
      if (!o) return false;
      let q = thresholdQuantity(t.value, o.capacity);
      if (withMinReclaim && t.minReclaim) q += thresholdQuantity(t.minReclaim, o.capacity);
      return o.available < q;
    });
  }

  /** One round: observe, update conditions, evict at most one pod. Returns the pod evicted, if any. */
  async synchronize(): Promise<IPod | undefined> {
    const now = this.#clock.now();
    const obs = (this.#observations = await this.#c.stats.observe());
    const metNow = this.#metNow(this.#c.thresholds, obs, false);
    const stillMet = this.#metNow(this.#met, obs, true);
    const met = [...new Set([...metNow, ...stillMet])];
    for (const t of [...this.#firstObservedAt.keys()]) if (!met.includes(t)) this.#firstObservedAt.delete(t);
    for (const t of met) if (!this.#firstObservedAt.has(t)) this.#firstObservedAt.set(t, now);
    this.#met = met;

    for (const t of met) this.#conditionLastObservedAt.set(conditionOf[t.signal], now);
    const transition = this.#c.pressureTransitionPeriodMs ?? 300_000;
    const conditions = (['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const).filter((c) => {
      const at = this.#conditionLastObservedAt.get(c);
      return at !== undefined && now - at < transition;
    });
    const changed = conditions.join() !== this.#conditions.join();
    this.#conditions = conditions;
    if (changed) this.#c.onConditionsChanged?.();

    const pods = this.#c.activePods();
    const needStats = pods.some((p) => hasLocalStorageLimits(p)) || met.length > 0;
    if (!needStats) return undefined;
    const stats = await this.#c.stats.podStats(pods);

    const overLimit = await this.#localStorageEvictions(pods, stats);
    if (overLimit) return overLimit;

    const ready = met.filter((t) => now - (this.#firstObservedAt.get(t) ?? now) >= t.gracePeriodMs);
    if (ready.length === 0) return undefined;
    // Memory first, then disk, then pids (upstream sorts thresholds by their reclaim priority).
    const order: ReclaimResource[] = ['memory', 'ephemeral-storage', 'pids'];
    ready.sort((a, b) => order.indexOf(resourceOf[a.signal]) - order.indexOf(resourceOf[b.signal]));
    const t = ready[0]!;
    const resource = resourceOf[t.signal];
    let o = obs[t.signal]!;
    if (resource === 'ephemeral-storage' && this.#c.reclaimDisk) {
      await this.#c.reclaimDisk();
      const again = await this.#c.stats.observe();
      if (this.#metNow([t], again, true).length === 0) return undefined;
      o = again[t.signal] ?? o;
    }
    const candidates = rankPods(pods.filter((p) => !isCritical(p)), resource, (p) => stats.get(p.metadata?.uid ?? ''));
    for (const pod of candidates) {
      const grace = t.hard ? 1 : (pod.spec?.terminationGracePeriodSeconds ?? 30);
      const message = evictionMessage(
        pod,
        resource,
        { quantity: thresholdQuantity(t.value, o.capacity), available: o.available },
        stats.get(pod.metadata?.uid ?? ''),
      );
      if (await this.#c.evictPod({ pod, message, gracePeriodSeconds: grace })) return pod;
    }
    return undefined;
  }

  /** upstream localStorageEviction: emptyDir sizeLimit, then the pod's and each container's ephemeral-storage limits. */
  async #localStorageEvictions(pods: IPod[], stats: Map<string, PodStats>): Promise<IPod | undefined> {
    let evicted: IPod | undefined;
    for (const pod of pods) {
      const s = stats.get(pod.metadata?.uid ?? '');
      if (!s || isCritical(pod)) continue;
      const message = localStorageViolation(pod, s);
      if (message && (await this.#c.evictPod({ pod, message, gracePeriodSeconds: 1 }))) evicted ??= pod;
    }
    return evicted;
  }

  /** The last observations (for logs and tests). */
  get observations(): Observations {
    return this.#observations;
  }
}

function hasLocalStorageLimits(pod: IPod): boolean {
  return (
    (pod.spec?.volumes ?? []).some((v) => v.emptyDir?.sizeLimit !== undefined) ||
    (pod.spec?.containers ?? []).some((c) => c.resources?.limits?.['ephemeral-storage'] !== undefined)
  );
}

/** The message for a pod over one of its local storage limits, or undefined. */
export function localStorageViolation(pod: IPod, s: PodStats): string | undefined {
  for (const v of pod.spec?.volumes ?? []) {
    const limit = v.emptyDir?.sizeLimit as string | undefined;
    if (limit === undefined) continue;
    const q = parseQuantity(limit);
    const used = s.volumes.find((u) => u.name === v.name)?.usedBytes;
    if (q.value() > 0 && used !== undefined && used > q.value()) return emptyDirMessage(v.name, q.toString());
  }
  const limits = (pod.spec?.containers ?? []).map((c) => c.resources?.limits?.['ephemeral-storage'] as string | undefined);
  if (limits.some((l) => l !== undefined)) {
    const total = limits.reduce((sum, l) => sum + (l === undefined ? 0 : parseQuantity(l).value()), 0);
    if (s.ephemeralBytes > total) return podEphemeralStorageMessage(Quantity.fromValue(total, 'BinarySI').toString());
  }
  for (const c of pod.spec?.containers ?? []) {
    const l = c.resources?.limits?.['ephemeral-storage'] as string | undefined;
    const used = s.containers.find((x) => x.name === c.name)?.ephemeralBytes;
    if (l !== undefined && used !== undefined && used > parseQuantity(l).value()) return containerEphemeralStorageMessage(c.name, parseQuantity(l).toString());
  }
  return undefined;
}
