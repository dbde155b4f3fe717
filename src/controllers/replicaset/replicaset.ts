/**
 * The ReplicaSet controller: keeps `spec.replicas` pods of the template running for each ReplicaSet, as
 * kube-controller-manager's does. Pods belong to a ReplicaSet through their controller ownerReference;
 * orphans matching its selector are adopted. Expectations (how many creates and which deletes are still to
 * be seen in the pod informer) stop a reconcile from acting twice on a change it made itself.
 *
 *   reconcile(ns/name): pods owned (and adopted) ─▶ active = not terminal, not deleting
 *     expectations met? diff = active − replicas: create (generateName rs-) or delete the least valuable
 *     ─▶ status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration
 *
 * The same controller keeps ReplicationControllers (core/v1), as upstream's ReplicationManager wraps the
 * ReplicaSet controller: `kind` says which objects it reads (their plural, owner references, and how their
 * selector is spelled: a LabelSelector or a plain label map).
 */
import { labelSelectorFromObject, type LabelSelector, type OwnerReference, type Pod, type ReplicaSet, type ReplicaSetStatus } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { PodExpectations, watchOwnedPods } from '../pod-expectations.ts';
import { Controller, type ReconcileResult } from '../controller.ts';

/** What differs between the kinds this controller keeps. */
export interface ReplicatedKind {
  kind: 'ReplicaSet' | 'ReplicationController';
  apiVersion: string;
  plural: string;
  /** Logs, the event source and the work queue: `replicaset-controller`. */
  controllerName: string;
  selector(obj: ReplicaSet): LabelSelector | undefined;
}

export const REPLICA_SET_KIND: ReplicatedKind = {
  kind: 'ReplicaSet', apiVersion: 'apps/v1', plural: 'replicasets', controllerName: 'replicaset-controller',
  selector: (rs) => rs.spec?.selector,
};

