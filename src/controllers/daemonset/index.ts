/** The DaemonSet controller and its pure parts (node fit, daemon pods, update decisions, history). */
export { DaemonSetController, type DaemonSetControllerConfig } from './daemonset.ts';
export { nodeShouldRunDaemonPod, type NodeFit } from './node-fit.ts';
export { newDaemonPod, daemonPodTolerations, targetNodeName, CONTROLLER_REVISION_HASH, POD_TEMPLATE_GENERATION } from './daemon-pod.ts';
export { managePods, rollingUpdate, surgeAndUnavailable, type Actions, type NodePods } from './decisions.ts';
