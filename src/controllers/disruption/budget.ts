/**
 * A PodDisruptionBudget's status as a pure function of the budget, its pods and their controllers' scale
 * (upstream's `pkg/controller/disruption` getExpectedPodCount, countHealthyPods, buildDisruptedPodMap):
 *
 *   minAvailable N        desiredHealthy = N,            expectedPods = matching pods
 *   minAvailable P %      desiredHealthy = ⌈P % × scale⌉, expectedPods = scale
 *   maxUnavailable N|P %  desiredHealthy = scale − N (P % of scale rounded up), expectedPods = scale
 *   currentHealthy        ready pods not being deleted and not recently evicted (disruptedPods)
 *   disruptionsAllowed    max(0, currentHealthy − desiredHealthy)
 *
 * `scale` sums the replicas of the pods' controllers, found as upstream's finders do: a ReplicationController,
 * a ReplicaSet (its Deployment's replicas when a Deployment owns it) or a StatefulSet; pods of other
 * controllers add nothing. An eviction recorded in disruptedPods counts as gone for two minutes, or until
 * its pod is seen deleting.
 */
import type {
  Condition, Deployment, IntOrString, Pod, PodDisruptionBudget, PodDisruptionBudgetStatus, ReplicaSet, ReplicationController, StatefulSet,
} from '../../api/index.ts';

export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export interface Owners {
  replicaSet(namespace: string, name: string): ReplicaSet | undefined;
  deployment(namespace: string, name: string): Deployment | undefined;
  replicationController(namespace: string, name: string): ReplicationController | undefined;
  statefulSet(namespace: string, name: string): StatefulSet | undefined;
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const controllerOf = (o: { metadata?: { ownerReferences?: { controller?: boolean; kind: string; name: string; uid: string }[] } }) =>
  o.metadata?.ownerReferences?.find((r) => r.controller);

/** The replicas the pods' controllers want in all (each controller counted once). */
export function expectedScale(pods: Pod[], owners: Owners): number {
  const seen = new Map<string, number>();
  for (const pod of pods) {
    const ns = pod.metadata!.namespace!;
    const ref = controllerOf(pod);
    // Each finder checks the owner's uid too, as upstream's do: a same-named successor is not the pod's controller.
    const owns = <T extends { metadata?: { uid?: string } }>(o: T | undefined): T | undefined => (o && o.metadata?.uid === ref?.uid ? o : undefined);
    if (ref?.kind === 'ReplicationController') {
      const rc = owns(owners.replicationController(ns, ref.name));
      if (rc) seen.set(`ReplicationController/${ref.uid}`, rc.spec?.replicas ?? 1);
    } else if (ref?.kind === 'StatefulSet') {
      const sts = owns(owners.statefulSet(ns, ref.name));
      if (sts) seen.set(`StatefulSet/${ref.uid}`, sts.spec?.replicas ?? 1);
    } else if (ref?.kind === 'ReplicaSet') {
      const rs = owns(owners.replicaSet(ns, ref.name));
      if (!rs) continue;
      const dref = controllerOf(rs);
      const d = dref?.kind === 'Deployment' ? owners.deployment(ns, dref.name) : undefined;
      if (d && d.metadata?.uid === dref?.uid) seen.set(`Deployment/${d.metadata?.uid}`, d.spec?.replicas ?? 1);
      else seen.set(`ReplicaSet/${rs.metadata?.uid}`, rs.spec?.replicas ?? 1);
    }
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

function resolve(v: IntOrString, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number.parseInt(v, 10) || 0;
}

/** The new status; `requeueAfterMs` when a disruptedPods entry will expire. */
export function budgetStatus(pdb: PodDisruptionBudget, pods: Pod[], owners: Owners, now: number): { status: PodDisruptionBudgetStatus; requeueAfterMs?: number } {
  let expectedPods: number;
  let desiredHealthy: number;
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    expectedPods = expectedScale(pods, owners);
    desiredHealthy = Math.max(0, expectedPods - resolve(maxUnavailable, expectedPods));
  } else if (typeof minAvailable === 'number') {
    expectedPods = pods.length;
    desiredHealthy = minAvailable;
  } else if (typeof minAvailable === 'string') {
    expectedPods = expectedScale(pods, owners);
    desiredHealthy = resolve(minAvailable, expectedPods);
  } else {
    expectedPods = pods.length;
    desiredHealthy = 0;
  }

  // Evictions the API recorded: kept until the pod is seen deleting or the entry is two minutes old.
  const byName = new Map(pods.map((p) => [p.metadata!.name!, p]));
  const disruptedPods: Record<string, string> = {};
  let nextExpiry: number | undefined;
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = byName.get(name);
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (!pod || pod.metadata?.deletionTimestamp || expires <= now) continue;
    disruptedPods[name] = at;
    nextExpiry = Math.min(nextExpiry ?? expires, expires);
  }
  const currentHealthy = pods.filter((p) => !p.metadata?.deletionTimestamp && !(p.metadata!.name! in disruptedPods) && isReady(p)).length;
  const disruptionsAllowed = expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);

  const generation = pdb.metadata?.generation ?? 1;
  const sufficient = disruptionsAllowed > 0;
  const cur = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
  const status = sufficient ? 'True' : 'False';
  const condition: Condition = {
    type: 'DisruptionAllowed',
    status,
    reason: sufficient ? 'SufficientPods' : 'InsufficientPods',
    message: '',
    observedGeneration: generation,
    lastTransitionTime: cur?.status === status && cur.lastTransitionTime ? cur.lastTransitionTime : new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
  };
  return {
    status: {
      currentHealthy, desiredHealthy, disruptionsAllowed, expectedPods, observedGeneration: generation,
      ...(Object.keys(disruptedPods).length ? { disruptedPods } : {}),
      conditions: [condition],
    },
    requeueAfterMs: nextExpiry === undefined ? undefined : nextExpiry - now + 1000,
  };
}
