/**
 * A Deployment's conditions, as upstream's `pkg/controller/deployment/progress.go` and `util/deployment_util.go`
 * compute them. Pure functions of the Deployment, its freshly computed status and the time: the controller
 * calls them and writes what they return.
 *
 *   Progressing  True    NewReplicaSetCreated | FoundNewReplicaSet | ReplicaSetUpdated | NewReplicaSetAvailable
 *                False   ProgressDeadlineExceeded  (no progress for progressDeadlineSeconds)
 *                Unknown DeploymentPaused | DeploymentResumed
 *   Available    True MinimumReplicasAvailable | False MinimumReplicasUnavailable
 *
 * The deadline is measured from the Progressing condition's lastUpdateTime, which moves each time the rollout
 * makes progress (more updated, ready or available pods, or fewer old ones).
 */
import type { IDeploymentCondition as DeploymentCondition, IDeploymentStatus as DeploymentStatus } from 'kubernetes-models/apps/v1';
import type { Deployment } from '../../api/index.ts';

export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const NEW_RS_CREATED = 'NewReplicaSetCreated';
export const FOUND_NEW_RS = 'FoundNewReplicaSet';
export const RS_UPDATED = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const TIMED_OUT = 'ProgressDeadlineExceeded';
export const PAUSED = 'DeploymentPaused';
export const RESUMED = 'DeploymentResumed';

const MAX_INT32 = 2_147_483_647;

/** The deadline in seconds, or undefined when the Deployment has none (unset by hand, or MaxInt32). */
export function progressDeadline(d: Deployment): number | undefined {
  const s = d.spec?.progressDeadlineSeconds ?? 600;
  return s === MAX_INT32 ? undefined : s;
}

/** A condition's time as the API writes it: RFC 3339 in whole seconds. */
export function conditionTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = conditionTime(nowMs);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

export const getCondition = (conds: DeploymentCondition[], type: string) => conds.find((c) => c.type === type);

/**
 * Upstream's SetDeploymentCondition: a condition with the same status and reason as the current one changes
 * nothing; one with the same status keeps the current lastTransitionTime; otherwise it replaces it.
 */
export function setCondition(conds: DeploymentCondition[], c: DeploymentCondition): DeploymentCondition[] {
  const cur = getCondition(conds, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return conds;
  const next = cur && cur.status === c.status ? { ...c, lastTransitionTime: cur.lastTransitionTime } : c;
  return [...conds.filter((x) => x.type !== c.type), next];
}

export const removeCondition = (conds: DeploymentCondition[], type: string) => conds.filter((c) => c.type !== type);

/** Every pod updated, available and no old pod left, for the Deployment's current generation. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const replicas = d.spec?.replicas ?? 1;
  return (s.updatedReplicas ?? 0) === replicas && (s.replicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
}

/** The new status shows progress over the old one. */
export function deploymentProgressing(old: DeploymentStatus, s: DeploymentStatus): boolean {
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    newOld < oldOld || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** No progress within the deadline, judged from the Progressing condition in `conds`. */
export function deploymentTimedOut(d: Deployment, conds: DeploymentCondition[], nowMs: number): boolean {
  const deadline = progressDeadline(d);
  const cond = getCondition(conds, PROGRESSING);
  if (deadline === undefined || !cond || cond.reason === NEW_RS_AVAILABLE) return false;
  if (cond.reason === TIMED_OUT) return true;
  return Date.parse(cond.lastUpdateTime ?? '') + deadline * 1000 < nowMs;
}

/** Milliseconds until the deadline passes for a rollout still in progress, or undefined when none is due. */
export function deadlineDueIn(d: Deployment, s: DeploymentStatus, nowMs: number): number | undefined {
  const deadline = progressDeadline(d);
  const conds = s.conditions ?? [];
  const cond = getCondition(conds, PROGRESSING);
  if (deadline === undefined || !cond || deploymentComplete(d, s) || deploymentTimedOut(d, conds, nowMs)) return undefined;
  return Math.max(0, Date.parse(cond.lastUpdateTime ?? '') + deadline * 1000 - nowMs) + 1000;
}

/** Progressing Unknown while paused (DeploymentPaused), and once when resumed (DeploymentResumed). */
export function pausedConditions(d: Deployment, conds: DeploymentCondition[], nowMs: number): DeploymentCondition[] {
  if (progressDeadline(d) === undefined) return conds;
  const cond = getCondition(conds, PROGRESSING);
  const pausedNow = cond?.reason === PAUSED;
  if (d.spec?.paused && !pausedNow) return setCondition(conds, newCondition(PROGRESSING, 'Unknown', PAUSED, 'Deployment is paused', nowMs));
  if (!d.spec?.paused && pausedNow) return setCondition(conds, newCondition(PROGRESSING, 'Unknown', RESUMED, 'Deployment is resumed', nowMs));
  return conds;
}

/** The Available condition for a status, given the most pods the strategy allows to be unavailable. */
export function availableCondition(d: Deployment, s: DeploymentStatus, maxUnavailable: number, nowMs: number): DeploymentCondition {
  const replicas = d.spec?.replicas ?? 1;
  return (s.availableReplicas ?? 0) >= replicas - maxUnavailable
    ? newCondition(AVAILABLE, 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', nowMs)
    : newCondition(AVAILABLE, 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', nowMs);
}

/**
 * The rollout's Progressing condition for `next` (upstream's syncRolloutStatus): complete, progressing
 * (lastUpdateTime moves, lastTransitionTime stays while True), or timed out. `old` is the status before this pass.
 */
export function progressingConditions(
  d: Deployment, old: DeploymentStatus, next: DeploymentStatus, conds: DeploymentCondition[], rsName: string | undefined, nowMs: number,
): DeploymentCondition[] {
  if (progressDeadline(d) === undefined) return removeCondition(conds, PROGRESSING);
  const name = d.metadata?.name;
  if (deploymentComplete(d, next)) {
    const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
    return setCondition(conds, newCondition(PROGRESSING, 'True', NEW_RS_AVAILABLE, msg, nowMs));
  }
  if (deploymentProgressing(old, next)) {
    const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${name}" is progressing.`;
    const c = newCondition(PROGRESSING, 'True', RS_UPDATED, msg, nowMs);
    const cur = getCondition(conds, PROGRESSING);
    if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
    return [...removeCondition(conds, PROGRESSING), c];
  }
  if (deploymentTimedOut(d, conds, nowMs)) {
    const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
    return setCondition(conds, newCondition(PROGRESSING, 'False', TIMED_OUT, msg, nowMs));
  }
  return conds;
}
