/** Pod → runtime calls: the plan (computePodActions), its execution (KubeRuntimeManager), configs, labels. */
export type { ContainerEnvironment, VolumeManager } from './container-environment.ts';
export {
  RecordingEventRecorder,
  containerFieldPath,
  type EventRecorder,
  type EventOptions,
  type EventType,
} from './events.ts';
export {
  computePodActions,
  podSandboxChanged,
  shouldRestartContainer,
  shouldRestartOnFailure,
  type ContainerToKill,
  type PodActions,
  type ProbeResult,
  type ProbeResultsView,
} from './compute-pod-actions.ts';
export {
  KubeRuntimeManager,
  ReasonCache,
  SyncError,
  defaultPullPolicy,
  formatDuration,
  type KubeRuntimeManagerConfig,
  type SyncErrorReason,
  type SyncResult,
} from './kube-runtime-manager.ts';
export {
  ContainerConfigError,
  generateContainerConfig,
  generatePodSandboxConfig,
  podLogDirectory,
  podHostname,
} from './container-config.ts';
export { containerLinuxResources, podCgroupParent, podLinuxResources } from './resources.ts';
export * from './runtime-pod.ts';
export { credentialsFor, nodeCredentialsFor } from './pull-secrets.ts';
export * from './container-gc.ts';
