/**
 * Defaulting: what the real apiserver fills in before validation, so a created object reads back
 * exactly as it would from Kubernetes 1.32. Follows pkg/apis/core/v1/defaults.go (SetDefaults_Pod,
 * _PodSpec, _Container, _Probe, _Volume, ...), apps/v1 defaults, plus the parts of create-time
 * strategy/admission that every object gets here (namespace finalizers and phase); pod priority comes from
 * the Priority admission plugin. Tolerations are left alone: DefaultTolerationSeconds admission adds them.
 *
 * `applyDefaults` mutates and returns the object. It is idempotent: defaulting a defaulted object
 * changes nothing, which the apiserver relies on for updates and patches.
 */
import { defaultBinding } from './validation/rbac.ts';
import { defaultWebhookConfiguration } from './validation/admissionregistration.ts';
import { defaultValidatingAdmissionPolicy, defaultValidatingAdmissionPolicyBinding } from './validation/admission-policy.ts';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from './types.ts';
import type { MutatingWebhookConfiguration } from './types.ts';
import type { RoleBinding } from './types.ts';
import type {
  Container, EphemeralContainer, HTTPGetAction, KubeObject, Pod, PodSpec, PodTemplateSpec, Probe, Volume,
  LifecycleHandler, Deployment, ReplicaSet, DaemonSet, ReplicationController, Node, Namespace, Secret, EnvVar, Service, Endpoints, EndpointSlice, Job, CronJob,
  StatefulSet, PersistentVolume, PersistentVolumeClaim, StorageClass,
} from './types.ts';
import { toResourceInfo, type ResourceRef } from './resources.ts';
import { imageTag } from './image-ref.ts';
import { canonicalizeResourceList, tryParseQuantity } from './quantity.ts';
import { defaultLimitRange, defaultResourceQuota } from './quota-defaults.ts';
import type { LimitRange, ResourceQuota } from './types.ts';
import { DecodeError, decodeError } from './schema/unknown-fields.ts';
import { defaultEndpointSlice, defaultEndpoints, defaultService } from './service-defaults.ts';
import { defaultCronJob, defaultJob } from './batch-defaults.ts';
import { defaultHorizontalPodAutoscaler, defaultHorizontalPodAutoscalerV1 } from './autoscaling-defaults.ts';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1 } from './types.ts';
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultPersistentVolumeClaimSpec, defaultStorageClass } from './storage-defaults.ts';

/** DefaultTerminationGracePeriodSeconds. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const TERMINATION_MESSAGE_PATH_DEFAULT = '/dev/termination-log';
/** 0644: the default file mode of secret, configMap, downwardAPI and projected volumes. */
export const DEFAULT_VOLUME_MODE = 0o644;
/** Priorities of the two built-in PriorityClasses. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = Object.freeze({
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
});

type Obj = Record<string, unknown>;

/**
 * Fills in defaults for an object of the given resource (mutates it) and returns it. Throws
 * DecodeError first when a field has the wrong JSON type (what Go's decoder would have refused).
 */
