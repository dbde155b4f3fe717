/**
 * The DaemonSet controller (kube-controller-manager's pkg/controller/daemon): one pod of the template on
 * every node that should run it, following nodes as they join, change and leave; the template's history
 * as ControllerRevisions; RollingUpdate (maxUnavailable, maxSurge) and OnDelete updates; the status kubectl
 * prints and `kubectl rollout status` waits on. Pods are created with a required node affinity on the
 * node's name and left to the scheduler to bind. Expectations (creates and deletes not yet seen by the pod
 * informer) keep a reconcile from acting twice on its own changes.
 *
 *   reconcile(ns/name): current revision (history.ts) ─▶ daemon pods by node (owned, orphans adopted)
 *     ─▶ fit per node (node-fit.ts) ─▶ expectations met? managePods, else rollingUpdate (decisions.ts)
 *     ─▶ create / delete ─▶ prune history ─▶ status
 */
import {
  labelSelectorFromObject, type ControllerRevision, type DaemonSet, type DaemonSetStatus, type Node, type Pod,
} from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isAlreadyExists, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { PodExpectations, watchOwnedPods } from '../pod-expectations.ts';
import { Controller, type ReconcileResult } from '../controller.ts';
import { controllerRef } from '../replicaset/replicaset.ts';
import { CONTROLLER_REVISION_HASH, daemonSetOwnerRef, newDaemonPod, targetNodeName } from './daemon-pod.ts';
import { isUpdated, managePods, rollingUpdate, surgeAndUnavailable, type Actions, type NodePods } from './decisions.ts';
import { newRevision, revisionData, revisionsToPrune, sameJson, templateHash } from './history.ts';
import { nodeShouldRunDaemonPod } from './node-fit.ts';

