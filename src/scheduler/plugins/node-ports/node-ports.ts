/** NodePorts: the host ports a pod asks for must be free on the node (same protocol and port, overlapping IP). */
import type { Pod } from '../../../api/index.ts';
import {
  hostPortsConflict, podHostPorts, skip, unschedulable,
  type CycleState, type FilterPlugin, type HostPort, type NodeInfo, type PreFilterPlugin, type Status,
} from '../../framework/index.ts';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
const STATE_KEY = 'PreFilterNodePorts';

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = 'NodePorts';

  preFilter(state: CycleState, pod: Pod): Status | undefined {
    const ports = podHostPorts(pod);
    state.write(STATE_KEY, ports);
    // No host ports: nothing can conflict (upstream's Skip).
    return ports.length === 0 ? skip() : undefined;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const wanted = state.read<HostPort[]>(STATE_KEY);
    if (wanted.length === 0) return undefined;
    for (const w of wanted) {
      if (nodeInfo.usedPorts.some((u) => hostPortsConflict(w, u))) return unschedulable(ERR_REASON_PORTS);
    }
    return undefined;
  }
}
