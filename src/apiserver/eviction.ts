/**
 * The eviction subresource's disruption-budget check, as upstream's `pkg/registry/core/pod/storage/eviction.go`:
 * before an eviction deletes a pod, the one PodDisruptionBudget selecting it must allow a disruption. Allowed:
 * its `disruptionsAllowed` goes down by one and the pod is recorded in `disruptedPods`, written with the
 * budget's resourceVersion as precondition (a concurrent eviction makes it read again). Refused: 429
 * TooManyRequests with a `DisruptionBudget` cause, which `kubectl drain` retries.
 *
 *   pod terminal, pending or already deleting   → no budget needed
 *   no budget selects it                        → allowed
 *   more than one                               → 500 (unsupported, as upstream)
 *   pod not ready: AlwaysAllow, or IfHealthyBudget with currentHealthy ≥ desiredHealthy → allowed, no decrement
 *   status not observed for this generation     → 429 "still being processed"
 *   disruptionsAllowed == 0                     → 429 "needs N healthy pods and has M currently"
 */
import type { KubeObject, Pod, PodDisruptionBudget } from '../api/index.ts';
import { labelSelectorFromObject } from '../api/index.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { timestamp } from './registry/generic.ts';
import { ApiError, forbidden } from './status.ts';

export const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";
const MAX_DISRUPTED_PODS = 2000;

const tooManyRequests = (cause: string) =>
  new ApiError(429, 'TooManyRequests', EVICTION_REFUSED, { retryAfterSeconds: 0, causes: [{ reason: 'DisruptionBudget', message: cause }] });

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The budget check for evicting `pod`; throws the refusal, or records the disruption and returns. */
export async function checkDisruptionBudget(pdbs: GenericRegistry, pod: Pod, now: number, dryRun: boolean): Promise<void> {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata?.deletionTimestamp) return;
  const ns = pod.metadata!.namespace!;
  for (let attempt = 0; ; attempt++) {
    const all = (await pdbs.list(ns)).items as unknown as PodDisruptionBudget[];
    const matching = all.filter((b) => {
      try {
        return labelSelectorFromObject(b.spec?.selector).matches(pod.metadata?.labels ?? {});
      } catch {
        return false; // an invalid selector matches no pod
      }
    });
    if (matching.length === 0) return;
    if (matching.length > 1) {
      throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    }
    const pdb = matching[0]!;
    const s = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0, ...pdb.status };
    if (!isReady(pod)) {
      if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return;
      if (s.currentHealthy >= s.desiredHealthy && s.desiredHealthy > 0) return;
    }
    const name = pdb.metadata!.name!;
    if ((s.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 1)) {
      throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`);
    }
    const ref = { group: 'policy', resource: 'poddisruptionbudgets' };
    if (s.disruptionsAllowed < 0) throw forbidden(ref, name, 'pdb disruptions allowed is negative');
    if (Object.keys(s.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) throw forbidden(ref, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    if (s.disruptionsAllowed === 0) {
      throw tooManyRequests(`The disruption budget ${name} needs ${s.desiredHealthy} healthy pods and has ${s.currentHealthy} currently`);
    }
    if (dryRun) return;
    try {
      await pdbs.guaranteedUpdate(ns, name, { subresource: 'status' }, (current) => {
        const next = structuredClone(current) as unknown as PodDisruptionBudget;
        next.status = {
          ...s,
          disruptionsAllowed: s.disruptionsAllowed - 1,
          disruptedPods: { ...s.disruptedPods, [pod.metadata!.name!]: timestamp(now) },
        };
        return next as unknown as KubeObject;
      }, pdb.metadata?.resourceVersion);
      return;
    } catch (err) {
      // Another eviction took a disruption meanwhile: decide again on the budget as it is now.
      if (!(err instanceof ApiError && err.code === 409) || attempt >= 4) throw err;
    }
  }
}