export interface DaemonSetControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Creates per reconcile at most this many pods (upstream's BurstReplicas). */
const BURST_REPLICAS = 250;

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export class DaemonSetController {
  readonly daemonSets: Informer<DaemonSet>;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly revisions: Informer<ControllerRevision>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #expectations: PodExpectations;

  constructor(config: DaemonSetControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#expectations = new PodExpectations(this.#clock);
    this.#log = config.logger ?? createLogger('daemonset-controller');
    this.#recorder = new EventRecorder(config.client, { component: 'daemonset-controller', clock: this.#clock, logger: this.#log });
    const informer = <T extends KubeObjectLike>(plural: string) => informerOf(config.informers, config.client.resource<T>(plural), { clock: this.#clock, logger: this.#log });
    this.daemonSets = informer<DaemonSet>('daemonsets');
    this.pods = informer<Pod>('pods');
    this.nodes = informer<Node>('nodes');
    this.revisions = informer<ControllerRevision>('controllerrevisions');
    this.controller = new Controller({
      name: 'daemonset-controller',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.daemonSets, this.pods, this.nodes, this.revisions] as Informer<KubeObjectLike>[],
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
    const enqueueDs = (ds: DaemonSet) => this.controller.enqueue(objectKey(ds));
    const enqueueAll = () => {
      for (const ds of this.daemonSets.list()) enqueueDs(ds);
    };
    this.daemonSets.onAdd(enqueueDs).onUpdate((_o, ds) => enqueueDs(ds)).onDelete((ds) => {
      this.#expectations.forget(objectKey(ds));
      enqueueDs(ds);
    });
    // Heartbeats change a node's status every few seconds; only what decides fit matters here.
    const fitChanged = (a: Node, b: Node) =>
      JSON.stringify([a.metadata?.labels, a.spec?.taints, a.spec?.unschedulable]) !== JSON.stringify([b.metadata?.labels, b.spec?.taints, b.spec?.unschedulable]);
    this.nodes.onAdd(enqueueAll).onUpdate((old, node) => {
      if (fitChanged(old, node)) enqueueAll();
    }).onDelete(enqueueAll);
    const ownerKey = (obj: KubeObjectLike) => {
      const ref = controllerRef(obj);
      return ref?.kind === 'DaemonSet' ? `${obj.metadata?.namespace}/${ref.name}` : undefined;
    };
    const enqueueMatching = (pod: Pod) => {
      for (const ds of this.daemonSets.list()) {
        if (ds.metadata?.namespace === pod.metadata?.namespace && this.#selects(ds, pod)) enqueueDs(ds);
      }
    };
    watchOwnedPods(this.pods, this.#expectations, { ownerKey, enqueue: (key) => this.controller.enqueue(key), enqueueMatching });
    this.revisions.onDelete((cr) => {
      const key = ownerKey(cr);
      if (key) this.controller.enqueue(key);
    });
  }

  #selects(ds: DaemonSet, pod: Pod): boolean {
    try {
      return labelSelectorFromObject(ds.spec?.selector).matches(pod.metadata?.labels);
    } catch {
      return false;
    }
  }

  /** Ready for at least minReadySeconds; `wait` learns the shortest time until a ready pod becomes available. */
  #available(ds: DaemonSet, wait: { ms?: number }): (p: Pod) => boolean {
    const minReady = (ds.spec?.minReadySeconds ?? 0) * 1000;
    const now = this.#clock.now();
    return (p) => {
      if (!isReady(p)) return false;
      if (minReady === 0) return true;
      const since = Date.parse(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
      const left = Number.isNaN(since) ? 0 : since + minReady - now;
      if (left <= 0) return true;
      wait.ms = Math.min(wait.ms ?? left, left);
      return false;
    };
  }

  /** One pass for one DaemonSet (public for tests). Safe to call at any time. */
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const ds = this.daemonSets.get(key);
    if (!ds || ds.metadata?.deletionTimestamp) {
      this.#expectations.forget(key);
      return;
    }
    const ns = ds.metadata!.namespace!;
    const uid = ds.metadata!.uid;
    const revisions = this.revisions.list().filter((r) => r.metadata?.namespace === ns && controllerRef(r)?.uid === uid);
    const hash = await this.#currentRevision(ds, revisions, signal);
    if (!hash) return;

    const byNode = new Map<string, Pod[]>();
    for (const pod of this.pods.list()) {
      if (pod.metadata?.namespace !== ns) continue;
      const ref = controllerRef(pod);
      let owned: Pod | undefined;
      if (ref) owned = ref.uid === uid ? pod : undefined;
      else if (!pod.metadata?.deletionTimestamp && this.#selects(ds, pod)) owned = await this.#adopt(ds, pod, signal);
      const node = owned && !owned.metadata?.deletionTimestamp ? targetNodeName(owned) : undefined;
      if (node) byNode.set(node, [...(byNode.get(node) ?? []), owned!]);
    }
    const probe = newDaemonPod(ds, hash);
    const nodes: NodePods[] = this.nodes.list().map((node) => ({
      node: node.metadata!.name!,
      fit: nodeShouldRunDaemonPod(probe, node),
      pods: byNode.get(node.metadata!.name!) ?? [],
    }));
    const wait: { ms?: number } = {};
    const available = this.#available(ds, wait);

    if (this.#expectations.satisfied(key)) {
      const strategy = ds.spec?.updateStrategy;
      const desired = nodes.filter((n) => n.fit.shouldRun).length;
      const limits = surgeAndUnavailable(strategy?.rollingUpdate?.maxSurge, strategy?.rollingUpdate?.maxUnavailable, desired);
      const rolling = strategy?.type !== 'OnDelete';
      let actions = managePods(nodes, hash, rolling && limits.maxSurge > 0, available);
      if (actions.create.length === 0 && actions.delete.length === 0 && rolling) {
        actions = rollingUpdate(nodes, hash, limits.maxUnavailable, limits.maxSurge, available);
      }
      await this.#sync(key, ds, hash, actions, signal);
      const live = new Set([...byNode.values()].flat().map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH] ?? ''));
      await this.#pruneHistory(ds, revisions, hash, live, signal);
    }
    await this.#updateStatus(ds, nodes, hash, available, signal);
    return wait.ms !== undefined ? { requeueAfterMs: wait.ms } : undefined;
  }

  /** The current template's revision, created or renumbered as the newest; its hash labels the pods. */
  async #currentRevision(ds: DaemonSet, owned: ControllerRevision[], signal: AbortSignal): Promise<string | undefined> {
    const data = revisionData(ds);
    const max = owned.reduce((m, r) => Math.max(m, r.revision), 0);
    const revisions = this.#client.resource<ControllerRevision>('controllerrevisions', ds.metadata!.namespace);
    const equal = owned.filter((r) => sameJson(r.data, data)).sort((a, b) => b.revision - a.revision)[0];
    if (equal) {
      if (equal.revision < max) await revisions.patch(equal.metadata!.name!, { revision: max + 1 }, 'merge', { signal });
      return equal.metadata?.labels?.[CONTROLLER_REVISION_HASH] ?? templateHash(ds.spec?.template, ds.status?.collisionCount ?? 0);
    }
    const hash = templateHash(ds.spec?.template, ds.status?.collisionCount ?? 0);
    try {
      await revisions.create(newRevision(ds, hash, max + 1), { signal });
      return hash;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const existing = await revisions.get(`${ds.metadata!.name}-${hash}`, { signal });
    if (controllerRef(existing)?.uid === ds.metadata?.uid && sameJson(existing.data, data)) return hash;
    // A different revision holds the name: count the collision, which changes the hash on the next pass.
    await this.#client.resource<DaemonSet>('daemonsets', ds.metadata!.namespace)
      .patchStatus(ds.metadata!.name!, { status: { collisionCount: (ds.status?.collisionCount ?? 0) + 1 } }, 'merge', { signal });
    return undefined;
  }

  async #adopt(ds: DaemonSet, pod: Pod, signal: AbortSignal): Promise<Pod | undefined> {
    try {
      return await this.#client.resource<Pod>('pods', pod.metadata!.namespace).patch(
        pod.metadata!.name!,
        { metadata: { ownerReferences: [...(pod.metadata?.ownerReferences ?? []), daemonSetOwnerRef(ds)], uid: pod.metadata?.uid } },
        'merge',
        { signal },
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #sync(key: string, ds: DaemonSet, hash: string, actions: Actions, signal: AbortSignal): Promise<void> {
    const create = actions.create.slice(0, BURST_REPLICAS);
    const del = actions.delete.slice(0, BURST_REPLICAS);
    if (create.length === 0 && del.length === 0) return;
    this.#expectations.expect(key, create.length, del.map((p) => p.metadata!.uid!));
    const pods = this.#client.resource<Pod>('pods', ds.metadata!.namespace);
    let failed: unknown;
    const created = await Promise.allSettled(create.map((node) => pods.create(newDaemonPod(ds, hash, node), { signal })));
    for (const r of created) {
      if (r.status === 'fulfilled') this.#recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
      else {
        this.#expectations.createObserved(key);
        failed ??= r.reason;
        this.#recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(r.reason as Error).message}`);
      }
    }
    const deleted = await Promise.allSettled(del.map((p) => pods.delete(p.metadata!.name!, { signal })));
    deleted.forEach((r, i) => {
      const victim = del[i]!;
      if (r.status === 'fulfilled') {
        this.#recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${victim.metadata?.name}`);
        return;
      }
      this.#expectations.deleteObserved(key, victim.metadata!.uid!);
      if (isNotFound(r.reason)) return;
      failed ??= r.reason;
      this.#recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${(r.reason as Error).message}`);
    });
    if (failed) throw failed;
  }

  async #pruneHistory(ds: DaemonSet, owned: ControllerRevision[], hash: string, live: Set<string>, signal: AbortSignal): Promise<void> {
    const current = `${ds.metadata!.name}-${hash}`;
    const currentByLabel = owned.find((r) => r.metadata?.labels?.[CONTROLLER_REVISION_HASH] === hash)?.metadata?.name ?? current;
    const revisions = this.#client.resource<ControllerRevision>('controllerrevisions', ds.metadata!.namespace);
    for (const r of revisionsToPrune(owned, currentByLabel, live, ds.spec?.revisionHistoryLimit ?? 10)) {
      await revisions.delete(r.metadata!.name!, { signal }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }

  async #updateStatus(ds: DaemonSet, nodes: NodePods[], hash: string, available: (p: Pod) => boolean, signal: AbortSignal): Promise<void> {
    let desired = 0, current = 0, misscheduled = 0, ready = 0, avail = 0, updated = 0;
    for (const n of nodes) {
      if (!n.fit.shouldRun) {
        if (n.pods.length > 0) misscheduled++;
        continue;
      }
      desired++;
      if (n.pods.length === 0) continue;
      current++;
      const oldest = [...n.pods].sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''))[0]!;
      if (isReady(oldest)) {
        ready++;
        if (available(oldest)) avail++;
      }
      if (isUpdated(oldest, hash)) updated++;
    }
    const next: DaemonSetStatus = {
      currentNumberScheduled: current,
      desiredNumberScheduled: desired,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      updatedNumberScheduled: updated,
      numberAvailable: avail,
      numberUnavailable: desired - avail,
      observedGeneration: ds.metadata?.generation ?? 1,
    };
    const cur: Partial<DaemonSetStatus> = ds.status ?? {};
    const keys = Object.keys(next) as (keyof DaemonSetStatus)[];
    if (keys.every((k) => (cur[k] ?? 0) === next[k])) return;
    try {
      await this.#client.resource<DaemonSet>('daemonsets', ds.metadata!.namespace).patchStatus(ds.metadata!.name!, { status: next }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
