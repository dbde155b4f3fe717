/**
 * The StatefulSet controller, as kube-controller-manager's: pods with stable names `<set>-<ordinal>`, each with
 * its own claims from volumeClaimTemplates. OrderedReady makes and removes one pod at a time (the next only
 * once the previous is Running and Ready); Parallel acts on all at once. RollingUpdate replaces pods whose
 * revision is not the update revision, highest ordinal first, one at a time, down to `partition`.
 * Revisions are ControllerRevisions (./history.ts): a pod below the partition that is made again gets the
 * current revision's template, `kubectl rollout history/undo sts` read and restore them. With
 * `minReadySeconds` a pod counts as available (and OrderedReady moves on) only once it has been Ready that long.
 *
 * It keeps no state of its own: a pod's identity is its name, so a restart mid-rollout can never make two
 * pods of one identity (the API refuses a second `web-1` while the first exists, even a terminating one).
 *
 *   reconcile(ns/name): update revision (created or renumbered) ─▶ owned pods by ordinal ─▶ failed pods
 *     deleted ─▶ missing ordinals: claims, then pod ─▶ condemned ordinals (≥ replicas) deleted, highest first
 *     ─▶ rolling update ─▶ status ─▶ history pruned
 */
import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet, StatefulSetStatus } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isAlreadyExists, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller, type ReconcileResult } from '../controller.ts';
import { equalRevision, maxRevision, newRevision, revisionsToPrune, revisionTemplate, sameJson, revisionData } from './history.ts';
import { claimsFor, ordinalOf, podFor, REVISION_LABEL, type PodRevision } from './identity.ts';

export interface StatefulSetControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

