/**
 * The Deployment controller: rolls a Deployment's pod template out through ReplicaSets, as
 * kube-controller-manager's does. Each distinct template gets one ReplicaSet named
 * `<deployment>-<pod-template-hash>`; the controller only ever changes ReplicaSets' `spec.replicas` (their
 * own controller makes the pods) and reports progress in the Deployment's status.
 *
 *   RollingUpdate: scale the new ReplicaSet up while all ≤ replicas + maxSurge, scale old ones down while
 *                  available ≥ replicas − maxUnavailable (defaults 25 % each).
 *   Recreate:      scale old ReplicaSets to 0, wait until their pods are gone, then scale the new one up.
 *
 * Paused (`kubectl rollout pause`): no new ReplicaSet and no rollout until resumed. Conditions and the progress
 * deadline are in progress.ts; revisions, their history and revisionHistoryLimit cleanup in history.ts.
 * `kubectl rollout undo` needs nothing more: kubectl patches the template back and the old ReplicaSet returns
 * as the new one, with the next revision.
 */
import type { IDeploymentCondition as DeploymentCondition, IDeploymentStatus as DeploymentStatus } from 'kubernetes-models/apps/v1';
import type { Deployment, IntOrString, ReplicaSet } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isAlreadyExists, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller, type ReconcileResult } from '../controller.ts';
import {
  availableCondition, deadlineDueIn, deploymentComplete, FOUND_NEW_RS, getCondition, NEW_RS_CREATED, newCondition, pausedConditions,
  progressDeadline, progressingConditions, PROGRESSING, setCondition,
} from './progress.ts';
import { newReplicaSetAnnotations, nextRevision, REVISION_ANNOTATION, replicaSetsToClean, revisionOf } from './history.ts';
import { controllerRef } from '../replicaset/replicaset.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export { REVISION_ANNOTATION } from './history.ts';
const CONDITION_ORDER = ['Available', 'Progressing'];

