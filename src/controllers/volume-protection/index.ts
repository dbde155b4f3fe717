/** PVC and PV protection: the finalizers that keep storage in use from going away. */
export { VolumeProtectionController, podUsesClaim, PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER, type VolumeProtectionControllerConfig } from './volume-protection.ts';
