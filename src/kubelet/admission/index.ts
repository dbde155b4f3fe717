/** Node-side pod admission: sysctls, resources, host ports, node selector/affinity, NoExecute taints, AppArmor. */
export {
  admitPod,
  isStaticPod,
  matchesNodeSelectorAndAffinity,
  podRequestAmounts,
  tolerates,
  type AdmitResult,
} from './predicates.ts';
export { SAFE_SYSCTLS, SysctlAllowlist, SysctlAllowlistError } from './sysctls.ts';
export { admitAppArmor, hostAppArmorEnabled, requiresAppArmor } from './apparmor.ts';
