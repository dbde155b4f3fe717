/**
 * The pod garbage collector (kube-controller-manager's pod-garbage-collector). Every 20 s (gcCheckPeriod) it
 * force-deletes (grace period 0) the pods decisions.ts picks: terminated pods over the threshold, terminating
 * pods on out-of-service nodes, unscheduled terminating pods, and pods whose node is gone. A missing node is
 * first quarantined for 40 s and then looked up on the API server itself (not the cache), so a node the
 * informer has not seen yet does not cost its pods. A pod not yet in a terminal phase is first patched to
 * `Failed` (with a `DisruptionTarget` condition, reason `DeletionByPodGC`, for orphans) so its owner sees
 * why it went.
 */
import type { Node, Pod, PodCondition } from '../../api/index.ts';
import { Informer, informerOf, isNotFound, type Client, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { isTerminated, missingNodes, terminatedToDelete, terminatingOnOutOfServiceNodes, unscheduledTerminating } from './decisions.ts';

export interface PodGCControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
  /** --terminated-pod-gc-threshold (default 12500; 0 turns that part off). */
  terminatedPodThreshold?: number;
  /** How often to collect (upstream's gcCheckPeriod, 20 s). */
  periodMs?: number;
  /** How long a node must stay missing before its pods go (upstream's quarantineTime, 40 s). */
  quarantineMs?: number;
}

export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12500;

export class PodGCController {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #threshold: number;
  readonly #periodMs: number;
  readonly #quarantineMs: number;
  /** Node name → when it was first seen missing. */
  readonly #missingSince = new Map<string, number>();

  constructor(config: PodGCControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('pod-garbage-collector');
    this.#threshold = config.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    if (!(this.#threshold >= 0)) throw new Error('podgc: terminatedPodThreshold must be >= 0');
    this.#periodMs = config.periodMs ?? 20_000;
    this.#quarantineMs = config.quarantineMs ?? 40_000;
    const opts = { clock: this.#clock, logger: this.#log };
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.nodes = informerOf(config.informers, config.client.resource<Node>('nodes'), opts);
  }

  async run(signal: AbortSignal): Promise<void> {
    const informers = [this.pods.run(signal), this.nodes.run(signal)];
    try {
      await Promise.all([this.pods.synced, this.nodes.synced]);
      while (!signal.aborted) {
        await this.gc(signal).catch((err) => {
          if (!signal.aborted) this.#log.warn({ err: (err as Error).message }, 'pod gc pass failed');
        });
        await this.#clock.sleep(this.#periodMs, signal).catch(() => {});
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      await Promise.allSettled(informers);
    }
  }

  /** One collection pass (public for tests). */
  async gc(signal?: AbortSignal): Promise<void> {
    const pods = this.pods.list();
    const nodes = this.nodes.list();
    for (const p of terminatedToDelete(pods, this.#threshold)) await this.#markFailedAndDelete(p, undefined, signal);
    for (const p of terminatingOnOutOfServiceNodes(pods, nodes)) await this.#markFailedAndDelete(p, undefined, signal);
    await this.#gcOrphaned(pods, nodes, signal);
    for (const p of unscheduledTerminating(pods)) await this.#markFailedAndDelete(p, undefined, signal);
  }

  async #gcOrphaned(pods: Pod[], nodes: Node[], signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    const missing = missingNodes(pods, nodes);
    for (const name of [...this.#missingSince.keys()]) if (!missing.has(name)) this.#missingSince.delete(name);
    const gone = new Set<string>();
    for (const name of missing) {
      const since = this.#missingSince.get(name);
      if (since === undefined) {
        this.#missingSince.set(name, now);
        continue;
      }
      if (now - since < this.#quarantineMs) continue;
      try {
        await this.#client.resource<Node>('nodes').get(name, { signal });
        this.#missingSince.delete(name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        gone.add(name);
      }
    }
    const condition: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
    for (const p of pods) {
      if (!p.spec?.nodeName || !gone.has(p.spec.nodeName)) continue;
      this.#log.info({ pod: `${p.metadata!.namespace}/${p.metadata!.name}`, node: p.spec.nodeName }, 'Found orphaned Pod assigned to the Node, deleting');
      await this.#markFailedAndDelete(p, condition, signal);
    }
  }

  async #markFailedAndDelete(pod: Pod, condition: PodCondition | undefined, signal?: AbortSignal): Promise<void> {
    const pods = this.#client.resource<Pod>('pods', pod.metadata!.namespace);
    const name = pod.metadata!.name!;
    try {
      if (!isTerminated(pod)) {
        const conditions = [...(pod.status?.conditions ?? [])];
        if (condition) {
          const stamped = { ...condition, lastTransitionTime: new Date(Math.floor(this.#clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z') };
          const i = conditions.findIndex((c) => c.type === condition.type);
          if (i >= 0) conditions[i] = stamped;
          else conditions.push(stamped);
        }
        await pods.patchStatus(name, { status: { phase: 'Failed', conditions } }, 'merge', { signal });
      }
      await pods.delete(name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid }, signal });
      this.#log.info({ pod: `${pod.metadata!.namespace}/${name}` }, 'PodGC is force deleting Pod');
    } catch (err) {
      if (!isNotFound(err)) this.#log.warn({ pod: `${pod.metadata!.namespace}/${name}`, err: (err as Error).message }, 'pod gc cannot delete pod');
    }
  }
}
