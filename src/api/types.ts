/**
 * Kubernetes object types used across kubeling, re-exported under their plain names.
 *
 * The object types are kubernetes-models' plain interfaces (timestamps are strings, quantities are
 * `string | number`), so what a handler holds is exactly the JSON on the wire. Types the models do
 * not have (meta.k8s.io Table, aggregated discovery, a generic WatchEvent, PartialObjectMetadata)
 * are declared here after their Go definitions in apimachinery.
 */
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import type { IListMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ListMeta';
import type { IStatus } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';

// meta/v1
export type { IObjectMeta as ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
export type { IListMeta as ListMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ListMeta';
export type { IStatus as Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
export type { IStatusCause as StatusCause } from '@kubernetes-models/apimachinery/apis/meta/v1/StatusCause';
export type { IStatusDetails as StatusDetails } from '@kubernetes-models/apimachinery/apis/meta/v1/StatusDetails';
export type { IOwnerReference as OwnerReference } from '@kubernetes-models/apimachinery/apis/meta/v1/OwnerReference';
export type { ILabelSelector as LabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
export type { ILabelSelectorRequirement as LabelSelectorRequirement } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelectorRequirement';
export type { IDeleteOptions as DeleteOptions } from '@kubernetes-models/apimachinery/apis/meta/v1/DeleteOptions';
export type { IPreconditions as Preconditions } from '@kubernetes-models/apimachinery/apis/meta/v1/Preconditions';
export type { IManagedFieldsEntry as ManagedFieldsEntry } from '@kubernetes-models/apimachinery/apis/meta/v1/ManagedFieldsEntry';
export type { ICondition as Condition } from '@kubernetes-models/apimachinery/apis/meta/v1/Condition';
export type { IAPIResource as APIResource } from '@kubernetes-models/apimachinery/apis/meta/v1/APIResource';
export type { IAPIResourceList as APIResourceList } from '@kubernetes-models/apimachinery/apis/meta/v1/APIResourceList';
export type { IAPIGroup as APIGroup } from '@kubernetes-models/apimachinery/apis/meta/v1/APIGroup';
export type { IAPIGroupList as APIGroupList } from '@kubernetes-models/apimachinery/apis/meta/v1/APIGroupList';
export type { IAPIVersions as APIVersions } from '@kubernetes-models/apimachinery/apis/meta/v1/APIVersions';
export type { IGroupVersionForDiscovery as GroupVersionForDiscovery } from '@kubernetes-models/apimachinery/apis/meta/v1/GroupVersionForDiscovery';
export type { IQuantity as QuantityValue } from '@kubernetes-models/apimachinery/api/resource/Quantity';
export type { IIntOrString as IntOrString } from '@kubernetes-models/apimachinery/util/intstr/IntOrString';

// core/v1
export type { IPod as Pod, IPodList as PodList } from 'kubernetes-models/v1';
export type {
  IPodSpec as PodSpec, IPodStatus as PodStatus, IPodCondition as PodCondition, IPodIP as PodIP,
  IPodSecurityContext as PodSecurityContext, IPodDNSConfig as PodDNSConfig, IPodReadinessGate as PodReadinessGate,
  IPodSchedulingGate as PodSchedulingGate, IPodTemplateSpec as PodTemplateSpec, IPodOS as PodOS,
  IContainer as Container, IEphemeralContainer as EphemeralContainer, IContainerPort as ContainerPort,
  IContainerStatus as ContainerStatus, IContainerState as ContainerState,
  IContainerStateWaiting as ContainerStateWaiting, IContainerStateRunning as ContainerStateRunning,
  IContainerStateTerminated as ContainerStateTerminated, ISecurityContext as SecurityContext,
  IEnvVar as EnvVar, IEnvVarSource as EnvVarSource, IEnvFromSource as EnvFromSource,
  IVolume as Volume, IVolumeMount as VolumeMount, IKeyToPath as KeyToPath,
  IProbe as Probe, ILifecycle as Lifecycle, ILifecycleHandler as LifecycleHandler,
  IHTTPGetAction as HTTPGetAction, ITCPSocketAction as TCPSocketAction, IExecAction as ExecAction,
  IGRPCAction as GRPCAction, ISleepAction as SleepAction,
  IResourceRequirements as ResourceRequirements, IToleration as Toleration, ITaint as Taint,
  IAffinity as Affinity, INodeAffinity as NodeAffinity, INodeSelector as NodeSelector,
  INodeSelectorTerm as NodeSelectorTerm, INodeSelectorRequirement as NodeSelectorRequirement,
  IPodAffinity as PodAffinity, IPodAntiAffinity as PodAntiAffinity, IPodAffinityTerm as PodAffinityTerm,
  IWeightedPodAffinityTerm as WeightedPodAffinityTerm, IPreferredSchedulingTerm as PreferredSchedulingTerm,
  ITopologySpreadConstraint as TopologySpreadConstraint, IHostAlias as HostAlias,
  ILocalObjectReference as LocalObjectReference, IObjectReference as ObjectReference,
  INode as Node, INodeList as NodeList, INodeSpec as NodeSpec, INodeStatus as NodeStatus,
  INodeCondition as NodeCondition, INodeAddress as NodeAddress, INodeSystemInfo as NodeSystemInfo,
  INodeDaemonEndpoints as NodeDaemonEndpoints,
  INamespace as Namespace, INamespaceList as NamespaceList, INamespaceSpec as NamespaceSpec,
  INamespaceStatus as NamespaceStatus,
  IEvent as Event, IEventList as EventList, IEventSource as EventSource, IEventSeries as EventSeries,
  IConfigMap as ConfigMap, IConfigMapList as ConfigMapList, ISecret as Secret, ISecretList as SecretList,
  IServiceAccount as ServiceAccount, IServiceAccountList as ServiceAccountList,
  IBinding as Binding,
  IService as Service, IServiceList as ServiceList, IServiceSpec as ServiceSpec, IServicePort as ServicePort,
  IServiceStatus as ServiceStatus, IEndpoints as Endpoints, IEndpointsList as EndpointsList, IEndpointSubset as EndpointSubset,
  IEndpointAddress as EndpointAddress, IEndpointPort as EndpointPort,
  IPersistentVolume as PersistentVolume, IPersistentVolumeList as PersistentVolumeList, IPersistentVolumeSpec as PersistentVolumeSpec,
  IPersistentVolumeClaim as PersistentVolumeClaim, IPersistentVolumeClaimList as PersistentVolumeClaimList,
  IPersistentVolumeClaimSpec as PersistentVolumeClaimSpec,
  IReplicationController as ReplicationController, IReplicationControllerList as ReplicationControllerList,
  IReplicationControllerSpec as ReplicationControllerSpec, IReplicationControllerStatus as ReplicationControllerStatus,
} from 'kubernetes-models/v1';
// other groups
export type { ILease as Lease, ILeaseList as LeaseList, ILeaseSpec as LeaseSpec } from 'kubernetes-models/coordination.k8s.io/v1';
export type { IEvent as EventsV1Event, IEventList as EventsV1EventList } from 'kubernetes-models/events.k8s.io/v1';
export type {
  IEndpointSlice as EndpointSlice, IEndpointSliceList as EndpointSliceList, IEndpoint as Endpoint,
  IEndpointConditions as EndpointConditions, IEndpointPort as EndpointSlicePort,
} from 'kubernetes-models/discovery.k8s.io/v1';
export type {
  IEviction as Eviction, IPodDisruptionBudget as PodDisruptionBudget, IPodDisruptionBudgetList as PodDisruptionBudgetList,
  IPodDisruptionBudgetSpec as PodDisruptionBudgetSpec, IPodDisruptionBudgetStatus as PodDisruptionBudgetStatus,
} from 'kubernetes-models/policy/v1';
export type { ITokenRequest as TokenRequest } from 'kubernetes-models/authentication.k8s.io/v1';
export type {
  IReplicaSet as ReplicaSet, IReplicaSetList as ReplicaSetList, IReplicaSetSpec as ReplicaSetSpec,
  IReplicaSetStatus as ReplicaSetStatus, IDeployment as Deployment, IDeploymentList as DeploymentList,
  IDeploymentSpec as DeploymentSpec, IDeploymentStatus as DeploymentStatus,
  IStatefulSet as StatefulSet, IStatefulSetList as StatefulSetList, IStatefulSetSpec as StatefulSetSpec,
  IStatefulSetStatus as StatefulSetStatus,
  IDaemonSet as DaemonSet, IDaemonSetList as DaemonSetList, IDaemonSetSpec as DaemonSetSpec, IDaemonSetStatus as DaemonSetStatus,
  IControllerRevision as ControllerRevision, IControllerRevisionList as ControllerRevisionList,
} from 'kubernetes-models/apps/v1';
export type {
  IJob as Job, IJobList as JobList, IJobSpec as JobSpec, IJobStatus as JobStatus, IJobCondition as JobCondition,
  IJobTemplateSpec as JobTemplateSpec, IPodFailurePolicy as PodFailurePolicy, IPodFailurePolicyRule as PodFailurePolicyRule,
  IUncountedTerminatedPods as UncountedTerminatedPods, ICronJob as CronJob, ICronJobList as CronJobList,
  ICronJobSpec as CronJobSpec, ICronJobStatus as CronJobStatus,
} from 'kubernetes-models/batch/v1';
export type {
  ICertificateSigningRequest as CertificateSigningRequest, ICertificateSigningRequestCondition as CertificateSigningRequestCondition,
} from 'kubernetes-models/certificates.k8s.io/v1';
export type {
  IResourceQuota as ResourceQuota, IResourceQuotaSpec as ResourceQuotaSpec, IResourceQuotaStatus as ResourceQuotaStatus,
  ILimitRange as LimitRange, ILimitRangeItem as LimitRangeItem,
} from 'kubernetes-models/v1';
export type { IPriorityClass as PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1';
export type { IRuntimeClass as RuntimeClass } from 'kubernetes-models/node.k8s.io/v1';
export type { IStorageClass as StorageClass, IStorageClassList as StorageClassList } from 'kubernetes-models/storage.k8s.io/v1';
export type {
  IRole as Role, IClusterRole as ClusterRole, IRoleBinding as RoleBinding, IClusterRoleBinding as ClusterRoleBinding,
  IPolicyRule as PolicyRule, IRoleRef as RoleRef, ISubject as Subject, IAggregationRule as AggregationRule,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
export type {
  IMutatingWebhookConfiguration as MutatingWebhookConfiguration, IValidatingWebhookConfiguration as ValidatingWebhookConfiguration,
  IMutatingWebhook as MutatingWebhook, IValidatingWebhook as ValidatingWebhook, IRuleWithOperations as RuleWithOperations,
  IWebhookClientConfig as WebhookClientConfig, IMatchCondition as MatchCondition,
  IValidatingAdmissionPolicy as ValidatingAdmissionPolicy, IValidatingAdmissionPolicyBinding as ValidatingAdmissionPolicyBinding,
  IMatchResources as MatchResources, INamedRuleWithOperations as NamedRuleWithOperations,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';

/**
 * settings.k8s.io/v1alpha1 PodPreset, as Kubernetes 1.19 had it (removed upstream in 1.20; kubernetes-models has
 * no type for it): what its selector's pods get injected at creation.
 */
type PodPresetSelector = import('@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector').ILabelSelector;
type PodPresetContainer = import('kubernetes-models/v1').IContainer;
type PodPresetPodSpec = import('kubernetes-models/v1').IPodSpec;
export interface PodPreset {
  apiVersion?: 'settings.k8s.io/v1alpha1';
  kind?: 'PodPreset';
  metadata?: IObjectMeta;
  spec?: {
    selector?: PodPresetSelector;
    env?: PodPresetContainer['env'];
    envFrom?: PodPresetContainer['envFrom'];
    volumes?: PodPresetPodSpec['volumes'];
    volumeMounts?: PodPresetContainer['volumeMounts'];
  };
}

/** Any API object: what generic code (storage, watch, tables, patches) handles. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: IObjectMeta;
  [field: string]: unknown;
}

/** A list of objects as the API returns it (`PodList`, ...). */
export interface KubeList<T = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: IListMeta;
  items: T[];
}

/** meta.k8s.io/v1 PartialObjectMetadata: what a Table row carries by default. */
export interface PartialObjectMetadata {
  apiVersion: 'meta.k8s.io/v1';
  kind: 'PartialObjectMetadata';
  metadata: IObjectMeta;
}

/** meta.k8s.io/v1 TableColumnDefinition. */
export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** OpenAPI format: '' or name, date-time, ... */
  format: string;
  description: string;
  /** 0 = always shown; higher = only with -o wide. */
  priority: number;
}

/** meta.k8s.io/v1 TableRow. */
export interface TableRow {
  cells: unknown[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  /** PartialObjectMetadata (default), the full object (includeObject=Object) or absent (None). */
  object?: KubeObject | PartialObjectMetadata;
}

/** meta.k8s.io/v1 Table: server-side printing (`kubectl get`). */
export interface Table {
  apiVersion: 'meta.k8s.io/v1';
  kind: 'Table';
  metadata: IListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One event of a watch stream; for ERROR the object is a Status. */
export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T | IStatus;
}

// Aggregated discovery (apidiscovery.k8s.io/v2), which kubectl 1.32 asks for first.
export interface APIGroupDiscoveryList {
  apiVersion: 'apidiscovery.k8s.io/v2';
  kind: 'APIGroupDiscoveryList';
  metadata: IListMeta;
  items: APIGroupDiscovery[];
}
export interface APIGroupDiscovery {
  metadata: { name?: string; creationTimestamp?: null };
  versions: APIVersionDiscovery[];
}
export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness?: 'Current' | 'Stale';
}
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}
export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}
export interface APISubresourceDiscovery {
  subresource: string;
  responseKind?: GroupVersionKind;
  acceptedTypes?: GroupVersionKind[];
  verbs: string[];
}

/** Pod QoS classes, spelled as in status.qosClass. */
export type PodQOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';
