/**
 * Validation entry points by resource: create, update (immutability) and status update. Each
 * returns Kubernetes-style FieldErrors (empty = valid); the apiserver turns a non-empty list into a
 * 422 Invalid Status with `invalidMessage(kind, name, errs)` and one cause per error.
 */
import { validatePodDisruptionBudget } from './policy.ts';
import { validateWebhookConfiguration } from './admissionregistration.ts';
import { validatePodPreset } from './pod-preset.ts';
import type { PodPreset } from '../types.ts';
import { validateValidatingAdmissionPolicy, validateValidatingAdmissionPolicyBinding } from './admission-policy.ts';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../types.ts';
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from '../types.ts';
import { validateBindingUpdate, validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from './rbac.ts';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../types.ts';
import type { PodDisruptionBudget } from '../types.ts';
import type {
  ConfigMap, DaemonSet, Deployment, EndpointSlice, ReplicationController, Endpoints, Event, EventsV1Event, KubeObject, Lease, Namespace, Node, Pod, ReplicaSet, Secret, Service,
  ServiceAccount, Job, CronJob, StatefulSet, PersistentVolume, PersistentVolumeClaim, StorageClass, PriorityClass, RuntimeClass,
} from '../types.ts';
import { invalid, type FieldError } from '../field-error.ts';
import { toResourceInfo, type ResourceRef } from '../resources.ts';
import { nameIsDNSSubdomain } from './names.ts';
import { validateDaemonSet, validateReplicationController } from './daemonset.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validateBinding, validatePodCreate, validatePodEphemeralContainersUpdate, validatePodStatusUpdate, validatePodUpdate } from './pod.ts';
import {
  validateConfigMap, validateConfigMapUpdate, validateDeployment, validateEvent, validateEventsV1Event, validateLease,
  validateNamespace, validateNamespaceUpdate, validateNode, validateNodeUpdate, validateReplicaSet, validateSecret,
  validateSecretUpdate, validateSelectorImmutable, validateTokenRequest,
} from './core.ts';
import { validateCronJob, validateCronJobUpdate, validateJob, validateJobUpdate } from './batch.ts';
import {
  validatePersistentVolume, validatePersistentVolumeClaim, validatePersistentVolumeClaimUpdate, validatePersistentVolumeUpdate,
  validateStorageClass, validateStorageClassUpdate,
} from './storage.ts';
import { validateStatefulSet, validateStatefulSetUpdate } from './statefulset.ts';
import { validatePriorityClass, validatePriorityClassUpdate } from './scheduling.ts';
import {
  validateLimitRange, validateLimitRangeUpdate, validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate,
} from './quota.ts';
import type { LimitRange, ResourceQuota } from '../types.ts';
import { validateRuntimeClass, validateRuntimeClassUpdate } from './node-k8s-io.ts';
import { validateEndpointSlice, validateEndpoints, validateService, validateServiceStatusUpdate, validateServiceUpdate } from './service.ts';

function key(resource: ResourceRef): string {
  const info = toResourceInfo(resource);
  return `${info.group}/${info.plural}`;
}

/** Validation of a new object (create), after defaulting. */
export function validateObject(resource: ResourceRef, obj: object): FieldError[] {
  const o = obj as KubeObject;
  switch (key(resource)) {
    case '/pods': return validatePodCreate(o as unknown as Pod);
    case '/nodes': return validateNode(o as unknown as Node);
    case '/namespaces': return validateNamespace(o as unknown as Namespace);
    case '/configmaps': return validateConfigMap(o as unknown as ConfigMap);
    case '/secrets': return validateSecret(o as unknown as Secret);
    case '/serviceaccounts': return validateObjectMeta((o as unknown as ServiceAccount).metadata, true, nameIsDNSSubdomain);
    case '/events': return validateEvent(o as unknown as Event);
    case 'events.k8s.io/events': return validateEventsV1Event(o as unknown as EventsV1Event);
    case 'coordination.k8s.io/leases': return validateLease(o as unknown as Lease);
    case '/bindings': return validateBinding(o);
    case 'apps/replicasets': return validateReplicaSet(o as unknown as ReplicaSet);
    case 'apps/deployments': return validateDeployment(o as unknown as Deployment);
    case 'apps/statefulsets': return validateStatefulSet(o as unknown as StatefulSet);
    case '/persistentvolumes': return validatePersistentVolume(o as unknown as PersistentVolume);
    case '/persistentvolumeclaims': return validatePersistentVolumeClaim(o as unknown as PersistentVolumeClaim);
    case 'storage.k8s.io/storageclasses': return validateStorageClass(o as unknown as StorageClass);
    case 'scheduling.k8s.io/priorityclasses': return validatePriorityClass(o as unknown as PriorityClass);
    case '/resourcequotas': return validateResourceQuota(o as unknown as ResourceQuota);
    case '/limitranges': return validateLimitRange(o as unknown as LimitRange);
    case 'node.k8s.io/runtimeclasses': return validateRuntimeClass(o as unknown as RuntimeClass);
    case 'admissionregistration.k8s.io/mutatingwebhookconfigurations': return validateWebhookConfiguration(o as unknown as MutatingWebhookConfiguration, true);
    case 'admissionregistration.k8s.io/validatingwebhookconfigurations': return validateWebhookConfiguration(o as unknown as ValidatingWebhookConfiguration, false);
    case 'settings.k8s.io/podpresets': return validatePodPreset(o as unknown as PodPreset);
    case 'admissionregistration.k8s.io/validatingadmissionpolicies': return validateValidatingAdmissionPolicy(o as unknown as ValidatingAdmissionPolicy);
    case 'admissionregistration.k8s.io/validatingadmissionpolicybindings': return validateValidatingAdmissionPolicyBinding(o as unknown as ValidatingAdmissionPolicyBinding);
    case 'apps/daemonsets': return validateDaemonSet(o as unknown as DaemonSet);
    case '/replicationcontrollers': return validateReplicationController(o as unknown as ReplicationController);
    case '/services': return validateService(o as unknown as Service);
    case '/endpoints': return validateEndpoints(o as unknown as Endpoints);
    case 'discovery.k8s.io/endpointslices': return validateEndpointSlice(o as unknown as EndpointSlice);
    case 'batch/jobs': return validateJob(o as unknown as Job);
    case 'batch/cronjobs': return validateCronJob(o as unknown as CronJob);
    case 'policy/poddisruptionbudgets': return validatePodDisruptionBudget(o as unknown as PodDisruptionBudget);
    case 'rbac.authorization.k8s.io/roles': return validateRole(o as unknown as Role);
    case 'rbac.authorization.k8s.io/clusterroles': return validateClusterRole(o as unknown as ClusterRole);
    case 'rbac.authorization.k8s.io/rolebindings': return validateRoleBinding(o as unknown as RoleBinding);
    case 'rbac.authorization.k8s.io/clusterrolebindings': return validateClusterRoleBinding(o as unknown as ClusterRoleBinding);
    default: return validateObjectMeta(o.metadata, toResourceInfo(resource).namespaced, nameIsDNSSubdomain);
  }
}

/** Validation of an update (PUT/PATCH of the main resource): the new object's validity plus what may not change. */
export function validateObjectUpdate(resource: ResourceRef, obj: object, old: object): FieldError[] {
  const o = obj as KubeObject;
  const p = old as KubeObject;
  switch (key(resource)) {
    case '/pods': return validatePodUpdate(o as unknown as Pod, p as unknown as Pod);
    case '/nodes': return validateNodeUpdate(o as unknown as Node, p as unknown as Node);
    case '/namespaces': return validateNamespaceUpdate(o as unknown as Namespace, p as unknown as Namespace);
    case '/configmaps': return validateConfigMapUpdate(o as unknown as ConfigMap, p as unknown as ConfigMap);
    case '/secrets': return validateSecretUpdate(o as unknown as Secret, p as unknown as Secret);
    case '/services': return validateServiceUpdate(o as unknown as Service, p as unknown as Service);
    case '/endpoints': return validateEndpoints(o as unknown as Endpoints, p as unknown as Endpoints);
    case 'discovery.k8s.io/endpointslices': return validateEndpointSlice(o as unknown as EndpointSlice, p as unknown as EndpointSlice);
    case 'batch/jobs': return validateJobUpdate(o as unknown as Job, p as unknown as Job);
    case 'batch/cronjobs': return validateCronJobUpdate(o as unknown as CronJob, p as unknown as CronJob);
    case 'apps/statefulsets': return validateStatefulSetUpdate(o as unknown as StatefulSet, p as unknown as StatefulSet);
    case '/persistentvolumes': return validatePersistentVolumeUpdate(o as unknown as PersistentVolume, p as unknown as PersistentVolume);
    case '/persistentvolumeclaims': return validatePersistentVolumeClaimUpdate(o as unknown as PersistentVolumeClaim, p as unknown as PersistentVolumeClaim);
    case 'storage.k8s.io/storageclasses': return validateStorageClassUpdate(o as unknown as StorageClass, p as unknown as StorageClass);
    case 'scheduling.k8s.io/priorityclasses': return validatePriorityClassUpdate(o as unknown as PriorityClass, p as unknown as PriorityClass);
    case '/resourcequotas': return validateResourceQuotaUpdate(o as unknown as ResourceQuota, p as unknown as ResourceQuota);
    case '/limitranges': return validateLimitRangeUpdate(o as unknown as LimitRange, p as unknown as LimitRange);
    case 'node.k8s.io/runtimeclasses': return validateRuntimeClassUpdate(o as unknown as RuntimeClass, p as unknown as RuntimeClass);
    case 'rbac.authorization.k8s.io/rolebindings': return validateBindingUpdate(o as unknown as RoleBinding, p as unknown as RoleBinding, false);
    case 'rbac.authorization.k8s.io/clusterrolebindings': return validateBindingUpdate(o as unknown as ClusterRoleBinding, p as unknown as ClusterRoleBinding, true);
    case 'apps/replicasets': case 'apps/deployments': case 'apps/daemonsets': {
      const errs = validateObjectMetaUpdate(o.metadata, p.metadata);
      errs.push(...validateObject(resource, o).filter((e) => !e.field.startsWith('metadata.')));
      errs.push(...validateSelectorImmutable((o.spec as { selector?: unknown })?.selector, (p.spec as { selector?: unknown })?.selector));
      return errs;
    }
    default: {
      const errs = validateObjectMetaUpdate(o.metadata, p.metadata);
      // Name rules were checked at create and the name cannot change; re-check the rest.
      errs.push(...validateObject(resource, o).filter((e) => !e.field.startsWith('metadata.')));
      return errs;
    }
  }
}

/** Validation of a status subresource update (pods/status, nodes/status, namespaces/status, ...). */
export function validateStatusUpdate(resource: ResourceRef, obj: object, old: object): FieldError[] {
  const o = obj as KubeObject;
  const p = old as KubeObject;
  switch (key(resource)) {
    case '/pods': return validatePodStatusUpdate(o as unknown as Pod, p as unknown as Pod);
    case '/nodes': return validateNodeUpdate(o as unknown as Node, p as unknown as Node);
    case '/services': return validateServiceStatusUpdate(o as unknown as Service, p as unknown as Service);
    case '/resourcequotas': return validateResourceQuotaStatusUpdate(o as unknown as ResourceQuota, p as unknown as ResourceQuota);
    case '/namespaces': {
      const errs = validateObjectMetaUpdate(o.metadata, p.metadata);
      const phase = (o as unknown as Namespace).status?.phase;
      if (!o.metadata?.deletionTimestamp) {
        if (phase !== 'Active') errs.push(invalid('status.Phase', phase ?? '', "may only be 'Active' if `deletionTimestamp` is empty"));
      } else if (phase !== 'Terminating') {
        errs.push(invalid('status.Phase', phase ?? '', "may only be 'Terminating' if `deletionTimestamp` is not empty"));
      }
      return errs;
    }
    default: return validateObjectMetaUpdate(o.metadata, p.metadata);
  }
}

export { validatePodEphemeralContainersUpdate, validateBinding, validateTokenRequest };
export { validatePodSpec, POD_UPDATE_FORBIDDEN_MESSAGE, validateResourceRequirements, validateNodeSelector } from './pod.ts';
export { validateObjectMeta, validateObjectMetaUpdate, validateLabels, validateLabelSelector, deepEqual } from './meta.ts';
export * from './names.ts';
export * from './sysctl-names.ts';
export { isHeadlessService } from './service.ts';
export * from './certificates.ts';
