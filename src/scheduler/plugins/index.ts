/**
 * The default profile's plugins, in kube-scheduler's order (default_plugins.go): filters run
 * NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread,
 * InterPodAffinity, VolumeBinding; score weights TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2,
 * NodeResourcesFit 1,
 * NodeResourcesBalancedAllocation 1, ImageLocality 1; DefaultBinder binds.
 */
import type { Client } from '../../client/index.ts';
import type { FrameworkConfig } from '../framework/index.ts';
import { DefaultBinder } from './default-binder/default-binder.ts';
import { InterPodAffinity } from './inter-pod-affinity/inter-pod-affinity.ts';
import { PodTopologySpread } from './pod-topology-spread/pod-topology-spread.ts';
import { NodeAffinity } from './node-affinity/node-affinity.ts';
import { NodeName } from './node-name/node-name.ts';
import { NodePorts } from './node-ports/node-ports.ts';
import { NodeResourcesFit } from './node-resources-fit/node-resources-fit.ts';
import { NodeUnschedulable } from './node-unschedulable/node-unschedulable.ts';
import { TaintToleration } from './taint-toleration/taint-toleration.ts';
import { VolumeBinding } from './volume-binding/volume-binding.ts';
import { NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation/node-resources-balanced-allocation.ts';
import { ImageLocality } from './image-locality/image-locality.ts';

export { DefaultBinder, ImageLocality, NodeResourcesBalancedAllocation, InterPodAffinity, PodTopologySpread, NodeAffinity, NodeName, NodePorts, NodeResourcesFit, NodeUnschedulable, TaintToleration, VolumeBinding };
export { tolerationsTolerateTaint, toleratesTaint, podMatchesNodeSelectorAndAffinityTerms, nodeSelectorTermMatches } from '../../api/index.ts';
export { fitsRequest, type InsufficientResource } from './node-resources-fit/node-resources-fit.ts';

export function defaultProfile(client: Client): FrameworkConfig {
  return {
    plugins: [
      new NodeUnschedulable(),
      new NodeName(),
      new TaintToleration(),
      new NodeAffinity(),
      new NodePorts(),
      new NodeResourcesFit(),
      new PodTopologySpread(),
      new InterPodAffinity({ client }),
      new NodeResourcesBalancedAllocation(),
      new ImageLocality(),
      new VolumeBinding(client),
      new DefaultBinder(client),
    ],
    weights: { TaintToleration: 3, NodeAffinity: 2, NodeResourcesFit: 1, InterPodAffinity: 2, PodTopologySpread: 2, NodeResourcesBalancedAllocation: 1, ImageLocality: 1 },
  };
}