export function applyDefaults<T extends object>(resource: ResourceRef, obj: T): T {
  const info = toResourceInfo(resource);
  const o = obj as unknown as KubeObject;
  // A custom resource's kind may share a built-in kind's name; its schema is the CRD's, checked elsewhere.
  const bad = info.custom ? undefined : decodeError(info.kind, { ...o, apiVersion: o.apiVersion ?? info.groupVersion });
  if (bad) throw new DecodeError(info.kind, info.version, bad);
  switch (`${info.group}/${info.plural}`) {
    case '/pods': defaultPod(o as unknown as Pod); break;
    case '/nodes': defaultNode(o as unknown as Node); break;
    case '/namespaces': defaultNamespace(o as unknown as Namespace); break;
    case '/secrets': defaultSecret(o as unknown as Secret); break;
    case 'apps/replicasets': defaultReplicaSet(o as unknown as ReplicaSet); break;
    case 'apps/deployments': defaultDeployment(o as unknown as Deployment); break;
    case 'apps/statefulsets': defaultStatefulSet(o as unknown as StatefulSet); break;
    case '/persistentvolumes': defaultPersistentVolume(o as unknown as PersistentVolume); break;
    case '/persistentvolumeclaims': defaultPersistentVolumeClaim(o as unknown as PersistentVolumeClaim); break;
    case 'storage.k8s.io/storageclasses': defaultStorageClass(o as unknown as StorageClass); break;
    case '/resourcequotas': defaultResourceQuota(o as unknown as ResourceQuota); break;
    case '/limitranges': defaultLimitRange(o as unknown as LimitRange); break;
    case 'scheduling.k8s.io/priorityclasses': (o as { preemptionPolicy?: string }).preemptionPolicy ??= 'PreemptLowerPriority'; break;
    case 'admissionregistration.k8s.io/mutatingwebhookconfigurations': defaultWebhookConfiguration(o as unknown as MutatingWebhookConfiguration, true); break;
    case 'admissionregistration.k8s.io/validatingwebhookconfigurations': defaultWebhookConfiguration(o as unknown as MutatingWebhookConfiguration, false); break;
    case 'admissionregistration.k8s.io/validatingadmissionpolicies': defaultValidatingAdmissionPolicy(o as unknown as ValidatingAdmissionPolicy); break;
    case 'admissionregistration.k8s.io/validatingadmissionpolicybindings': defaultValidatingAdmissionPolicyBinding(o as unknown as ValidatingAdmissionPolicyBinding); break;
    case 'apps/daemonsets': defaultDaemonSet(o as unknown as DaemonSet); break;
    case '/replicationcontrollers': defaultReplicationController(o as unknown as ReplicationController); break;
    case '/services': defaultService(o as unknown as Service); break;
    case '/endpoints': defaultEndpoints(o as unknown as Endpoints); break;
    case 'discovery.k8s.io/endpointslices': defaultEndpointSlice(o as unknown as EndpointSlice); break;
    case 'batch/jobs': defaultJob(o as unknown as Job, defaultPodTemplate); break;
    case 'autoscaling/horizontalpodautoscalers':
      if (info.version === 'v1') defaultHorizontalPodAutoscalerV1(o as unknown as HorizontalPodAutoscalerV1);
      else defaultHorizontalPodAutoscaler(o as unknown as HorizontalPodAutoscaler);
      break;
    case 'batch/cronjobs': defaultCronJob(o as unknown as CronJob, defaultPodTemplate); break;
    case 'rbac.authorization.k8s.io/rolebindings': case 'rbac.authorization.k8s.io/clusterrolebindings': defaultBinding(o as unknown as RoleBinding); break;
    // configmaps, events, leases, serviceaccounts, bindings: the real API has no defaults for them.
    default: break;
  }
  return obj;
}

// --- pods -----------------------------------------------------------------------------------

export function defaultPod(pod: Pod): Pod {
  const spec = (pod.spec ??= { containers: [] });
  // SetDefaults_Pod: requests default to limits (containers and init containers only, Pod only).
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const limits = c.resources?.limits;
    if (limits) {
      const requests = (c.resources!.requests ??= {});
      for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
    }
  }
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  defaultPodSpec(spec);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  // Conversion keeps podIP/podIPs (and hostIP/hostIPs) consistent; when both are set and differ,
  // podIP is authoritative (for older clients), as in Convert_v1_PodStatus_To_core_PodStatus.
  const status = pod.status;
  if (status) {
    if (status.podIP && status.podIPs?.length && status.podIPs[0]!.ip !== status.podIP) status.podIPs = [{ ip: status.podIP }];
    if (status.hostIP && status.hostIPs?.length && status.hostIPs[0]!.ip !== status.hostIP) status.hostIPs = [{ ip: status.hostIP }];
    if (status.podIP && !status.podIPs?.length) status.podIPs = [{ ip: status.podIP }];
    if (!status.podIP && status.podIPs?.length) status.podIP = status.podIPs[0]!.ip;
    if (status.hostIP && !status.hostIPs?.length) status.hostIPs = [{ ip: status.hostIP }];
    if (!status.hostIP && status.hostIPs?.length) status.hostIP = status.hostIPs[0]!.ip;
  }
  return pod;
}

