/**
 * Which nodes should run a DaemonSet's pod (upstream's NodeShouldRunDaemonPod): the pod as it would be
 * created for the node must match the node's name (when the template names one), its labels (nodeSelector
 * and required node affinity) and tolerate its NoSchedule and NoExecute taints. A node whose taints are not
 * tolerated keeps a pod already there as long as every NoExecute taint is tolerated.
 */
import { podMatchesNodeSelectorAndAffinityTerms, untoleratedTaint, type Node, type Pod } from '../../api/index.ts';

export interface NodeFit {
  /** A daemon pod should be created on the node. */
  shouldRun: boolean;
  /** A daemon pod already on the node may stay. */
  shouldContinueRunning: boolean;
}

/** The pod's nodeSelector and required node affinity against the node's labels and name (the shared matcher). */
export const fitsNodeAffinity = podMatchesNodeSelectorAndAffinityTerms;
export { untoleratedTaint };

/** `pod` is the daemon pod as it would be created for this node (newDaemonPod), tolerations included. */
export function nodeShouldRunDaemonPod(pod: Pod, node: Node): NodeFit {
  const nodeName = pod.spec?.nodeName;
  if ((nodeName && nodeName !== node.metadata?.name) || !fitsNodeAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  if (untoleratedTaint(taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: !untoleratedTaint(taints, pod.spec?.tolerations, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}