export interface DeploymentControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** A short, label-safe hash of the pod template (FNV-1a of its JSON, encoded as apimachinery's SafeEncodeString). */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = JSON.stringify(template) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

/** A value's JSON with keys sorted and null/undefined fields dropped, so equal objects compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== null && x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Upstream's EqualIgnoreHash: two pod templates equal but for the pod-template-hash label. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  const strip = (t: unknown) => {
    const c = structuredClone(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
    if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH];
    return canonical(c);
  };
  return strip(a) === strip(b);
}

/** An int-or-percent against `total` (percentages round up for surge, down for unavailable). */
export function resolveIntOrPercent(v: IntOrString | undefined, fallback: string, total: number, roundUp: boolean): number {
  const value = v ?? fallback;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number.parseInt(value, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

const replicasOf = (rs: ReplicaSet) => rs.spec?.replicas ?? 0;

export class DeploymentController {
  readonly deployments: Informer<Deployment>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #clock: Clock;

  constructor(config: DeploymentControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    const log = config.logger ?? createLogger('deployment-controller');
    this.#recorder = new EventRecorder(config.client, { component: 'deployment-controller', clock: this.#clock, logger: log });
    this.deployments = informerOf(config.informers, config.client.resource<Deployment>('deployments'), { clock: this.#clock, logger: log });
    this.replicaSets = informerOf(config.informers, config.client.resource<ReplicaSet>('replicasets'), { clock: this.#clock, logger: log });
    this.controller = new Controller({
      name: 'deployment-controller',
      recorder: this.#recorder,
      informers: [this.deployments, this.replicaSets] as Informer<KubeObjectLike>[],
      reconcile: (key, signal) => this.reconcile(key, signal),
      clock: this.#clock,
      logger: log,
    });
    const enqueue = (d: Deployment) => this.controller.enqueue(objectKey(d));
    this.deployments.onAdd(enqueue).onUpdate((_o, d) => enqueue(d)).onDelete(enqueue);
    const enqueueOwner = (rs: ReplicaSet) => {
      const ref = controllerRef(rs);
      if (ref?.kind === 'Deployment') this.controller.enqueue(`${rs.metadata?.namespace}/${ref.name}`);
    };
    this.replicaSets.onAdd(enqueueOwner).onUpdate((_o, rs) => enqueueOwner(rs)).onDelete(enqueueOwner);
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  /** One pass for one Deployment (public for tests). */
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const d = this.deployments.get(key);
    if (!d || d.metadata?.deletionTimestamp) return;
    const ns = d.metadata!.namespace!;
    const now = this.#clock.now();
    // Shallow copies: #scale records a ReplicaSet's new spec on them for the rest of this pass (the informer's
    // objects are shared and frozen).
    const owned = this.replicaSets.list().filter((rs) => rs.metadata?.namespace === ns && controllerRef(rs)?.uid === d.metadata?.uid).map((rs) => ({ ...rs }));
    const hash = podTemplateHash(d.spec?.template, d.status?.collisionCount ?? 0);
    // The new ReplicaSet is the oldest one whose template is the Deployment's (as upstream's FindNewReplicaSet).
    const byAge = [...owned].sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
    let newRS = owned.find((rs) => rs.metadata?.labels?.[POD_TEMPLATE_HASH] === hash) ??
      byAge.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
    const oldRSs = owned.filter((rs) => rs !== newRS).sort((a, b) => revisionOf(a) - revisionOf(b));
    const replicas = d.spec?.replicas ?? 1;
    const maxSurge = d.spec?.strategy?.type === 'Recreate' ? 0 : resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxSurge, '25%', replicas, true);
    let conds = pausedConditions(d, d.status?.conditions ?? [], now);

    if (d.spec?.paused) {
      // Paused: no new ReplicaSet and no rollout; a scale of a Deployment with one active ReplicaSet still applies.
      const active = owned.filter((rs) => replicasOf(rs) > 0);
      const only = active.length === 1 ? active[0] : owned.length === 1 ? owned[0] : undefined;
      if (only) await this.#scale(d, only, replicas, signal);
      await this.#cleanup(d, oldRSs, signal);
      await this.#updateStatus(d, newRS, oldRSs, conds, false, signal);
      return;
    }

    const revision = nextRevision(oldRSs);
    if (!newRS) {
      newRS = await this.#createReplicaSet(d, hash, revision, maxSurge, signal);
      if (!newRS) return;
      conds = setCondition(conds, newCondition(PROGRESSING, 'True', NEW_RS_CREATED, `Created new replica set "${newRS.metadata!.name}"`, now));
    } else {
      newRS = await this.#syncRevision(d, newRS, revision, maxSurge, signal);
      if (progressDeadline(d) !== undefined && !getCondition(conds, PROGRESSING)) {
        conds = setCondition(conds, newCondition(PROGRESSING, 'True', FOUND_NEW_RS, `Found new replica set "${newRS.metadata!.name}"`, now));
      }
    }
    await this.#syncDeploymentRevision(d, newRS, signal);

    const recreate = d.spec?.strategy?.type === 'Recreate';
    const activeOld = oldRSs.filter((rs) => replicasOf(rs) > 0 || (rs.status?.replicas ?? 0) > 0);
    if (activeOld.length === 0) {
      await this.#scale(d, newRS, replicas, signal);
    } else if (recreate) {
      for (const rs of activeOld) await this.#scale(d, rs, 0, signal);
      // Wait until every old pod is gone before the new ones start.
      if (activeOld.every((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0)) await this.#scale(d, newRS, replicas, signal);
    } else {
      let maxUnavailable = resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxUnavailable, '25%', replicas, false);
      if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
      // Scale up the new ReplicaSet within the surge.
      const all = [newRS, ...oldRSs].reduce((n, rs) => n + replicasOf(rs), 0);
      const room = replicas + maxSurge - all;
      if (room > 0 && replicasOf(newRS) < replicas) await this.#scale(d, newRS, Math.min(replicasOf(newRS) + room, replicas), signal);
      // Scale down old ones while enough pods stay available.
      const total = [newRS, ...oldRSs].reduce((n, rs) => n + replicasOf(rs), 0);
      const newUnavailable = Math.max(0, replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0));
      let canScaleDown = total - (replicas - maxUnavailable) - newUnavailable;
      for (const rs of oldRSs) {
        if (canScaleDown <= 0) break;
        const down = Math.min(replicasOf(rs), canScaleDown);
        if (down === 0) continue;
        await this.#scale(d, rs, replicasOf(rs) - down, signal);
        canScaleDown -= down;
      }
    }
    // Old ReplicaSets beyond the history limit go once the rollout has completed.
    if (d.status && deploymentComplete(d, d.status)) await this.#cleanup(d, oldRSs, signal);
    const status = await this.#updateStatus(d, newRS, oldRSs, conds, true, signal);
    // Come back when the deadline would pass without progress, to report ProgressDeadlineExceeded.
    const due = status && deadlineDueIn(d, status, this.#clock.now());
    if (due !== undefined) return { requeueAfterMs: due };
  }

  async #createReplicaSet(d: Deployment, hash: string, revision: number, maxSurge: number, signal: AbortSignal): Promise<ReplicaSet | undefined> {
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
    const name = `${d.metadata!.name}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata!.namespace,
        labels: template.metadata.labels,
        annotations: newReplicaSetAnnotations(d, undefined, revision, maxSurge),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata!.name!, uid: d.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      },
      // Starts empty: the rollout logic decides how many pods it may have.
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds, selector, template },
    };
    try {
      return await this.#client.resource<ReplicaSet>('replicasets', d.metadata!.namespace).create(rs, { signal });
    } catch (err) {
      // Another template hashed the same (or our informer is behind): try again with the cache caught up.
      if (isAlreadyExists(err)) throw new Error(`replica set ${name} already exists; retrying`, { cause: err });
      throw err;
    }
  }

  /** Brings an existing new ReplicaSet's annotations (revision, history, copied ones) and minReadySeconds up to date. */
  async #syncRevision(d: Deployment, rs: ReplicaSet, revision: number, maxSurge: number, signal: AbortSignal): Promise<ReplicaSet> {
    const want = newReplicaSetAnnotations(d, rs, revision, maxSurge);
    const have = rs.metadata?.annotations ?? {};
    const annotationsSame = Object.keys(want).length === Object.keys(have).length && Object.entries(want).every(([k, v]) => have[k] === v);
    const minReady = d.spec?.minReadySeconds;
    if (annotationsSame && (rs.spec?.minReadySeconds ?? 0) === (minReady ?? 0)) return rs;
    try {
      return await this.#client.resource<ReplicaSet>('replicasets', rs.metadata!.namespace).patch(
        rs.metadata!.name!, { metadata: { annotations: want }, spec: { minReadySeconds: minReady ?? 0 } }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return rs;
    }
  }

  /** The Deployment's own revision annotation follows its new ReplicaSet's. */
  async #syncDeploymentRevision(d: Deployment, newRS: ReplicaSet, signal: AbortSignal): Promise<void> {
    const revision = newRS.metadata?.annotations?.[REVISION_ANNOTATION];
    if (!revision || d.metadata?.annotations?.[REVISION_ANNOTATION] === revision) return;
    try {
      await this.#client.resource<Deployment>('deployments', d.metadata!.namespace).patch(
        d.metadata!.name!, { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #cleanup(d: Deployment, oldRSs: ReplicaSet[], signal: AbortSignal): Promise<void> {
    for (const rs of replicaSetsToClean(d, oldRSs)) {
      try {
        await this.#client.resource<ReplicaSet>('replicasets', rs.metadata!.namespace).delete(rs.metadata!.name!, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #scale(d: Deployment, rs: ReplicaSet, to: number, signal: AbortSignal): Promise<void> {
    const from = replicasOf(rs);
    if (from === to) return;
    try {
      const updated = await this.#client.resource<ReplicaSet>('replicasets', rs.metadata!.namespace).patch(
        rs.metadata!.name!,
        { spec: { replicas: to }, metadata: { annotations: { 'deployment.kubernetes.io/desired-replicas': String(d.spec?.replicas ?? 1) } } },
        'merge',
        { signal },
      );
      rs.spec = updated.spec;
      this.#recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata!.name} from ${from} to ${to}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #updateStatus(
    d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], conds: DeploymentCondition[], rollout: boolean, signal: AbortSignal,
  ): Promise<DeploymentStatus | undefined> {
    const all = newRS ? [newRS, ...oldRSs] : oldRSs;
    const sum = (f: (rs: ReplicaSet) => number | undefined) => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
    const replicas = d.spec?.replicas ?? 1;
    const maxUnavailable = d.spec?.strategy?.type === 'Recreate' ? 0 : resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxUnavailable, '25%', replicas, false);
    const now = this.#clock.now();
    const available = sum((rs) => rs.status?.availableReplicas);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata?.generation ?? 1,
      replicas: sum((rs) => rs.status?.replicas),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sum((rs) => rs.spec?.replicas) - available),
    };
    if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
    conds = setCondition(conds, availableCondition(d, status, maxUnavailable, now));
    if (rollout) conds = progressingConditions(d, d.status ?? {}, status, conds, newRS?.metadata?.name, now);
    status.conditions = [...conds].sort((a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type));
    const cur = (d.status ?? {}) as Record<string, unknown>;
    const numbers = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const;
    const condView = (cs: DeploymentCondition[] | undefined) => JSON.stringify(cs ?? []);
    // Nothing changed: no write (a write would come back as an update event and a needless reconcile).
    if (numbers.every((f) => ((cur[f] as number | undefined) ?? 0) === status[f]) && condView(d.status?.conditions) === condView(status.conditions)) return status;
    try {
      await this.#client.resource<Deployment>('deployments', d.metadata!.namespace).patchStatus(d.metadata!.name!, { status }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return status;
  }
}
