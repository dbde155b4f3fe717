/**
 * The resources kubeling serves: the one table that discovery, OpenAPI, routing, the client and the
 * CLI share. Entries mirror what a real 1.32 apiserver reports in discovery (names, kinds, short
 * names, categories, verbs, subresources), so kubectl resolves `po`, `ns`, `deploy`, `all` the same.
 */

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceInfo {
  /** `status`, `log`, `exec`, ... */
  name: string;
  /** Kind of the body the subresource takes/returns (`Pod`, `PodExecOptions`, `Eviction`, ...). */
  kind: string;
  /** Group/version of that kind when it differs from the parent's (`policy`/`v1` for Eviction). */
  group?: string;
  version?: string;
  verbs: Verb[];
}

export interface ResourceInfo {
  /** '' for the core group. */
  group: string;
  version: string;
  /** `v1` or `apps/v1`: what goes in apiVersion. */
  groupVersion: string;
  /** Lower-case plural, the URL segment: `pods`. */
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceInfo[];
  /**
   * Set for a resource a CustomResourceDefinition serves: its Table columns (the CRD's
   * additionalPrinterColumns of this version, after NAME), its schema and the rest the server needs.
   */
  custom?: CustomResourceInfo;
}

/** A printer column of a custom resource (apiextensions' CustomResourceColumnDefinition). */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** What a served version of a CustomResourceDefinition adds to its ResourceInfo. */
export interface CustomResourceInfo {
  /** The CRD's name (`crontabs.stable.example.com`) and uid. */
  crdName: string;
  crdUid: string;
  /** The version objects are stored in (conversion None: only apiVersion differs between versions). */
  storageVersion: string;
  printerColumns: PrinterColumn[];
  /** The version's structural schema (openAPIV3Schema), undefined when the version has none. */
  schema?: Record<string, unknown>;
  /** `scale` subresource paths, when the version declares it. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS: Verb[] = ['get', 'patch', 'update'];

function resource(r: Omit<ResourceInfo, 'groupVersion' | 'listKind' | 'shortNames' | 'categories' | 'verbs' | 'subresources'> &
  Partial<Pick<ResourceInfo, 'shortNames' | 'categories' | 'verbs' | 'subresources'>>): ResourceInfo {
  return {
    groupVersion: r.group === '' ? r.version : `${r.group}/${r.version}`,
    listKind: `${r.kind}List`,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: [],
    ...r,
  };
}

export const RESOURCES: readonly ResourceInfo[] = Object.freeze([
  resource({ group: '', version: 'v1', plural: 'bindings', singular: 'binding', kind: 'Binding', namespaced: true, verbs: ['create'] }),
  resource({ group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  resource({ group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] }),
  resource({ group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] }),
  resource({
    group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
    shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      { name: 'finalize', kind: 'Namespace', verbs: ['update'] },
      { name: 'status', kind: 'Namespace', verbs: STATUS_VERBS },
    ],
  }),
  resource({
    group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'],
    subresources: [{ name: 'status', kind: 'Node', verbs: STATUS_VERBS }],
  }),
  resource({
    group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'],
    categories: ['all'],
    subresources: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: STATUS_VERBS },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'status', kind: 'Pod', verbs: STATUS_VERBS },
    ],
  }),
  resource({
    group: '', version: 'v1', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', kind: 'PersistentVolumeClaim',
    namespaced: true, shortNames: ['pvc'],
    subresources: [{ name: 'status', kind: 'PersistentVolumeClaim', verbs: STATUS_VERBS }],
  }),
  resource({
    group: '', version: 'v1', plural: 'persistentvolumes', singular: 'persistentvolume', kind: 'PersistentVolume',
    namespaced: false, shortNames: ['pv'],
    subresources: [{ name: 'status', kind: 'PersistentVolume', verbs: STATUS_VERBS }],
  }),
  resource({ group: '', version: 'v1', plural: 'limitranges', singular: 'limitrange', kind: 'LimitRange', namespaced: true, shortNames: ['limits'] }),
  resource({
    group: '', version: 'v1', plural: 'resourcequotas', singular: 'resourcequota', kind: 'ResourceQuota', namespaced: true, shortNames: ['quota'],
    subresources: [{ name: 'status', kind: 'ResourceQuota', verbs: STATUS_VERBS }],
  }),
  resource({ group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true }),
  resource({
    group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'],
    categories: ['all'],
    subresources: [
      { name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      { name: 'status', kind: 'Service', verbs: STATUS_VERBS },
    ],
  }),
  resource({
    group: '', version: 'v1', plural: 'replicationcontrollers', singular: 'replicationcontroller', kind: 'ReplicationController', namespaced: true,
    shortNames: ['rc'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'ReplicationController', verbs: STATUS_VERBS },
    ],
  }),
  resource({
    group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true,
    shortNames: ['sa'],
    subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  }),
  resource({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true }),
  // Reviews about the caller (`kubectl auth whoami`, `kubectl auth can-i`): created and answered, never stored.
  // TokenReview: who a token speaks for (the API server's authenticator, asked by webhooks and tests).
  resource({ group: 'authentication.k8s.io', version: 'v1', plural: 'tokenreviews', singular: 'tokenreview', kind: 'TokenReview', namespaced: false, verbs: ['create'] }),
  resource({ group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] }),
  resource({ group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
  resource({ group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'] }),
  resource({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true }),
  resource({ group: 'events.k8s.io', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] }),
  resource({
    group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true,
    shortNames: ['deploy'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'Deployment', verbs: STATUS_VERBS },
    ],
  }),
  resource({
    group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true,
    shortNames: ['ds'], categories: ['all'],
    subresources: [{ name: 'status', kind: 'DaemonSet', verbs: STATUS_VERBS }],
  }),
  resource({ group: 'apps', version: 'v1', plural: 'controllerrevisions', singular: 'controllerrevision', kind: 'ControllerRevision', namespaced: true }),
  resource({
    group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true,
    shortNames: ['rs'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'ReplicaSet', verbs: STATUS_VERBS },
    ],
  }),
  resource({
    group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true,
    shortNames: ['sts'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'StatefulSet', verbs: STATUS_VERBS },
    ],
  }),
  resource({
    group: 'batch', version: 'v1', plural: 'cronjobs', singular: 'cronjob', kind: 'CronJob', namespaced: true,
    shortNames: ['cj'], categories: ['all'],
    subresources: [{ name: 'status', kind: 'CronJob', verbs: STATUS_VERBS }],
  }),
  resource({
    group: 'batch', version: 'v1', plural: 'jobs', singular: 'job', kind: 'Job', namespaced: true, categories: ['all'],
    subresources: [{ name: 'status', kind: 'Job', verbs: STATUS_VERBS }],
  }),
  // v2 first: the group's preferred version, what `hpa` resolves to; v1 is converted (autoscaling-conversion.ts).
  resource({
    group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler',
    namespaced: true, shortNames: ['hpa'], categories: ['all'],
    subresources: [{ name: 'status', kind: 'HorizontalPodAutoscaler', verbs: STATUS_VERBS }],
  }),
  resource({
    group: 'autoscaling', version: 'v1', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler',
    namespaced: true, shortNames: ['hpa'], categories: ['all'],
    subresources: [{ name: 'status', kind: 'HorizontalPodAutoscaler', verbs: STATUS_VERBS }],
  }),
  resource({
    group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget',
    namespaced: true, shortNames: ['pdb'],
    subresources: [{ name: 'status', kind: 'PodDisruptionBudget', verbs: STATUS_VERBS }],
  }),
  resource({ group: 'authorization.k8s.io', version: 'v1', plural: 'subjectaccessreviews', singular: 'subjectaccessreview', kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'] }),
  resource({ group: 'authorization.k8s.io', version: 'v1', plural: 'localsubjectaccessreviews', singular: 'localsubjectaccessreview', kind: 'LocalSubjectAccessReview', namespaced: true, verbs: ['create'] }),
  resource({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false }),
  resource({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false }),
  resource({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true }),
  resource({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', singular: 'role', kind: 'Role', namespaced: true }),
  resource({
    group: 'certificates.k8s.io', version: 'v1', plural: 'certificatesigningrequests', singular: 'certificatesigningrequest',
    kind: 'CertificateSigningRequest', namespaced: false, shortNames: ['csr'],
    subresources: [
      { name: 'approval', kind: 'CertificateSigningRequest', verbs: STATUS_VERBS },
      { name: 'status', kind: 'CertificateSigningRequest', verbs: STATUS_VERBS },
    ],
  }),
  resource({ group: 'node.k8s.io', version: 'v1', plural: 'runtimeclasses', singular: 'runtimeclass', kind: 'RuntimeClass', namespaced: false }),
  resource({ group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses', singular: 'priorityclass', kind: 'PriorityClass', namespaced: false, shortNames: ['pc'] }),
  resource({ group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', singular: 'storageclass', kind: 'StorageClass', namespaced: false, shortNames: ['sc'] }),
  resource({ group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', singular: 'mutatingwebhookconfiguration', kind: 'MutatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'] }),
  resource({ group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', singular: 'validatingwebhookconfiguration', kind: 'ValidatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'] }),
  resource({
    group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies', singular: 'validatingadmissionpolicy',
    kind: 'ValidatingAdmissionPolicy', namespaced: false, categories: ['api-extensions'],
    subresources: [{ name: 'status', kind: 'ValidatingAdmissionPolicy', verbs: STATUS_VERBS }],
  }),
  resource({ group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', singular: 'validatingadmissionpolicybinding', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false, categories: ['api-extensions'] }),
  resource({
    group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'],
    subresources: [{ name: 'status', kind: 'CustomResourceDefinition', verbs: STATUS_VERBS }],
  }),
  resource({ group: 'settings.k8s.io', version: 'v1alpha1', plural: 'podpresets', singular: 'podpreset', kind: 'PodPreset', namespaced: true }),
]);

/** The resource served at `/api/v1/<plural>` (groupVersion `v1`) or `/apis/<group>/<version>/<plural>`. */
export function findResource(groupVersion: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.groupVersion === groupVersion && r.plural === plural);
}

