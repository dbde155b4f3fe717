/**
 * The RBAC policy kubeling's own components need beyond upstream's bootstrap policy (bootstrap-policy.ts),
 * as data: ClusterRoles and the ClusterRoleBindings that give them to the identities the server's
 * components act as (src/cmd/component-identities.ts). Upstream's roles cover the components upstream has
 * (system:kube-scheduler, system:controller:<name>-controller for each controller's kube-system service
 * account, system:node-proxier for system:kube-proxy, system:node for system:node:<name>); these cover the
 * rest:
 *
 *   kube-system/service-lb-controller   k3s's servicelb: services' LoadBalancer status
 *   kube-system/coredns                 cluster DNS (kubeling's per-node DNS in CoreDNS's place): CoreDNS's
 *                                       own addon role, plus its node's endpoint slice of kube-system/kube-dns
 *   kube-system/kubeling-pod-network    the pod network (flannel's part): node annotations, its ConfigMap
 *   kube-system/kubeling-bootstrap      the server's publishers: kube-public/cluster-info, the kubelet client
 *                                       Secret, the kube-dns Service, the pod network's ConfigMap, the
 *                                       local-path StorageClass, the server's own Node (control-plane role)
 *   group system:nodes                  the local-path provisioner beside each kubelet (k3s runs it as a
 *                                       Deployment with this role; here each node makes its own volumes)
 *
 * plus what kubeling's controllers do beyond upstream's controller roles (they write status and some spec
 * fields with merge patches where upstream's use update):
 *
 *   kube-system/deployment-controller   patch deployments and deployments/status
 *   kube-system/daemon-set-controller   patch daemonsets and daemonsets/status
 *   kube-system/replicaset-controller   patch replicasets/status
 *   kube-system/statefulset-controller  patch statefulsets/status
 *   kube-system/replication-controller  patch replicationcontrollers/status
 *
 * and make the service account issuer discovery documents public (upstream binds
 * system:service-account-issuer-discovery to service accounts only; its documentation suggests this binding
 * for relying parties outside the cluster). Same labels and auto-update annotation as upstream's defaults,
 * so the reconciler treats them alike.
 */

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
  apiGroup?: string;
}

interface Meta {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ClusterRole {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole';
  metadata: Meta;
  rules: PolicyRule[];
}

export interface ClusterRoleBinding {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRoleBinding';
  metadata: Meta;
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'ClusterRole'; name: string };
  subjects: Subject[];
}

const meta = (name: string): Meta => ({
  name,
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
});

const role = (name: string, rules: PolicyRule[]): ClusterRole => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(name), rules });

const binding = (name: string, roleName: string, subjects: Subject[]): ClusterRoleBinding => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(name),
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects,
});

const kubeSystemSA = (name: string): Subject => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });
const group = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });

const events: PolicyRule = { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] };

/** The patches kubeling's controllers make that upstream's controller roles (update only) do not allow. */
const CONTROLLER_PATCHES: Record<string, PolicyRule[]> = {
  'deployment-controller': [{ apiGroups: ['apps'], resources: ['deployments', 'deployments/status'], verbs: ['patch'] }],
  'daemon-set-controller': [{ apiGroups: ['apps'], resources: ['daemonsets', 'daemonsets/status'], verbs: ['patch'] }],
  'replicaset-controller': [{ apiGroups: ['apps'], resources: ['replicasets/status'], verbs: ['patch'] }],
  'statefulset-controller': [{ apiGroups: ['apps'], resources: ['statefulsets/status'], verbs: ['patch'] }],
  'replication-controller': [{ apiGroups: [''], resources: ['replicationcontrollers/status'], verbs: ['patch'] }],
};

/**
 * The controllers' service accounts (src/cmd/component-identities.ts names the same; a test checks). Upstream's
 * controllers read through shared informers built with kube-controller-manager's own credential, whose role
 * lists and watches everything; kubeling's controllers each watch with their own client, so their accounts
 * get that read access here (`kubeling:controller:informers`) and their writes stay per upstream's roles.
 */
