/**
 * The taint manager (kube-controller-manager's taint-eviction-controller): pods on a node with NoExecute
 * taints they do not tolerate are deleted at once; pods that tolerate them for `tolerationSeconds` are
 * deleted when the shortest such time runs out, unless the taints go first. Before each deletion it records
 * a `TaintManagerEviction` event ("Marking for deletion Pod ns/name") and sets the pod's `DisruptionTarget`
 * condition (reason `DeletionByTaintManager`). Each pod is one key of the reconcile harness; a pending
 * eviction is a requeue at its time, remembered here so later node updates do not push it back.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Node, Pod, PodCondition } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller, type ReconcileResult } from '../controller.ts';
import { evictionDecision, noExecuteTaints, type ScheduledEviction } from './tolerations.ts';

export interface TaintEvictionControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

export const DISRUPTION_REASON = 'DeletionByTaintManager';
export const DISRUPTION_MESSAGE = 'Taint manager: deleting due to NoExecute taint';

export class TaintEvictionController {
  readonly nodes: Informer<Node>;
  readonly pods: Informer<Pod>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: EventRecorder;
  readonly #scheduled = new Map<string, ScheduledEviction>();

  constructor(config: TaintEvictionControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('taint-eviction-controller');
    const opts = { clock: this.#clock, logger: this.#log };
    this.nodes = informerOf(config.informers, config.client.resource<Node>('nodes'), opts);
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.#events = new EventRecorder(config.client, { component: 'taint-eviction-controller', clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: 'taint-eviction-controller',
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.nodes, this.pods] as Informer<KubeObjectLike>[],
      clock: this.#clock,
      logger: this.#log,
    });
    const enqueuePod = (p: Pod) => this.controller.enqueue(objectKey(p));
    this.pods.onAdd(enqueuePod).onDelete(enqueuePod).onUpdate((o, p) => {
      if (o.spec?.nodeName !== p.spec?.nodeName || !isDeepStrictEqual(o.spec?.tolerations, p.spec?.tolerations) || !o.metadata?.deletionTimestamp !== !p.metadata?.deletionTimestamp) enqueuePod(p);
    });
    const enqueueNode = (n: Node) => {
      for (const p of this.pods.list()) if (p.spec?.nodeName === n.metadata?.name) enqueuePod(p);
    };
    this.nodes.onAdd(enqueueNode).onDelete(enqueueNode).onUpdate((o, n) => {
      if (!isDeepStrictEqual(noExecuteTaints(o.spec?.taints), noExecuteTaints(n.spec?.taints))) enqueueNode(n);
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.controller.run(signal);
    } finally {
      this.#events.close();
    }
  }

  /** The eviction pending for a pod, if any (for tests). */
  scheduled(key: string): ScheduledEviction | undefined {
    return this.#scheduled.get(key);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const pod = this.pods.get(key);
    const nodeName = pod?.spec?.nodeName;
    const node = nodeName ? this.nodes.get(nodeName) : undefined;
    const scheduled = this.#scheduled.get(key);
    // A pod already terminating needs no second deletion; its eviction is as good as done.
    if (!pod || !node || pod.metadata?.deletionTimestamp) {
      this.#scheduled.delete(key);
      return;
    }
    const now = this.#clock.now();
    const decision = evictionDecision(noExecuteTaints(node.spec?.taints), pod.spec?.tolerations ?? [], scheduled, now);
    if (decision.kind === 'cancel') {
      if (scheduled) {
        this.#scheduled.delete(key);
        this.#events.event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
      }
      return;
    }
    const next = { createdAt: decision.createdAt, fireAt: decision.fireAt };
    this.#scheduled.set(key, next);
    if (now < next.fireAt) return { requeueAfterMs: next.fireAt - now };
    this.#events.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    await this.#addConditionAndDelete(pod, signal);
    this.#scheduled.delete(key);
    this.#log.info({ pod: key, node: nodeName }, 'pod evicted by NoExecute taint');
  }

  async #addConditionAndDelete(pod: Pod, signal: AbortSignal): Promise<void> {
    const pods = this.#client.resource<Pod>('pods', pod.metadata!.namespace);
    const condition: PodCondition = {
      type: 'DisruptionTarget', status: 'True', reason: DISRUPTION_REASON, message: DISRUPTION_MESSAGE,
      lastTransitionTime: new Date(Math.floor(this.#clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    };
    const conditions = pod.status?.conditions ?? [];
    const existing = conditions.find((c) => c.type === 'DisruptionTarget');
    try {
      if (!existing || existing.status !== 'True' || existing.reason !== DISRUPTION_REASON) {
        const next = existing ? conditions.map((c) => (c.type === 'DisruptionTarget' ? condition : c)) : [...conditions, condition];
        await pods.patchStatus(pod.metadata!.name!, { status: { conditions: next } }, 'merge', { signal });
      }
      await pods.delete(pod.metadata!.name!, { signal, preconditions: { uid: pod.metadata!.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