/** The resource whose objects carry this apiVersion and kind (`v1`, `Pod`). */
export function findResourceByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.groupVersion === apiVersion && r.kind === kind);
}

/**
 * Resolves what a user types (`po`, `pods`, `pod`, `Pod`, `deploy`, `deployments.apps`) as kubectl
 * does, preferring the core group and then `apps` when several groups share a name (events).
 */
export function resolveResource(name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  const base = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  return RESOURCES.find((r) =>
    (group === undefined || r.group === group) &&
    (r.plural === base || r.singular === base || r.shortNames.includes(base) || r.kind.toLowerCase() === base));
}

export function findSubresource(info: ResourceInfo, name: string): SubresourceInfo | undefined {
  return info.subresources.find((s) => s.name === name);
}

/** Every resource in a category (`kubectl get all`). */
export function resourcesInCategory(category: string): ResourceInfo[] {
  return RESOURCES.filter((r) => r.categories.includes(category));
}

/**
 * The resources one API server serves: the built-in RESOURCES plus those CustomResourceDefinitions add at run
 * time. Lookups try the built-in table first, so the static path costs what it did; `all()` is rebuilt only
 * when the custom set changes.
 */
export class ResourceTable {
  readonly #custom = new Map<string, ResourceInfo>();
  #all: readonly ResourceInfo[] = RESOURCES;

