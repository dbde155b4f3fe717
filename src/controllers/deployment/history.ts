/**
 * Revision bookkeeping for a Deployment's ReplicaSets, as upstream's `util/deployment_util.go`: each
 * ReplicaSet carries the revision it last rolled out as (`deployment.kubernetes.io/revision`); a template that
 * comes back (`kubectl rollout undo`) takes the next revision and remembers its earlier ones in
 * `deployment.kubernetes.io/revision-history`. The Deployment's own annotations (such as
 * `kubernetes.io/change-cause`, which `kubectl rollout history` shows) are copied onto its new ReplicaSet.
 * `revisionHistoryLimit` bounds the old ReplicaSets kept: the oldest ones already scaled to zero go.
 */
import type { Deployment, ReplicaSet } from '../../api/index.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';

/** Deployment annotations that are the controller's own and never copied onto a ReplicaSet. */
const SKIPPED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

export const revisionOf = (rs: ReplicaSet) => Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;

/** The revision a new (or returning) ReplicaSet takes: one past every old one. */
export const nextRevision = (oldRSs: ReplicaSet[]) => Math.max(0, ...oldRSs.map(revisionOf)) + 1;

/**
 * The annotations the new ReplicaSet should carry (upstream's SetNewReplicaSetAnnotations): the Deployment's
 * own, the revision (raised to `revision`, the old one appended to the history), desired and max replicas.
 */
export function newReplicaSetAnnotations(d: Deployment, rs: ReplicaSet | undefined, revision: number, maxSurge: number): Record<string, string> {
  const out: Record<string, string> = { ...rs?.metadata?.annotations };
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!SKIPPED.has(k)) out[k] = v;
  const old = rs ? revisionOf(rs) : 0;
  if (old < revision) {
    out[REVISION_ANNOTATION] = String(revision);
    if (old > 0) out[REVISION_HISTORY_ANNOTATION] = out[REVISION_HISTORY_ANNOTATION] ? `${out[REVISION_HISTORY_ANNOTATION]},${old}` : String(old);
  }
  const replicas = d.spec?.replicas ?? 1;
  out[DESIRED_REPLICAS_ANNOTATION] = String(replicas);
  out[MAX_REPLICAS_ANNOTATION] = String(replicas + maxSurge);
  return out;
}

/** Old ReplicaSets to delete beyond revisionHistoryLimit: oldest first, only those fully scaled down. */
export function replicaSetsToClean(d: Deployment, oldRSs: ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec?.revisionHistoryLimit ?? 10;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
  const diff = cleanable.length - limit;
  if (diff <= 0) return [];
  return cleanable.slice(0, diff).filter((rs) =>
    (rs.status?.replicas ?? 0) === 0 && (rs.spec?.replicas ?? 0) === 0 &&
    (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}