const isTerminating = (p: Pod) => !!p.metadata?.deletionTimestamp;
const isFailed = (p: Pod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const readyCondition = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
const isRunningAndReady = (p: Pod) => p.status?.phase === 'Running' && !isTerminating(p) && !!readyCondition(p);

/** The set's two revisions: `current` (what the pods ran before the rollout) and `update` (its template now). */
interface Revisions {
  current: PodRevision;
  update: PodRevision;
}

const asPodRevision = (r: ControllerRevision): PodRevision => ({ name: r.metadata!.name!, template: revisionTemplate(r) });

export class StatefulSetController {
  readonly sets: Informer<StatefulSet>;
  readonly pods: Informer<Pod>;
  readonly revisions: Informer<ControllerRevision>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #recorder: EventRecorder;
  readonly #log: Logger;

  constructor(config: StatefulSetControllerConfig) {
    this.#client = config.client;
    const clock = config.clock ?? realClock;
    this.#clock = clock;
    this.#log = config.logger ?? createLogger('statefulset-controller');
    this.#recorder = new EventRecorder(config.client, { component: 'statefulset-controller', clock, logger: this.#log });
    this.sets = informerOf(config.informers, config.client.resource<StatefulSet>('statefulsets'), { clock, logger: this.#log });
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), { clock, logger: this.#log });
    this.revisions = informerOf(config.informers, config.client.resource<ControllerRevision>('controllerrevisions'), { clock, logger: this.#log });
    this.controller = new Controller({
      name: 'statefulset-controller',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.sets, this.pods, this.revisions] as Informer<KubeObjectLike>[],
      workers: config.workers ?? 1,
      clock,
      logger: this.#log,
    });
    const enqueueSet = (s: StatefulSet) => this.controller.enqueue(objectKey(s));
    this.sets.onAdd(enqueueSet).onUpdate((_o, s) => enqueueSet(s)).onDelete(enqueueSet);
    const enqueueOwner = (pod: Pod) => {
      const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
      if (ref?.kind === 'StatefulSet') this.controller.enqueue(`${pod.metadata?.namespace}/${ref.name}`);
    };
    this.pods.onAdd(enqueueOwner).onUpdate((_o, p) => enqueueOwner(p)).onDelete(enqueueOwner);
    this.revisions.onDelete((r) => {
      const ref = r.metadata?.ownerReferences?.find((o) => o.controller);
      if (ref?.kind === 'StatefulSet') this.controller.enqueue(`${r.metadata?.namespace}/${ref.name}`);
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  /** One pass for one StatefulSet (public for tests). Safe to call at any time, also after a restart. */
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const sts = this.sets.get(key);
    if (!sts || sts.metadata?.deletionTimestamp) return;
    const ns = sts.metadata!.namespace!;
    const ownedRevisions = this.revisions.list().filter((r) => r.metadata?.namespace === ns &&
      r.metadata?.ownerReferences?.some((o) => o.controller && o.uid === sts.metadata!.uid));
    const update = await this.#updateRevision(sts, ownedRevisions, signal);
    if (!update) return; // a name collision: the status update (collisionCount) brings the set back
    const current = ownedRevisions.find((r) => r.metadata?.name === sts.status?.currentRevision);
    const revisions: Revisions = { update: asPodRevision(update), current: asPodRevision(current ?? update) };
    const owned = this.pods.list().filter((p) => p.metadata?.namespace === ns &&
      p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === sts.metadata!.uid));
    const start = sts.spec?.ordinals?.start ?? 0;
    const replicas = sts.spec?.replicas ?? 1;
    const byOrdinal = new Map<number, Pod>();
    const condemned: Pod[] = [];
    for (const p of owned) {
      const i = ordinalOf(sts, p);
      if (i >= start && i < start + replicas) byOrdinal.set(i, p);
      else condemned.push(p);
    }
    condemned.sort((a, b) => ordinalOf(sts, b) - ordinalOf(sts, a));
    const now = this.#clock.now();
    let status: StatefulSetStatus | undefined;
    try {
      await this.#sync(sts, byOrdinal, condemned, start, replicas, revisions, now, signal);
    } finally {
      status = await this.#updateStatus(sts, [...byOrdinal.values(), ...condemned], revisions, now, signal);
    }
    await this.#pruneHistory(sts, ownedRevisions, status, [...byOrdinal.values(), ...condemned], signal);
    const wait = this.#untilAvailable(sts, [...byOrdinal.values()], now);
    return wait !== undefined ? { requeueAfterMs: wait } : undefined;
  }

  /** Ready for minReadySeconds (upstream's isRunningAndAvailable). */
  #isAvailable(sts: StatefulSet, p: Pod, now: number): boolean {
    if (!isRunningAndReady(p)) return false;
    const min = sts.spec?.minReadySeconds ?? 0;
    if (min <= 0) return true;
    const since = Date.parse(readyCondition(p)?.lastTransitionTime ?? '');
    return Number.isFinite(since) && since + min * 1000 <= now;
  }

  /** How long until the next Ready pod becomes available, if one is waiting for minReadySeconds. */
  #untilAvailable(sts: StatefulSet, pods: Pod[], now: number): number | undefined {
    const min = (sts.spec?.minReadySeconds ?? 0) * 1000;
    let wait: number | undefined;
    for (const p of pods) {
      if (!isRunningAndReady(p) || this.#isAvailable(sts, p, now)) continue;
      const since = Date.parse(readyCondition(p)?.lastTransitionTime ?? '');
      const left = Number.isFinite(since) ? Math.max(since + min - now, 0) + 1 : min;
      wait = wait === undefined ? left : Math.min(wait, left);
    }
    return wait;
  }

  /** The revision of the set's template: found (renumbered as the newest if an undo brought it back) or made. */
  async #updateRevision(sts: StatefulSet, owned: ControllerRevision[], signal: AbortSignal): Promise<ControllerRevision | undefined> {
    const client = this.#client.resource<ControllerRevision>('controllerrevisions', sts.metadata!.namespace);
    const max = maxRevision(owned);
    const equal = equalRevision(sts, owned);
    if (equal) {
      if (equal.revision < max) return await client.patch(equal.metadata!.name!, { revision: max + 1 }, 'merge', { signal });
      return equal;
    }
    const made = newRevision(sts, max + 1);
    try {
      return await client.create(made, { signal });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const existing = await client.get(made.metadata!.name!, { signal });
    const mine = existing.metadata?.ownerReferences?.some((o) => o.controller && o.uid === sts.metadata!.uid);
    if (mine && sameJson(existing.data, revisionData(sts))) return existing;
    // Another revision holds the name: count the collision, which changes the hash on the next pass.
    await this.#client.resource<StatefulSet>('statefulsets', sts.metadata!.namespace)
      .patchStatus(sts.metadata!.name!, { status: { collisionCount: (sts.status?.collisionCount ?? 0) + 1 } }, 'merge', { signal });
    return undefined;
  }

  /** Old revisions beyond revisionHistoryLimit (default 10) that no pod runs. */
  async #pruneHistory(sts: StatefulSet, owned: ControllerRevision[], status: StatefulSetStatus | undefined, pods: Pod[], signal: AbortSignal): Promise<void> {
    const keep = new Set<string>([status?.currentRevision ?? '', status?.updateRevision ?? '', sts.status?.currentRevision ?? '', sts.status?.updateRevision ?? '']);
    for (const p of pods) keep.add(p.metadata?.labels?.[REVISION_LABEL] ?? '');
    const client = this.#client.resource<ControllerRevision>('controllerrevisions', sts.metadata!.namespace);
    for (const r of revisionsToPrune(owned, keep, sts.spec?.revisionHistoryLimit ?? 10)) {
      await client.delete(r.metadata!.name!, { signal }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }

  /** Upstream's newVersionedStatefulSetPod: below the partition a new pod gets the current revision. */
  #revisionFor(sts: StatefulSet, ordinal: number, start: number, revisions: Revisions): PodRevision {
    const strategy = sts.spec?.updateStrategy;
    if (strategy?.type === 'OnDelete') return revisions.update;
    const below = strategy?.rollingUpdate ? ordinal - start < (strategy.rollingUpdate.partition ?? 0) : ordinal - start < (sts.status?.currentReplicas ?? 0);
    return below ? revisions.current : revisions.update;
  }

  async #sync(sts: StatefulSet, byOrdinal: Map<number, Pod>, condemned: Pod[], start: number, replicas: number, revisions: Revisions, now: number, signal: AbortSignal): Promise<void> {
    const parallel = sts.spec?.podManagementPolicy === 'Parallel';
    const revision = revisions.update.name;
    const available = (p: Pod) => this.#isAvailable(sts, p, now);
    for (let i = start; i < start + replicas; i++) {
      const pod = byOrdinal.get(i);
      if (pod && isFailed(pod) && !isTerminating(pod)) {
        // Upstream deletes a failed pod and makes it again under the same name.
        await this.#deletePod(sts, pod, signal);
        byOrdinal.delete(i);
        if (!parallel) return;
        continue;
      }
      if (!pod) {
        await this.#createClaims(sts, i, signal);
        const made = await this.#createPod(sts, i, this.#revisionFor(sts, i, start, revisions), signal);
        if (made) byOrdinal.set(i, made);
        if (!parallel) return;
        continue;
      }
      if (!parallel && !available(pod)) return;
    }
    // Scale down: highest ordinal first; OrderedReady one at a time, after all others are Running and Ready.
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (!parallel) return;
        continue;
      }
      if (!parallel && [...byOrdinal.values()].some((p) => !available(p))) return;
      await this.#deletePod(sts, pod, signal);
      if (sts.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await this.#deleteClaims(sts, ordinalOf(sts, pod), signal);
      if (!parallel) return;
    }
    if (sts.spec?.updateStrategy?.type === 'OnDelete') return;
    // Rolling update: only once every pod is Running and Ready; the highest stale ordinal ≥ partition goes first.
    const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const pods = [...byOrdinal.entries()].sort((a, b) => b[0] - a[0]);
    if (pods.length < replicas || pods.some(([, p]) => !available(p))) return;
    for (const [i, pod] of pods) {
      if (i - start < partition) break;
      if (pod.metadata?.labels?.[REVISION_LABEL] !== revision) {
        await this.#deletePod(sts, pod, signal);
        return;
      }
    }
  }

  async #createClaims(sts: StatefulSet, ordinal: number, signal: AbortSignal): Promise<void> {
    const claims = this.#client.resource<PersistentVolumeClaim>('persistentvolumeclaims', sts.metadata!.namespace);
    for (const claim of claimsFor(sts, ordinal)) {
      try {
        await claims.create(claim, { signal });
        this.#recorder.event(sts, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata!.name} Pod ${sts.metadata!.name}-${ordinal} in StatefulSet ${sts.metadata!.name} success`);
      } catch (err) {
        if (!isAlreadyExists(err)) {
          this.#recorder.event(sts, 'Warning', 'FailedCreate', `create Claim ${claim.metadata!.name} for Pod ${sts.metadata!.name}-${ordinal} in StatefulSet ${sts.metadata!.name} failed error: ${(err as Error).message}`);
          throw err;
        }
      }
    }
  }

  async #deleteClaims(sts: StatefulSet, ordinal: number, signal: AbortSignal): Promise<void> {
    const claims = this.#client.resource<PersistentVolumeClaim>('persistentvolumeclaims', sts.metadata!.namespace);
    for (const claim of claimsFor(sts, ordinal)) {
      try {
        await claims.delete(claim.metadata!.name!, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #createPod(sts: StatefulSet, ordinal: number, revision: PodRevision, signal: AbortSignal): Promise<Pod | undefined> {
    const pod = podFor(sts, ordinal, revision);
    try {
      const made = await this.#client.resource<Pod>('pods', sts.metadata!.namespace).create(pod, { signal });
      this.#recorder.event(sts, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${sts.metadata!.name} successful`);
      return made;
    } catch (err) {
      // Already there (a stale cache, or the old pod still terminating): the watch brings it.
      if (isAlreadyExists(err)) return undefined;
      this.#recorder.event(sts, 'Warning', 'FailedCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${sts.metadata!.name} failed error: ${(err as Error).message}`);
      throw err;
    }
  }

  async #deletePod(sts: StatefulSet, pod: Pod, signal: AbortSignal): Promise<void> {
    try {
      await this.#client.resource<Pod>('pods', sts.metadata!.namespace).delete(pod.metadata!.name!, { signal, preconditions: { uid: pod.metadata!.uid } });
      this.#recorder.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${sts.metadata!.name} successful`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #updateStatus(sts: StatefulSet, pods: Pod[], revisions: Revisions, now: number, signal: AbortSignal): Promise<StatefulSetStatus> {
    const revision = revisions.update.name;
    const live = pods.filter((p) => !isTerminating(p));
    const current = revisions.current.name;
    const updated = live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === revision).length;
    const replicas = sts.spec?.replicas ?? 1;
    const ready = live.filter(isRunningAndReady).length;
    // The rollout is complete when every wanted pod runs the update revision: it becomes the current one.
    const done = updated === replicas && live.length === replicas;
    const currentRevision = done ? revision : current;
    const next: StatefulSetStatus = {
      observedGeneration: sts.metadata?.generation ?? 1,
      replicas: live.length,
      readyReplicas: ready,
      availableReplicas: live.filter((p) => this.#isAvailable(sts, p, now)).length,
      currentReplicas: live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision: revision,
      collisionCount: sts.status?.collisionCount ?? 0,
    };
    const cur: Partial<StatefulSetStatus> = sts.status ?? {};
    if ((Object.keys(next) as (keyof StatefulSetStatus)[]).every((k) => (cur[k] ?? 0) === (next[k] ?? 0))) return next;
    try {
      await this.#client.resource<StatefulSet>('statefulsets', sts.metadata!.namespace).patchStatus(sts.metadata!.name!, { status: next }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return next;
  }
}
