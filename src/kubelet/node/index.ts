/** The node: machine facts, the Node object's labels/capacity/conditions, registration, status and lease. */
export { NodeAgent, type NodeAgentConfig } from './node-agent.ts';
export {
  buildNode,
  nodeStatus,
  nodeConditions,
  nodeLabels,
  statusChanged,
  KUBELET_VERSION,
  MAX_PODS,
  type Node,
  type NodeFacts,
  type NodeHealth,
} from './node-status.ts';
export { readMachineInfo, defaultNodeIP, type MachineInfo } from './machine.ts';
