/** Controllers: the reconcile harness and the controllers built on it. Imports api, client and machinery only. */
export { Controller, type ControllerConfig, type ReconcileResult } from './controller.ts';
export { ReplicaSetController, controllerRef, deletionOrder, REPLICA_SET_KIND, type ReplicaSetControllerConfig, type ReplicatedKind } from './replicaset/replicaset.ts';
export { ReplicationManager, REPLICATION_CONTROLLER_KIND, type ReplicationManagerConfig } from './replicationcontroller/index.ts';
export { DaemonSetController, type DaemonSetControllerConfig } from './daemonset/index.ts';
export { GarbageCollector, type GarbageCollectorConfig } from './gc/garbage-collector.ts';
export { DeploymentController, podTemplateHash, resolveIntOrPercent, POD_TEMPLATE_HASH, REVISION_ANNOTATION, type DeploymentControllerConfig } from './deployment/deployment.ts';
export { EndpointSliceController, CONTROLLER_NAME as ENDPOINTSLICE_CONTROLLER_NAME, DEFAULT_MAX_ENDPOINTS_PER_SLICE, type EndpointSliceControllerConfig } from './endpointslice/index.ts';
export { EndpointsController, type EndpointsControllerConfig } from './endpoints/index.ts';
export { ServiceLBController, loadBalancerIngress, type ServiceLBControllerConfig } from './servicelb/servicelb.ts';
export { NodeLifecycleController, type NodeLifecycleControllerConfig } from './node-lifecycle/index.ts';
export { TaintEvictionController, type TaintEvictionControllerConfig } from './taint-eviction/index.ts';
export { PodGCController, DEFAULT_TERMINATED_POD_GC_THRESHOLD, type PodGCControllerConfig } from './podgc/index.ts';
export { JobController, isJobFinished, podIndex, JOB_INDEX_FAILURE_COUNT_ANNOTATION, type JobControllerConfig } from './job/index.ts';
export { TTLAfterFinishedController, jobExpiresAt, type TTLAfterFinishedControllerConfig } from './ttl-after-finished/index.ts';
export { CronJobController, CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobControllerConfig } from './cronjob/index.ts';
export { DisruptionController, type DisruptionControllerConfig } from './disruption/index.ts';
export { StatefulSetController, type StatefulSetControllerConfig } from './statefulset/index.ts';
export { VolumeBindingController, volumeMatches, BIND_COMPLETED_ANNOTATION, type VolumeBindingControllerConfig } from './volume-binding/index.ts';