/** SetDefaults_PodSpec and everything nested in it (also used for pod templates). */
export function defaultPodSpec(spec: PodSpec): PodSpec {
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.schedulerName ||= DEFAULT_SCHEDULER_NAME;
  // v1 conversion keeps the deprecated serviceAccount field in step with serviceAccountName.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  if (spec.overhead) canonicalizeResourceList(spec.overhead);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  return spec;
}

/** SetDefaults_Container (also applied to ephemeral containers) plus its nested types. */
export function defaultContainer(c: Container | EphemeralContainer): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ||= TERMINATION_MESSAGE_PATH_DEFAULT;
  c.terminationMessagePolicy ||= 'File';
  for (const p of c.ports ?? []) p.protocol ||= 'TCP';
  for (const e of c.env ?? []) defaultEnvVar(e);
  // ResourceRequirements is a struct in Go: it always serializes, at least as `resources: {}`.
  c.resources ??= {};
  if (c.resources.limits) canonicalizeResourceList(c.resources.limits);
  if (c.resources.requests) canonicalizeResourceList(c.resources.requests);
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (probe) defaultProbe(probe);
  if (c.lifecycle?.postStart) defaultHandler(c.lifecycle.postStart);
  if (c.lifecycle?.preStop) defaultHandler(c.lifecycle.preStop);
}

function defaultEnvVar(e: EnvVar): void {
  const fieldRef = e.valueFrom?.fieldRef;
  if (fieldRef) fieldRef.apiVersion ||= 'v1';
  const resourceFieldRef = e.valueFrom?.resourceFieldRef;
  // Quantity is a struct in Go; a missing divisor serializes as "0".
  if (resourceFieldRef) resourceFieldRef.divisor = tryParseQuantity(resourceFieldRef.divisor ?? '0')?.toString() ?? resourceFieldRef.divisor;
}

export function defaultProbe(p: Probe): void {
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  if (p.httpGet) defaultHTTPGet(p.httpGet);
  // GRPCAction.Service is `+default=""`.
  if (p.grpc) p.grpc.service ??= '';
}

function defaultHandler(h: LifecycleHandler): void {
  if (h.httpGet) defaultHTTPGet(h.httpGet);
}

function defaultHTTPGet(h: HTTPGetAction): void {
  h.path ||= '/';
  h.scheme ||= 'HTTP';
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile',
  'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume',
  'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
] as const;
export const VOLUME_SOURCE_FIELDS: readonly string[] = VOLUME_SOURCES;

/** SetDefaults_Volume and the per-source defaults. */
export function defaultVolume(v: Volume): void {
  const vo = v as unknown as Obj;
  if (!VOLUME_SOURCES.some((s) => vo[s] !== undefined && vo[s] !== null)) v.emptyDir = {};
  if (v.emptyDir?.sizeLimit !== undefined) {
    const q = tryParseQuantity(v.emptyDir.sizeLimit);
    if (q) v.emptyDir.sizeLimit = q.toString();
  }
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const item of v.downwardAPI.items ?? []) {
      if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
      if (item.resourceFieldRef) item.resourceFieldRef.divisor ??= '0';
    }
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const src of v.projected.sources ?? []) {
      if (src.serviceAccountToken) src.serviceAccountToken.expirationSeconds ??= 3600;
      for (const item of src.downwardAPI?.items ?? []) {
        if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
        if (item.resourceFieldRef) item.resourceFieldRef.divisor ??= '0';
      }
    }
  }
  if (v.iscsi) {
    v.iscsi.iscsiInterface ||= 'default';
  }
  if (v.azureDisk) {
    v.azureDisk.cachingMode ||= 'ReadWrite';
    v.azureDisk.fsType ||= 'ext4';
    v.azureDisk.readOnly ??= false;
    v.azureDisk.kind ||= 'Shared';
  }
}

