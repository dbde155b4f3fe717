/** NodeName: a pod that names its node (`spec.nodeName`) fits only that node. */
import type { Pod } from '../../../api/index.ts';
import { unresolvable, type CycleState, type FilterPlugin, type NodeInfo, type Status } from '../../framework/index.ts';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin {
  readonly name = 'NodeName';

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const wanted = pod.spec?.nodeName;
    if (wanted && wanted !== nodeInfo.name) return unresolvable(ERR_REASON_NODE_NAME);
    return undefined;
  }
}