export const CONTROLLER_ACCOUNTS = [
  'replicaset-controller', 'deployment-controller', 'job-controller', 'cronjob-controller', 'ttl-after-finished-controller',
  'statefulset-controller', 'persistent-volume-binder', 'pvc-protection-controller', 'replication-controller', 'daemon-set-controller',
  'generic-garbage-collector', 'endpointslice-controller', 'endpoint-controller', 'service-lb-controller', 'node-controller',
  'disruption-controller', 'certificate-controller', 'pod-garbage-collector', 'resourcequota-controller',
];

export const KUBELING_CLUSTER_ROLES: ClusterRole[] = [
  role('kubeling:controller:informers', [{ apiGroups: ['*'], resources: ['*'], verbs: ['list', 'watch'] }]),
  ...Object.entries(CONTROLLER_PATCHES).map(([sa, rules]) => role(`kubeling:controller:${sa}`, rules)),
  role('kubeling:controller:service-lb-controller', [
    { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['services/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    events,
  ]),
  // CoreDNS's addon ClusterRole (system:coredns), which kubeling's node DNS reads the same objects with.
  role('system:coredns', [
    { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  ]),
  // Each node's DNS publishes its own endpoint slice of kube-system/kube-dns (kube-dns has no selector).
  role('kubeling:node-dns', [
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'create', 'update', 'delete'] },
  ]),
  // k3s's local-path-provisioner role: each node provisions its own directories (src/controllers/local-path).
  role('kubeling:local-path-provisioner', [
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
    events,
  ]),
  role('kubeling:pod-network', [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubeling-pod-network'], verbs: ['get'] },
  ]),
  role('kubeling:bootstrap', [
    { apiGroups: [''], resources: ['configmaps', 'secrets', 'services'], verbs: ['create'] },
    { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['create'] },
    // The server's own Node, registered with the control-plane role no node may give itself.
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'create', 'patch'] },
    { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], resourceNames: ['local-path'], verbs: ['get'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info', 'kubeling-pod-network'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['kubeling-kubelet-client'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [''], resources: ['services'], resourceNames: ['kube-dns'], verbs: ['get', 'update', 'patch'] },
  ]),
];

export const KUBELING_CLUSTER_ROLE_BINDINGS: ClusterRoleBinding[] = [
  binding('kubeling:controller:informers', 'kubeling:controller:informers', CONTROLLER_ACCOUNTS.map(kubeSystemSA)),
  ...Object.keys(CONTROLLER_PATCHES).map((sa) => binding(`kubeling:controller:${sa}`, `kubeling:controller:${sa}`, [kubeSystemSA(sa)])),
  // kubeling's one volume-protection controller does the work of upstream's pvc- and pv-protection controllers.
  binding('kubeling:controller:pv-protection-controller', 'system:controller:pv-protection-controller', [kubeSystemSA('pvc-protection-controller')]),
  binding('kubeling:controller:service-lb-controller', 'kubeling:controller:service-lb-controller', [kubeSystemSA('service-lb-controller')]),
  binding('system:coredns', 'system:coredns', [kubeSystemSA('coredns')]),
  binding('kubeling:node-dns', 'kubeling:node-dns', [kubeSystemSA('coredns')]),
  binding('kubeling:local-path-provisioner', 'kubeling:local-path-provisioner', [group('system:nodes')]),
  binding('kubeling:pod-network', 'kubeling:pod-network', [kubeSystemSA('kubeling-pod-network')]),
  binding('kubeling:bootstrap', 'kubeling:bootstrap', [kubeSystemSA('kubeling-bootstrap')]),
  // Upstream's role (bootstrap-policy.ts), also for clients without credentials: relying parties fetch the keys.
  binding('kubeling:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:authenticated'), group('system:unauthenticated')]),
];
