/**
 * The StatefulSet controller, as kube-controller-manager's: pods with stable names `<set>-<ordinal>`, each with
 * its own claims from volumeClaimTemplates. OrderedReady makes and removes one pod at a time (the next only
 * once the previous is Running and Ready); Parallel acts on all at once. RollingUpdate replaces pods whose
 * revision is not the update revision, highest ordinal first, one at a time, down to `partition`.
 *
 * It keeps no state of its own: a pod's identity is its name, so a restart mid-rollout can never make two
 * pods of one identity (the API refuses a second `web-1` while the first exists, even a terminating one).
 *
 *   reconcile(ns/name): owned pods by ordinal ─▶ failed pods deleted ─▶ missing ordinals: claims, then pod
 *     ─▶ condemned ordinals (≥ replicas) deleted, highest first ─▶ rolling update ─▶ status
 */
import type { PersistentVolumeClaim, Pod, StatefulSet, StatefulSetStatus } from '../../api/index.ts';
import { EventRecorder, Informer, isAlreadyExists, isNotFound, objectKey, type Client, type KubeObjectLike } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { claimsFor, ordinalOf, podFor, REVISION_LABEL, updateRevision } from './identity.ts';

export interface StatefulSetControllerConfig {
  client: Client;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

const isTerminating = (p: Pod) => !!p.metadata?.deletionTimestamp;
const isFailed = (p: Pod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const isRunningAndReady = (p: Pod) => p.status?.phase === 'Running' && !isTerminating(p) &&
  (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

export class StatefulSetController {
  readonly sets: Informer<StatefulSet>;
  readonly pods: Informer<Pod>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #log: Logger;

  constructor(config: StatefulSetControllerConfig) {
    this.#client = config.client;
    const clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('statefulset-controller');
    this.#recorder = new EventRecorder(config.client, { component: 'statefulset-controller', clock, logger: this.#log });
    this.sets = new Informer<StatefulSet>(config.client.resource<StatefulSet>('statefulsets'), { clock, logger: this.#log });
    this.pods = new Informer<Pod>(config.client.resource<Pod>('pods'), { clock, logger: this.#log });
    this.controller = new Controller({
      name: 'statefulset-controller',
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.sets, this.pods] as Informer<KubeObjectLike>[],
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
  }

  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.controller.run(signal);
    } finally {
      this.#recorder.close();
      await this.#recorder.flush();
    }
  }

  /** One pass for one StatefulSet (public for tests). Safe to call at any time, also after a restart. */
  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const sts = this.sets.get(key);
    if (!sts || sts.metadata?.deletionTimestamp) return;
    const ns = sts.metadata!.namespace!;
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
    try {
      await this.#sync(sts, byOrdinal, condemned, start, replicas, signal);
    } finally {
      await this.#updateStatus(sts, [...byOrdinal.values(), ...condemned], signal);
    }
  }

  async #sync(sts: StatefulSet, byOrdinal: Map<number, Pod>, condemned: Pod[], start: number, replicas: number, signal: AbortSignal): Promise<void> {
    const parallel = sts.spec?.podManagementPolicy === 'Parallel';
    const revision = updateRevision(sts);
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
        const made = await this.#createPod(sts, i, signal);
        if (made) byOrdinal.set(i, made);
        if (!parallel) return;
        continue;
      }
      if (!parallel && !isRunningAndReady(pod)) return;
    }
    // Scale down: highest ordinal first; OrderedReady one at a time, after all others are Running and Ready.
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (!parallel) return;
        continue;
      }
      if (!parallel && [...byOrdinal.values()].some((p) => !isRunningAndReady(p))) return;
      await this.#deletePod(sts, pod, signal);
      if (sts.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await this.#deleteClaims(sts, ordinalOf(sts, pod), signal);
      if (!parallel) return;
    }
    if (sts.spec?.updateStrategy?.type === 'OnDelete') return;
    // Rolling update: only once every pod is Running and Ready; the highest stale ordinal ≥ partition goes first.
    const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const pods = [...byOrdinal.entries()].sort((a, b) => b[0] - a[0]);
    if (pods.length < replicas || pods.some(([, p]) => !isRunningAndReady(p))) return;
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

  async #createPod(sts: StatefulSet, ordinal: number, signal: AbortSignal): Promise<Pod | undefined> {
    const pod = podFor(sts, ordinal);
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

  async #updateStatus(sts: StatefulSet, pods: Pod[], signal: AbortSignal): Promise<void> {
    const revision = updateRevision(sts);
    const live = pods.filter((p) => !isTerminating(p));
    const current = sts.status?.currentRevision || revision;
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
      availableReplicas: ready,
      currentReplicas: live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision: revision,
      collisionCount: sts.status?.collisionCount ?? 0,
    };
    const cur: Partial<StatefulSetStatus> = sts.status ?? {};
    if ((Object.keys(next) as (keyof StatefulSetStatus)[]).every((k) => (cur[k] ?? 0) === (next[k] ?? 0))) return;
    try {
      await this.#client.resource<StatefulSet>('statefulsets', sts.metadata!.namespace).patchStatus(sts.metadata!.name!, { status: next }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
