/**
 * The message of a pod that fits nowhere, exactly as kube-scheduler's `FitError.Error()` writes it (users
 * and scripts read it in `kubectl describe` and in the PodScheduled condition):
 *
 *   0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3
 *   nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.
 *
 * Each node's reasons are counted, formatted `<count> <reason>`, sorted as strings and joined with ", ".
 * The part after "preemption:" is what DefaultPreemption's PostFilter reports; kubeling does not evict
 * victims yet, so nodes where preemption might help report that no victims were found.
 */
import type { Pod } from '../../api/index.ts';
import type { Status } from './status.ts';

export const NO_NODE_AVAILABLE = (n: number) => `0/${n} nodes are available`;
export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
/** The error when no node exists at all (handled as a scheduler error, retried with back-off). */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

export interface Diagnosis {
  numAllNodes: number;
  /** Each rejected node's status, by node name. */
  nodeStatuses: Map<string, Status>;
  /** Set when a PreFilter rejected the pod: replaces the per-node histogram. */
  preFilterMsg?: string;
  /** PostFilter (preemption) message. */
  postFilterMsg?: string;
}

function histogram(statuses: Iterable<Status>): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
}

function withPeriod(text: string): string {
  return ` ${text.replace(/\.$/, '')}.`;
}

export function fitErrorMessage(d: Diagnosis): string {
  let msg = `${NO_NODE_AVAILABLE(d.numAllNodes)}:`;
  if (d.preFilterMsg) msg += withPeriod(d.preFilterMsg);
  else {
    const reasons = histogram(d.nodeStatuses.values());
    if (reasons.length > 0) msg += withPeriod(reasons.join(', '));
  }
  if (d.postFilterMsg) msg += withPeriod(d.postFilterMsg);
  return msg;
}

/**
 * What DefaultPreemption's PostFilter says when it finds no candidate: nodes rejected as Unschedulable
 * could have been helped by evicting pods, the others (UnschedulableAndUnresolvable) could not.
 */
export function preemptionMessage(pod: Pod, d: Diagnosis): string {
  if (pod.spec?.preemptionPolicy === 'Never') return 'preemption: not eligible due to preemptionPolicy=Never';
  const statuses = new Map<string, Status>();
  for (let i = 0; i < d.numAllNodes; i++) statuses.set(`#${i}`, { code: 'UnschedulableAndUnresolvable', reasons: [PREEMPTION_NOT_HELPFUL] });
  if (!d.preFilterMsg) {
    let i = 0;
    for (const s of d.nodeStatuses.values()) {
      if (s.code === 'Unschedulable') statuses.set(`#${i}`, { code: 'Unschedulable', reasons: [NO_PREEMPTION_VICTIMS] });
      i++;
    }
  }
  return `preemption: ${fitErrorMessage({ numAllNodes: d.numAllNodes, nodeStatuses: statuses })}`;
}