export interface ReplicaSetControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  /** The kind kept (default ReplicaSets). */
  kind?: ReplicatedKind;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Creates per reconcile at most this many pods (kube-controller-manager's burstReplicas). */
const BURST_REPLICAS = 500;

export function controllerRef(obj: KubeObjectLike): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

const isActive = (p: Pod) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
/** When the pod's Ready condition last turned True (ms), or NaN when it carries no time. */
const readySince = (p: Pod) => Date.parse(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
/** Upstream's IsPodAvailable: ready for longer than minReadySeconds (a Ready condition without a time never is). */
export const isAvailable = (p: Pod, minReadyMs: number, now: number) => isReady(p) && (minReadyMs === 0 || readySince(p) + minReadyMs < now);

/** Pods least worth keeping first (upstream's ActivePods ordering, simplified). */
export function deletionOrder(a: Pod, b: Pod): number {
  const phaseRank = (p: Pod) => ({ Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>)[p.status?.phase ?? 'Pending'] ?? 0;
  const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const keys = (p: Pod) => [p.spec?.nodeName ? 1 : 0, phaseRank(p), isReady(p) ? 1 : 0, -restarts(p)];
  const ka = keys(a);
  const kb = keys(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  // Newer pods go first.
  return (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '');
}

export class ReplicaSetController {
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #expectations: PodExpectations;
  readonly #kind: ReplicatedKind;

  constructor(config: ReplicaSetControllerConfig) {
    this.#client = config.client;
    this.#kind = config.kind ?? REPLICA_SET_KIND;
    this.#clock = config.clock ?? realClock;
    this.#expectations = new PodExpectations(this.#clock);
    this.#log = config.logger ?? createLogger(this.#kind.controllerName);
    this.#recorder = new EventRecorder(config.client, { component: this.#kind.controllerName, clock: this.#clock, logger: this.#log });
    this.replicaSets = informerOf(config.informers, config.client.resource<ReplicaSet>(this.#kind.plural), { clock: this.#clock, logger: this.#log });
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), { clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: this.#kind.controllerName,
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.replicaSets, this.pods] as Informer<KubeObjectLike>[],
      workers: config.workers ?? 2,
      clock: this.#clock,
      logger: this.#log,
    });
    this.#wire();
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  #wire(): void {
    const enqueueRs = (rs: ReplicaSet) => this.controller.enqueue(objectKey(rs));
    this.replicaSets.onAdd(enqueueRs).onUpdate((_o, rs) => enqueueRs(rs)).onDelete((rs) => {
      this.#expectations.forget(objectKey(rs));
      enqueueRs(rs);
    });
    const ownerKey = (pod: Pod) => {
      const ref = controllerRef(pod);
      return ref?.kind === this.#kind.kind ? `${pod.metadata?.namespace}/${ref.name}` : undefined;
    };
    // Orphans may be adopted by any set in their namespace whose selector matches.
    const enqueueMatching = (pod: Pod) => {
      for (const rs of this.replicaSets.list()) {
        if (rs.metadata?.namespace !== pod.metadata?.namespace) continue;
        if (this.#selects(rs, pod)) enqueueRs(rs);
      }
    };
    watchOwnedPods(this.pods, this.#expectations, { ownerKey, enqueue: (key) => this.controller.enqueue(key), enqueueMatching });
  }

  #selects(rs: ReplicaSet, pod: Pod): boolean {
    try {
      return labelSelectorFromObject(this.#kind.selector(rs)).matches(pod.metadata?.labels);
    } catch {
      return false;
    }
  }

  /** One pass for one ReplicaSet (public for tests). Safe to call at any time. */
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const rs = this.replicaSets.get(key);
    if (!rs || rs.metadata?.deletionTimestamp) {
      this.#expectations.forget(key);
      return;
    }
    const ns = rs.metadata!.namespace!;
    const uid = rs.metadata!.uid;
    const pods: Pod[] = [];
    for (const pod of this.pods.list()) {
      if (pod.metadata?.namespace !== ns) continue;
      const ref = controllerRef(pod);
      if (ref) {
        if (ref.uid === uid) pods.push(pod);
      } else if (isActive(pod) && this.#selects(rs, pod)) {
        const adopted = await this.#adopt(rs, pod, signal);
        if (adopted) pods.push(adopted);
      }
    }
    const active = pods.filter(isActive);
    if (this.#expectations.satisfied(key)) await this.#manageReplicas(key, rs, active, signal);
    await this.#updateStatus(rs, active, signal);
    // A ready pod not yet available: come back when its minReadySeconds have passed.
    const minReadyMs = (rs.spec?.minReadySeconds ?? 0) * 1000;
    const now = this.#clock.now();
    const waits = active.filter((p) => isReady(p) && !isAvailable(p, minReadyMs, now)).map((p) => readySince(p) + minReadyMs - now).filter((ms) => !Number.isNaN(ms));
    if (waits.length > 0) return { requeueAfterMs: Math.max(1, Math.min(...waits)) + 1000 };
  }

  async #adopt(rs: ReplicaSet, pod: Pod, signal: AbortSignal): Promise<Pod | undefined> {
    const ref = this.#ownerRef(rs);
    try {
      return await this.#client.resource<Pod>('pods', pod.metadata!.namespace).patch(
        pod.metadata!.name!,
        { metadata: { ownerReferences: [...(pod.metadata?.ownerReferences ?? []), ref], uid: pod.metadata?.uid } },
        'merge',
        { signal },
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  #ownerRef(rs: ReplicaSet): OwnerReference {
    return { apiVersion: this.#kind.apiVersion, kind: this.#kind.kind, name: rs.metadata!.name!, uid: rs.metadata!.uid!, controller: true, blockOwnerDeletion: true };
  }

  async #manageReplicas(key: string, rs: ReplicaSet, active: Pod[], signal: AbortSignal): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = active.length - want;
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      this.#expectations.expect(key, n);
      const template = rs.spec?.template ?? {};
      const pods = this.#client.resource<Pod>('pods', rs.metadata!.namespace);
      const results = await Promise.allSettled(
        Array.from({ length: n }, () =>
          pods.create(
            {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: {
                generateName: `${rs.metadata!.name}-`,
                namespace: rs.metadata!.namespace,
                labels: template.metadata?.labels,
                annotations: template.metadata?.annotations,
                ownerReferences: [this.#ownerRef(rs)],
              },
              spec: template.spec!,
            },
            { signal },
          ),
        ),
      );
      let failed: unknown;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          this.#recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
        } else {
          // That create will never be observed.
          this.#expectations.createObserved(key);
          failed ??= r.reason;
          this.#recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(r.reason as Error).message}`);
        }
      }
      if (failed) throw failed;
    } else if (diff > 0) {
      const victims = [...active].sort(deletionOrder).slice(0, Math.min(diff, BURST_REPLICAS));
      this.#expectations.expect(key, 0, victims.map((p) => p.metadata!.uid!));
      const pods = this.#client.resource<Pod>('pods', rs.metadata!.namespace);
      const results = await Promise.allSettled(victims.map((p) => pods.delete(p.metadata!.name!, { signal })));
      let failed: unknown;
      results.forEach((r, i) => {
        const victim = victims[i]!;
        if (r.status === 'fulfilled') this.#recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${victim.metadata?.name}`);
        else {
          this.#expectations.deleteObserved(key, victim.metadata!.uid!);
          if (isNotFound(r.reason)) return;
          failed ??= r.reason;
          this.#recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(r.reason as Error).message}`);
        }
      });
      if (failed) throw failed;
    }
  }

  async #updateStatus(rs: ReplicaSet, active: Pod[], signal: AbortSignal): Promise<void> {
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const fullyLabeled = active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v)).length;
    const ready = active.filter(isReady).length;
    const next = {
      replicas: active.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: active.filter((p) => isAvailable(p, (rs.spec?.minReadySeconds ?? 0) * 1000, this.#clock.now())).length,
      observedGeneration: rs.metadata?.generation ?? 1,
    };
    const cur: Partial<ReplicaSetStatus> = rs.status ?? {};
    if (
      cur.replicas === next.replicas && (cur.fullyLabeledReplicas ?? 0) === next.fullyLabeledReplicas &&
      (cur.readyReplicas ?? 0) === next.readyReplicas && (cur.availableReplicas ?? 0) === next.availableReplicas &&
      cur.observedGeneration === next.observedGeneration
    ) return;
    try {
      await this.#client.resource<ReplicaSet>(this.#kind.plural, rs.metadata!.namespace).patchStatus(rs.metadata!.name!, { status: next }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