function defaultPodTemplate(t: PodTemplateSpec | undefined): void {
  if (!t) return;
  t.spec ??= { containers: [] };
  defaultPodSpec(t.spec);
}

// --- other kinds ----------------------------------------------------------------------------

export function defaultNode(node: Node): Node {
  node.spec ??= {};
  const st = node.status;
  // SetDefaults_NodeStatus: allocatable defaults to capacity.
  if (st?.capacity && !st.allocatable) st.allocatable = { ...st.capacity };
  if (st?.capacity) canonicalizeResourceList(st.capacity);
  if (st?.allocatable) canonicalizeResourceList(st.allocatable);
  const spec = node.spec;
  if (spec.podCIDR && !spec.podCIDRs?.length) spec.podCIDRs = [spec.podCIDR];
  return node;
}

export function defaultNamespace(ns: Namespace): Namespace {
  const name = ns.metadata?.name;
  if (name) {
    // SetDefaults_Namespace: the immutable kubernetes.io/metadata.name label.
    const labels = (ns.metadata!.labels ??= {});
    labels['kubernetes.io/metadata.name'] ??= name;
  }
  // Namespace strategy: the `kubernetes` finalizer, and phase Active.
  ns.spec ??= {};
  ns.spec.finalizers ??= ['kubernetes'];
  ns.status ??= {};
  ns.status.phase ||= 'Active';
  return ns;
}

export function defaultSecret(s: Secret): Secret {
  s.type ||= 'Opaque';
  // Conversion from v1 folds write-only stringData into data (base64), overriding same keys.
  if (s.stringData) {
    const data = (s.data ??= {});
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete s.stringData;
  }
  return s;
}

export function defaultReplicaSet(rs: ReplicaSet): ReplicaSet {
  const spec = (rs.spec ??= { selector: {} });
  spec.replicas ??= 1;
  defaultPodTemplate(spec.template);
  return rs;
}

/** SetDefaults_StatefulSet (apps/v1): OrderedReady, RollingUpdate with partition 0, claims retained. */
export function defaultStatefulSet(sts: StatefulSet): StatefulSet {
  const spec = (sts.spec ??= { selector: {}, template: {}, serviceName: '' });
  spec.replicas ??= 1;
  spec.podManagementPolicy ||= 'OrderedReady';
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') (strategy.rollingUpdate ??= {}).partition ??= 0;
  spec.revisionHistoryLimit ??= 10;
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  retention.whenDeleted ||= 'Retain';
  retention.whenScaled ||= 'Retain';
  for (const t of spec.volumeClaimTemplates ?? []) defaultPersistentVolumeClaimSpec(t.spec ??= {});
  defaultPodTemplate(spec.template);
  return sts;
}

export function defaultDaemonSet(ds: DaemonSet): DaemonSet {
  const spec = (ds.spec ??= { selector: {}, template: {} });
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec.template);
  return ds;
}

/** SetDefaults_ReplicationController: the selector and the labels come from the template's labels when unset. */
export function defaultReplicationController(rc: ReplicationController): ReplicationController {
  const spec = (rc.spec ??= {});
  const labels = spec.template?.metadata?.labels;
  if (labels && Object.keys(labels).length > 0) {
    if (!spec.selector || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = (rc.metadata ??= {});
    if (!meta.labels || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
  }
  spec.replicas ??= 1;
  defaultPodTemplate(spec.template);
  return rc;
}

export function defaultDeployment(d: Deployment): Deployment {
  const spec = (d.spec ??= { selector: {}, template: {} });
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(spec.template);
  return d;
}
