/**
 * Dead-container garbage collection (upstream pkg/kubelet/kuberuntime/kuberuntime_gc.go, run every minute by
 * the kubelet's StartGarbageCollection, and by the eviction manager under disk pressure):
 *
 *   1. evictable: every container not running and created at least `--minimum-container-ttl-duration` ago
 *      (default 0), grouped by (pod uid, container name), newest first;
 *   2. once the pod sources are ready, every evictable container of a pod whose content should be removed
 *      (deleted or evicted, or unknown to the kubelet) goes; with `evictNonDeletedPods` (disk pressure) also
 *      those of pods whose containers are all stopped for good;
 *   3. `--maximum-dead-containers-per-container` (default 1; negative: no limit): each group keeps its newest N;
 *   4. `--maximum-dead-containers` (default -1: no limit): while more remain, each group keeps an equal share
 *      (at least one), then the oldest go across groups until the total fits.
 *
 * A container whose state is unknown is stopped before it is removed. Running containers are never touched,
 * and with the default policy the newest dead instance of each container stays, which is what `kubectl logs
 * --previous` and the pod's lastState read. Sandboxes and log directories of gone pods are removed by the
 * pod's own teardown and by housekeeping, not here.
 */
import type { Container, RuntimeService } from '../../runtime/runtime.ts';
import { realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from './runtime-pod.ts';

export interface ContainerGCPolicy {
  /** `--minimum-container-ttl-duration` in ms (default 0). */
  minAgeMs: number;
  /** `--maximum-dead-containers-per-container` (default 1; < 0: no limit). */
  maxPerPodContainer: number;
  /** `--maximum-dead-containers` (default -1: no limit). */
  maxContainers: number;
}

export const DEFAULT_CONTAINER_GC_POLICY: ContainerGCPolicy = { minAgeMs: 0, maxPerPodContainer: 1, maxContainers: -1 };

/** What the pod workers know of a pod (upstream's podStateProvider). */
export interface PodStateProvider {
  /** Deleted (or evicted) and done, or unknown: nothing of it needs keeping. */
  shouldPodContentBeRemoved(uid: string): boolean;
  /** Its containers are stopped for good (terminated), whether or not the pod is deleted. */
  shouldPodRuntimeBeRemoved(uid: string): boolean;
}

export interface ContainerGCConfig {
  runtime: Pick<RuntimeService, 'listContainers' | 'removeContainer' | 'stopContainer'>;
  pods: PodStateProvider;
  policy?: ContainerGCPolicy;
  clock?: Clock;
  logger?: Logger;
}

interface GCInfo {
  id: string;
  createdAt: number;
  unknown: boolean;
}

/** Checks the policy as the kubelet's flag parsing does. */
export function validateContainerGCPolicy(p: ContainerGCPolicy): void {
  if (p.minAgeMs < 0) throw new Error(`invalid minimum GC age ${p.minAgeMs}`);
}

export class ContainerGC {
  readonly #c: ContainerGCConfig;
  readonly #policy: ContainerGCPolicy;
  readonly #clock: Clock;

  constructor(config: ContainerGCConfig) {
    this.#c = config;
    this.#policy = config.policy ?? DEFAULT_CONTAINER_GC_POLICY;
    validateContainerGCPolicy(this.#policy);
    this.#clock = config.clock ?? realClock;
  }

  get policy(): ContainerGCPolicy {
    return this.#policy;
  }

  /** One collection; resolves with the ids removed. Failures to remove one container are logged and skipped. */
  async garbageCollect(allSourcesReady: boolean, evictNonDeletedPods = false): Promise<string[]> {
    const removed: string[] = [];
    const units = await this.#evictableContainers();
    const p = this.#policy;
    if (allSourcesReady) {
      for (const [key, unit] of units) {
        const uid = unit.uid;
        if (this.#c.pods.shouldPodContentBeRemoved(uid) || (evictNonDeletedPods && this.#c.pods.shouldPodRuntimeBeRemoved(uid))) {
          await this.#removeOldestN(unit.containers, unit.containers.length, removed);
          units.delete(key);
        }
      }
    }
    if (p.maxPerPodContainer >= 0) await this.#enforcePerUnit(units, p.maxPerPodContainer, removed);
    if (p.maxContainers >= 0 && count(units) > p.maxContainers) {
      await this.#enforcePerUnit(units, Math.max(1, Math.floor(p.maxContainers / units.size)), removed);
      const total = count(units);
      if (total > p.maxContainers) {
        const all = [...units.values()].flatMap((u) => u.containers);
        await this.#removeOldestN(all, total - p.maxContainers, removed);
      }
    }
    return removed;
  }

  async #evictableContainers(): Promise<Map<string, { uid: string; containers: GCInfo[] }>> {
    const newest = this.#clock.now() - this.#policy.minAgeMs;
    const units = new Map<string, { uid: string; containers: GCInfo[] }>();
    for (const c of await this.#c.runtime.listContainers()) {
      if (c.state === 'CONTAINER_RUNNING' || c.createdAt > newest) continue;
      const uid = c.labels[LABEL_POD_UID];
      // Not a kubelet's container (no pod labels): not ours to collect.
      if (uid === undefined) continue;
      const name = c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name;
      const key = `${uid}/${name}`;
      let unit = units.get(key);
      if (!unit) units.set(key, (unit = { uid, containers: [] }));
      unit.containers.push(info(c));
    }
    return units;
  }

  async #enforcePerUnit(units: Map<string, { containers: GCInfo[] }>, max: number, removed: string[]): Promise<void> {
    for (const unit of units.values()) {
      const extra = unit.containers.length - max;
      if (extra > 0) unit.containers = await this.#removeOldestN(unit.containers, extra, removed);
    }
  }

  /** Removes the `n` oldest of `containers`; returns the ones kept (newest first). */
  async #removeOldestN(containers: GCInfo[], n: number, removed: string[]): Promise<GCInfo[]> {
    const sorted = [...containers].sort((a, b) => b.createdAt - a.createdAt);
    const keep = Math.max(0, sorted.length - n);
    for (let i = sorted.length - 1; i >= keep; i--) {
      const c = sorted[i]!;
      try {
        // An unknown container may still be running: stop it first (upstream kills it with reason Unknown).
        if (c.unknown) await this.#c.runtime.stopContainer(c.id, 0);
        await this.#c.runtime.removeContainer(c.id);
        removed.push(c.id);
      } catch (err) {
        this.#c.logger?.warn({ err, container: c.id }, 'failed to remove dead container');
      }
    }
    return sorted.slice(0, keep);
  }
}

function info(c: Container): GCInfo {
  return { id: c.id, createdAt: c.createdAt, unknown: c.state === 'CONTAINER_UNKNOWN' };
}

function count(units: Map<string, { containers: GCInfo[] }>): number {
  let n = 0;
  for (const u of units.values()) n += u.containers.length;
  return n;
}
