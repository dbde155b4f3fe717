/** Pod workers (one per UID) and the kubelet's sync steps they run. */
export {
  PodWorkers,
  type PodSyncer,
  type PodUpdate,
  type PodUpdateType,
  type PodWorkerState,
  type PodWorkersConfig,
} from './pod-workers.ts';
export { KubeletPodSyncer, type KubeletPodSyncerConfig } from './kubelet-pod-syncer.ts';
