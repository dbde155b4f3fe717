/**
 * Strategic-merge metadata: which lists merge by key (the `patchStrategy`/`patchMergeKey` struct
 * tags of k8s.io/api) for the kinds kubeling serves. Lists not named here are atomic (replaced
 * whole, e.g. tolerations, command, args, containerStatuses); maps and structs merge field by field.
 */

export interface FieldMeta {
  /** Type name of the field's value (or of its list elements). */
  type?: string;
  /** `merge`: merge the list by `key` (or as a set of scalars when there is no key). */
  list?: 'merge';
  key?: string;
}

export type TypeMeta = Record<string, FieldMeta>;

const meta = (type?: string): FieldMeta => (type ? { type } : {});
const byKey = (key: string, type?: string): FieldMeta => ({ list: 'merge', key, ...(type ? { type } : {}) });

export const PATCH_META: Record<string, TypeMeta> = {
  ObjectMeta: { finalizers: { list: 'merge' }, ownerReferences: byKey('uid') },
  // core/v1
  Pod: { metadata: meta('ObjectMeta'), spec: meta('PodSpec'), status: meta('PodStatus') },
  PodSpec: {
    volumes: byKey('name', 'Volume'),
    initContainers: byKey('name', 'Container'),
    containers: byKey('name', 'Container'),
    ephemeralContainers: byKey('name', 'Container'),
    imagePullSecrets: byKey('name'),
    hostAliases: byKey('ip'),
    topologySpreadConstraints: byKey('topologyKey'),
    schedulingGates: byKey('name'),
    resourceClaims: byKey('name'),
  },
  Container: {
    ports: byKey('containerPort'),
    env: byKey('name'),
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
  },
  PodStatus: {
    conditions: byKey('type'),
    podIPs: byKey('ip'),
    hostIPs: byKey('ip'),
    resourceClaimStatuses: byKey('name'),
  },
  PodTemplateSpec: { metadata: meta('ObjectMeta'), spec: meta('PodSpec') },
  Node: { metadata: meta('ObjectMeta'), spec: meta('NodeSpec'), status: meta('NodeStatus') },
  NodeSpec: { podCIDRs: { list: 'merge' } },
  NodeStatus: { conditions: byKey('type'), addresses: byKey('type') },
  Namespace: { metadata: meta('ObjectMeta'), status: meta('NamespaceStatus') },
  NamespaceStatus: { conditions: byKey('type') },
  ServiceAccount: { metadata: meta('ObjectMeta'), secrets: byKey('name') },
  ConfigMap: { metadata: meta('ObjectMeta') },
  Secret: { metadata: meta('ObjectMeta') },
  Event: { metadata: meta('ObjectMeta') },
  Lease: { metadata: meta('ObjectMeta') },
  Binding: { metadata: meta('ObjectMeta') },
  // apps/v1
  Deployment: { metadata: meta('ObjectMeta'), spec: meta('DeploymentSpec'), status: meta('WorkloadStatus') },
  DeploymentSpec: { template: meta('PodTemplateSpec') },
  ReplicaSet: { metadata: meta('ObjectMeta'), spec: meta('ReplicaSetSpec'), status: meta('WorkloadStatus') },
  ReplicaSetSpec: { template: meta('PodTemplateSpec') },
  StatefulSet: { metadata: meta('ObjectMeta'), spec: meta('StatefulSetSpec'), status: meta('WorkloadStatus') },
  StatefulSetSpec: { template: meta('PodTemplateSpec') },
  DaemonSet: { metadata: meta('ObjectMeta'), spec: meta('DaemonSetSpec'), status: meta('WorkloadStatus') },
  DaemonSetSpec: { template: meta('PodTemplateSpec') },
  ControllerRevision: { metadata: meta('ObjectMeta') },
  ReplicationController: { metadata: meta('ObjectMeta'), spec: meta('ReplicationControllerSpec'), status: meta('WorkloadStatus') },
  ReplicationControllerSpec: { template: meta('PodTemplateSpec') },
  WorkloadStatus: { conditions: byKey('type') },
  PersistentVolume: { metadata: meta('ObjectMeta') },
  PersistentVolumeClaim: { metadata: meta('ObjectMeta'), status: meta('PersistentVolumeClaimStatus') },
  PersistentVolumeClaimStatus: { conditions: byKey('type') },
  StorageClass: { metadata: meta('ObjectMeta') },
};
