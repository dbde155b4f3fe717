/**
 * Volumes and container environment on the node (kubelet-node): the VolumeManager and ContainerEnvironment
 * that kubelet-core's kuberuntime asks for, plus the pieces other kubelet-node parts reuse.
 */
export {
  NodeVolumeManager,
  volumeLocation,
  volumePlugin,
  type VolumeManagerConfig,
  type VolumeLocation,
} from './volume-manager.ts';
export { NodeContainerEnvironment, type NodeContainerEnvironmentConfig } from './container-environment.ts';
export { makeEnvironmentVariables, type EnvVar } from './env.ts';
export { expand, mappingFor } from './expansion.ts';
export { managedHostsFile, hostNetworkHostsFile, podHostname } from './hosts.ts';
export { PodDirs, type VolumePluginName } from './pod-dirs.ts';
export { SystemMounter, FakeMounter, type Mounter } from './mounter.ts';
export { ObjectCache } from './object-cache.ts';
export { ObjectNotFoundError, MapObjectSource, type ObjectSource, type ConfigMap, type Secret, type PersistentVolume, type PersistentVolumeClaim } from './objects.ts';
export { formatMap, type NodeFacts } from './fieldpath.ts';
export { writeAtomically, type Payload } from './atomic-writer.ts';
export {
  ServiceAccountTokenManager,
  type BoundTokenRequest,
  type IssuedToken,
  type TokenRequester,
  type TokenManagerConfig,
} from './token-manager.ts';
