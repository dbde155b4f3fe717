/** Node-side pod admission: resources, host ports, node selector/affinity and NoExecute taints. */
export {
  admitPod,
  isStaticPod,
  matchesNodeSelectorAndAffinity,
  podRequestAmounts,
  tolerates,
  type AdmitResult,
} from './predicates.ts';
