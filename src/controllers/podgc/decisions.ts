/**
 * Pod GC's pure choices (upstream's gcTerminated, gcTerminating, gcOrphaned and gcUnscheduledTerminating),
 * each over the cached pods and nodes:
 *
 *   terminated     Succeeded/Failed pods beyond --terminated-pod-gc-threshold, evicted ones first, then
 *                  oldest first
 *   terminating    terminating pods on a node that is not Ready and carries node.kubernetes.io/out-of-service
 *   orphaned       pods bound to a node that does not exist (after a quarantine, see podgc.ts)
 *   unscheduled    terminating pods never bound to a node
 */
import type { Node, Pod } from '../../api/index.ts';

export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

export const isTerminated = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isTerminating = (p: Pod) => !!p.metadata?.deletionTimestamp;

function byEvictionAndCreation(a: Pod, b: Pod): number {
  const ea = a.status?.reason === 'Evicted' ? 0 : 1;
  const eb = b.status?.reason === 'Evicted' ? 0 : 1;
  if (ea !== eb) return ea - eb;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The terminated pods to delete so that at most `threshold` remain (none when threshold <= 0). */
export function terminatedToDelete(pods: Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter((p) => isTerminated(p) && !isTerminating(p)).sort(byEvictionAndCreation);
  return terminated.slice(0, Math.max(0, terminated.length - threshold));
}

/** Terminating pods on nodes that are not Ready and are marked out of service. */
export function terminatingOnOutOfServiceNodes(pods: Pod[], nodes: Node[]): Pod[] {
  const outOfService = new Set(
    nodes.filter((n) => {
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return !ready && (n.spec?.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE);
    }).map((n) => n.metadata!.name!),
  );
  return pods.filter((p) => isTerminating(p) && p.spec?.nodeName && outOfService.has(p.spec.nodeName));
}

/** The node names pods are bound to that are not among `nodes`. */
export function missingNodes(pods: Pod[], nodes: Node[]): Set<string> {
  const have = new Set(nodes.map((n) => n.metadata!.name!));
  return new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n && !have.has(n)));
}

/** Terminating pods that were never scheduled. */
export function unscheduledTerminating(pods: Pod[]): Pod[] {
  return pods.filter((p) => isTerminating(p) && !p.spec?.nodeName);
}
