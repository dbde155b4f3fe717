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
 * Not yet: rollback, paused deployments, revisionHistoryLimit cleanup, progressDeadlineSeconds.
 */
import type { IDeploymentCondition as DeploymentCondition } from 'kubernetes-models/apps/v1';
import type { Deployment, IntOrString, ReplicaSet } from '../../api/index.ts';
import { EventRecorder, Informer, isAlreadyExists, isNotFound, objectKey, type Client, type KubeObjectLike } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { controllerRef } from '../replicaset/replicaset.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface DeploymentControllerConfig {
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
const revisionOf = (rs: ReplicaSet) => Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);

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
    this.deployments = new Informer<Deployment>(config.client.resource<Deployment>('deployments'), { clock: this.#clock, logger: log });
    this.replicaSets = new Informer<ReplicaSet>(config.client.resource<ReplicaSet>('replicasets'), { clock: this.#clock, logger: log });
    this.controller = new Controller({
      name: 'deployment-controller',
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

  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.controller.run(signal);
    } finally {
      // Stopped: events not yet written are dropped, as client-go's broadcaster does on shutdown.
      this.#recorder.close();
      await this.#recorder.flush();
    }
  }

  /** One pass for one Deployment (public for tests). */
  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const d = this.deployments.get(key);
    if (!d || d.metadata?.deletionTimestamp) return;
    const ns = d.metadata!.namespace!;
    const owned = this.replicaSets.list().filter((rs) => rs.metadata?.namespace === ns && controllerRef(rs)?.uid === d.metadata?.uid);
    const hash = podTemplateHash(d.spec?.template, d.status?.collisionCount ?? 0);
    let newRS = owned.find((rs) => rs.metadata?.labels?.[POD_TEMPLATE_HASH] === hash);
    const oldRSs = owned.filter((rs) => rs !== newRS).sort((a, b) => revisionOf(a) - revisionOf(b));
    const replicas = d.spec?.replicas ?? 1;
    let created = false;
    if (!newRS) {
      newRS = await this.#createReplicaSet(d, hash, oldRSs, signal);
      if (!newRS) return;
      created = true;
    }
    const recreate = d.spec?.strategy?.type === 'Recreate';
    const activeOld = oldRSs.filter((rs) => replicasOf(rs) > 0 || (rs.status?.replicas ?? 0) > 0);
    if (activeOld.length === 0) {
      await this.#scale(d, newRS, replicas, signal);
    } else if (recreate) {
      for (const rs of activeOld) await this.#scale(d, rs, 0, signal);
      // Wait until every old pod is gone before the new ones start.
      if (activeOld.every((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0)) await this.#scale(d, newRS, replicas, signal);
    } else {
      const maxSurge = resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxSurge, '25%', replicas, true);
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
    await this.#updateStatus(d, newRS, oldRSs, created, signal);
  }

  async #createReplicaSet(d: Deployment, hash: string, oldRSs: ReplicaSet[], signal: AbortSignal): Promise<ReplicaSet | undefined> {
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
    const revision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
    const name = `${d.metadata!.name}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata!.namespace,
        labels: template.metadata.labels,
        annotations: { [REVISION_ANNOTATION]: String(revision), 'deployment.kubernetes.io/desired-replicas': String(d.spec?.replicas ?? 1) },
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

  async #updateStatus(d: Deployment, newRS: ReplicaSet, oldRSs: ReplicaSet[], created: boolean, signal: AbortSignal): Promise<void> {
    const all = [newRS, ...oldRSs];
    const sum = (f: (rs: ReplicaSet) => number | undefined) => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
    const replicas = d.spec?.replicas ?? 1;
    const maxUnavailable = d.spec?.strategy?.type === 'Recreate' ? 0 : resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxUnavailable, '25%', replicas, false);
    const available = sum((rs) => rs.status?.availableReplicas);
    const updated = newRS.status?.replicas ?? 0;
    const complete = updated === replicas && sum((rs) => rs.status?.replicas) === replicas && available === replicas && oldRSs.every((rs) => replicasOf(rs) === 0);
    const now = new Date(Math.floor(this.#clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const keep = (type: string, status: 'True' | 'False', reason: string, message: string): DeploymentCondition => {
      const cur = d.status?.conditions?.find((c) => c.type === type);
      const same = cur?.status === status;
      return {
        type, status, reason, message,
        lastUpdateTime: same && cur?.reason === reason && cur?.message === message ? cur.lastUpdateTime : now,
        lastTransitionTime: same ? cur?.lastTransitionTime : now,
      };
    };
    const rsName = newRS.metadata!.name!;
    const conditions: DeploymentCondition[] = [
      available >= replicas - maxUnavailable
        ? keep('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : keep('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
      complete
        ? keep('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`)
        : created
          ? keep('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`)
          : keep('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`),
    ];
    const status = {
      observedGeneration: d.metadata?.generation ?? 1,
      replicas: sum((rs) => rs.status?.replicas),
      updatedReplicas: updated,
      readyReplicas: sum((rs) => rs.status?.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, replicas - available),
      conditions,
    };
    const cur = (d.status ?? {}) as Record<string, unknown>;
    const numbers = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const;
    const condView = (cs: DeploymentCondition[] | undefined) => JSON.stringify((cs ?? []).map((c) => [c.type, c.status, c.reason, c.message]));
    // Nothing changed: no write (a write would come back as an update event and a needless reconcile).
    if (numbers.every((f) => ((cur[f] as number | undefined) ?? 0) === status[f]) && condView(d.status?.conditions) === condView(conditions)) return;
    try {
      await this.#client.resource<Deployment>('deployments', d.metadata!.namespace).patchStatus(d.metadata!.name!, { status }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
