/**
 * The client module's public surface: `Client` (REST over HTTPS with a keep-alive agent), per-resource
 * verbs, watch streams, `ApiError` and its predicates, `Informer` (list+watch cache) and `EventRecorder`.
 * Imports api and machinery only.
 */
export { Client } from './client.ts';
export type { ClientConfig, RequestOptions } from './transport.ts';
export { loadKubeconfig, type KubeconfigResult } from './kubeconfig.ts';
export {
  ResourceClient,
  type ResourceRef,
  type KubeObjectLike,
  type ObjectList,
  type PatchType,
  type CallOptions,
  type WriteOptions,
  type PatchOptions,
  type ListOptions,
  type DeleteOptions,
  type SubresourceClient,
  type SubresourceCallOptions,
} from './resource.ts';
export type { WatchEvent, WatchEventType, WatchOptions } from './watch.ts';
export type { InProcessReads, InProcessListRequest, InProcessWatchRequest } from './in-process.ts';
export { ApiError, isNotFound, isConflict, isAlreadyExists, isGone, isInvalid, type Status } from './errors.ts';
export { Informer, objectKey, type InformerConfig, type AddHandler, type UpdateHandler, type DeleteHandler } from './informer.ts';
export { SharedInformers, informerOf, type SharedInformersConfig, type SharedInformerOptions } from './shared-informers.ts';
export { EventRecorder, type EventRecorderConfig, type EventOptions, type EventType } from './events.ts';
export {
  LeaderElector, runLeaderElection, defaultIdentity, microTime, type LeaderElectionConfig, type Lease,
  DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS,
} from './leaderelection/leader-election.ts';