  /** Serves (or replaces) a custom resource version. */
  add(info: ResourceInfo): void {
    this.#custom.set(`${info.groupVersion}/${info.plural}`, info);
    this.#all = [...RESOURCES, ...this.#custom.values()];
  }

  /** Stops serving a custom resource version; true when it was served. */
  remove(groupVersion: string, plural: string): boolean {
    const had = this.#custom.delete(`${groupVersion}/${plural}`);
    if (had) this.#all = [...RESOURCES, ...this.#custom.values()];
    return had;
  }

  /** Every served resource, built-in first, then custom ones in the order they were added. */
  all(): readonly ResourceInfo[] {
    return this.#all;
  }

  custom(): ResourceInfo[] {
    return [...this.#custom.values()];
  }

  find(groupVersion: string, plural: string): ResourceInfo | undefined {
    return findResource(groupVersion, plural) ?? this.#custom.get(`${groupVersion}/${plural}`);
  }

  findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    return findResourceByKind(apiVersion, kind) ?? [...this.#custom.values()].find((r) => r.groupVersion === apiVersion && r.kind === kind);
  }
}

/** How api functions accept a resource: its ResourceInfo, or a name resolveResource understands (`pods`, `Pod`, `deployments.apps`). */
export type ResourceRef = ResourceInfo | string;

/** The ResourceInfo for a ResourceRef; throws on an unknown name (a programming error, not user input). */
export function toResourceInfo(ref: ResourceRef): ResourceInfo {
  if (typeof ref !== 'string') return ref;
  const r = resolveResource(ref);
  if (!r) throw new Error(`unknown resource ${JSON.stringify(ref)}`);
  return r;
}

/** GroupKind.String(): `Pod` for the core group, `Deployment.apps` otherwise (the kind in 422 messages). */
export function qualifiedKind(info: ResourceInfo): string {
  return info.group ? `${info.kind}.${info.group}` : info.kind;
}

/** GroupResource.String(): `pods`, `deployments.apps` (the resource in 404/409 messages). */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}
