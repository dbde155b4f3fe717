/** Simulated nodes: many kubelet-like nodes in one process, with pods scripted by annotations (no runtime). */
export { SimulatedNodes, simulatedNodeAddresses, type SimulatedNodeSpec, type SimulatedNodesConfig } from './simulated-nodes.ts';
export { SimulatedPod } from './simulated-pod.ts';
export { podScript, START_DELAY_ANNOTATION, EXIT_AFTER_ANNOTATION, EXIT_CODE_ANNOTATION, type PodScript } from './pod-script.ts';
