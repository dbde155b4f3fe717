/**
 * The default RBAC policy the server reconciles at start (upstream's plugin/pkg/auth/authorizer/rbac/
 * bootstrappolicy: policy.go, controller_policy.go, namespace_policy.go): cluster roles and their bindings,
 * the `system:controller:<name>` roles of the controllers kubeling runs, and the namespaced roles in
 * kube-system and kube-public. Every object carries the `kubernetes.io/bootstrapping: rbac-defaults` label
 * and the `rbac.authorization.kubernetes.io/autoupdate: "true"` annotation. The arrays are exported so other
 * parts (the Node authorizer, service-account tokens) can add theirs before the server starts.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from '../../api/index.ts';

export const BOOTSTRAP_LABEL = 'kubernetes.io/bootstrapping';
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const RBAC = 'rbac.authorization.k8s.io';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

/** rbacv1helpers.NewRule(...).Groups(...).Resources(...).Names(...).RuleOrDie(): lists sorted as upstream's. */
export function rule(verbs: string[], groups: string[], resources: string[], names: string[] = []): PolicyRule {
  const r: PolicyRule = { verbs: [...verbs].sort(), apiGroups: [...groups].sort(), resources: [...resources].sort() };
  if (names.length) r.resourceNames = [...names].sort();
  return r;
}

export function urlRule(verbs: string[], urls: string[]): PolicyRule {
  return { verbs: [...verbs].sort(), nonResourceURLs: [...urls].sort() };
}

function events(): PolicyRule {
  return rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']);
}

function metadata(name: string, namespace?: string, labels: Record<string, string> = {}) {
  return {
    name, ...(namespace ? { namespace } : {}),
    labels: { ...labels, [BOOTSTRAP_LABEL]: 'rbac-defaults' },
    annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
  };
}

function clusterRole(name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole {
  return { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: metadata(name, undefined, labels), rules };
}

function aggregated(name: string, to: string, labels?: Record<string, string>): ClusterRole {
  return {
    ...clusterRole(name, [], labels),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${to}`]: 'true' } }] },
  };
}

export const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC, name });
export const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC, name });
export const serviceAccount = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', name, namespace });

function clusterBinding(name: string, subjects: Subject[], role = name): ClusterRoleBinding {
  return { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: metadata(name), roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role }, subjects };
}

/** The kubelet's rules (upstream NodeRules()). */
export const NODE_RULES: PolicyRule[] = [
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, [''], ['services']),
  rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
  rule(['update', 'patch'], [''], ['nodes/status']),
  rule(['update', 'patch'], [''], ['nodes']),
  rule(['create', 'update', 'patch'], [''], ['events']),
  rule(READ, [''], ['pods']),
  rule(['create', 'delete'], [''], ['pods']),
  rule(['update', 'patch'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  rule(READ, [''], ['secrets', 'configmaps']),
  rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get'], [''], ['endpoints']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
  rule(['get', 'update', 'patch'], [''], ['persistentvolumeclaims/status']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(['get', 'watch', 'list'], ['storage.k8s.io'], ['csidrivers']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['storage.k8s.io'], ['csinodes']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
];

const approver = (name: string, signer: string) => clusterRole(`system:certificates.k8s.io:${name}`, [
  rule(['approve'], ['certificates.k8s.io'], ['signers'], [signer]),
]);

export const CLUSTER_ROLES: ClusterRole[] = [
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urlRule(['*'], ['*'])]),
  clusterRole('system:discovery', [urlRule(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'])]),
  clusterRole('system:monitoring', [urlRule(['get'], ['/metrics', '/metrics/slis', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*', '/healthz/*'])]),
  clusterRole('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  clusterRole('system:public-info-viewer', [urlRule(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/'])]),
  aggregated('admin', 'admin'),
  aggregated('edit', 'edit', { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }),
  aggregated('view', 'view', { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }),
  clusterRole('system:aggregate-to-admin', [
    rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
    rule(READ_WRITE, [RBAC], ['roles', 'rolebindings']),
  ], { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }),
  clusterRole('system:aggregate-to-edit', [
    rule(READ, [''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
    rule(['impersonate'], [''], ['serviceaccounts']),
    rule(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
    rule(['create'], [''], ['pods/eviction']),
    rule(WRITE, [''], ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
    rule(['create'], [''], ['serviceaccounts/token']),
    rule(WRITE, ['apps'], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
    rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
    rule(WRITE, ['batch'], ['jobs', 'cronjobs']),
    rule(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
    rule(WRITE, ['policy'], ['poddisruptionbudgets']),
    rule(WRITE, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
    rule(WRITE, ['coordination.k8s.io'], ['leases']),
  ], { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }),
  clusterRole('system:aggregate-to-view', [
    rule(READ, [''], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
    rule(READ, [''], ['limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log']),
    rule(READ, [''], ['namespaces']),
    rule(READ, ['discovery.k8s.io'], ['endpointslices']),
    rule(READ, ['apps'], ['controllerrevisions', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'replicasets/status', 'replicasets/scale']),
    rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
    rule(READ, ['batch'], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
    rule(READ, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
    rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
    rule(READ, ['networking.k8s.io'], ['networkpolicies', 'ingresses', 'ingresses/status']),
    rule(READ, ['coordination.k8s.io'], ['leases']),
  ], { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }),
  // metrics-server's own role for the metrics API (built into kubeling's server), aggregated as it ships it.
  clusterRole('system:aggregated-metrics-reader', [rule(READ, ['metrics.k8s.io'], ['pods', 'nodes'])], {
    'rbac.authorization.k8s.io/aggregate-to-view': 'true', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
  }),
  clusterRole('system:node', NODE_RULES),
  clusterRole('system:node-proxier', [
    rule(['list', 'watch'], [''], ['services', 'endpoints']),
    rule(READ, [''], ['nodes']),
    events(),
    rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  ]),
  clusterRole('system:kubelet-api-admin', [
    rule(['get', 'list', 'watch'], [''], ['nodes']),
    rule(['proxy'], [''], ['nodes']),
    rule(['*'], [''], ['nodes/proxy', 'nodes/metrics', 'nodes/log', 'nodes/spec', 'nodes/stats']),
  ]),
  clusterRole('system:node-bootstrapper', [rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests'])]),
  clusterRole('system:auth-delegator', [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ]),
  clusterRole('system:kube-aggregator', [rule(READ, [''], ['services', 'endpoints'])]),
  clusterRole('system:kube-controller-manager', [
    events(),
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
    rule(['create'], [''], ['secrets', 'serviceaccounts']),
    rule(['delete'], [''], ['secrets']),
    rule(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
    rule(['update'], [''], ['secrets', 'serviceaccounts']),
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['create'], [''], ['serviceaccounts/token']),
  ]),
  clusterRole('system:kube-dns', [
    rule(['list', 'watch'], [''], ['endpoints', 'services']),
    rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  ]),
  clusterRole('system:persistent-volume-provisioner', [
    rule(['get', 'list', 'watch', 'create', 'delete'], [''], ['persistentvolumes']),
    rule(['get', 'list', 'watch', 'update'], [''], ['persistentvolumeclaims']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    rule(['watch', 'create', 'update', 'patch'], [''], ['events']),
  ]),
  clusterRole('system:kube-scheduler', [
    events(),
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
    rule(READ, [''], ['nodes']),
    rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
    rule(['create'], [''], ['bindings', 'pods/binding']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(READ, [''], ['replicationcontrollers', 'services']),
    rule(READ, ['apps', 'extensions'], ['replicasets']),
    rule(READ, ['apps'], ['statefulsets']),
    rule(READ, ['policy'], ['poddisruptionbudgets']),
    rule(READ, [''], ['persistentvolumeclaims', 'persistentvolumes']),
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    rule(READ, ['storage.k8s.io'], ['csinodes']),
    rule(READ, [''], ['namespaces']),
    rule(READ, ['storage.k8s.io'], ['csidrivers']),
    rule(READ, ['storage.k8s.io'], ['csistoragecapacities']),
  ]),
  clusterRole('system:volume-scheduler', [
    rule(['get', 'list', 'watch', 'update', 'patch'], [''], ['persistentvolumes']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    rule(['get', 'list', 'watch', 'update', 'patch'], [''], ['persistentvolumeclaims']),
  ]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient'])]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient'])]),
  approver('kube-apiserver-client-approver', 'kubernetes.io/kube-apiserver-client'),
  approver('kube-apiserver-client-kubelet-approver', 'kubernetes.io/kube-apiserver-client-kubelet'),
  approver('kubelet-serving-approver', 'kubernetes.io/kubelet-serving'),
  approver('legacy-unknown-approver', 'kubernetes.io/legacy-unknown'),
  clusterRole('system:service-account-issuer-discovery', [
    urlRule(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/']),
  ]),
];

export const CLUSTER_ROLE_BINDINGS: ClusterRoleBinding[] = [
  clusterBinding('cluster-admin', [group('system:masters')]),
  clusterBinding('system:monitoring', [group('system:monitoring')]),
  clusterBinding('system:discovery', [group('system:authenticated')]),
  clusterBinding('system:basic-user', [group('system:authenticated')]),
  clusterBinding('system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  clusterBinding('system:node-proxier', [user('system:kube-proxy')]),
  clusterBinding('system:kube-controller-manager', [user('system:kube-controller-manager')]),
  clusterBinding('system:kube-dns', [serviceAccount('kube-system', 'kube-dns')]),
  clusterBinding('system:kube-scheduler', [user('system:kube-scheduler')]),
  clusterBinding('system:volume-scheduler', [user('system:kube-scheduler')]),
  clusterBinding('system:node', []),
  clusterBinding('system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
];

/** controller_policy.go, for the controllers kubeling runs: `system:controller:<name>`, bound to kube-system/<name>. */
const CONTROLLERS: Record<string, PolicyRule[]> = {
  'certificate-controller': [
    rule(['delete', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    rule(['update'], ['certificates.k8s.io'], ['certificatesigningrequests/status', 'certificatesigningrequests/approval']),
    // kubelet-serving too: kubeling approves a node's own serving request (upstream leaves those to a human).
    rule(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving']),
    rule(['get'], [''], ['nodes']),
    rule(['sign'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/legacy-unknown', 'kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    events(),
  ],
  'cronjob-controller': [
    rule(['get', 'list', 'watch', 'update'], ['batch'], ['cronjobs']),
    rule(['get', 'list', 'watch', 'create', 'update', 'delete', 'patch'], ['batch'], ['jobs']),
    rule(['update'], ['batch'], ['cronjobs/status']),
    rule(['update'], ['batch'], ['cronjobs/finalizers']),
    rule(['list', 'delete'], [''], ['pods']),
    events(),
  ],
  'daemon-set-controller': [
    rule(READ, ['extensions', 'apps'], ['daemonsets']),
    rule(['update'], ['extensions', 'apps'], ['daemonsets/status']),
    rule(['update'], ['extensions', 'apps'], ['daemonsets/finalizers']),
    rule(['list', 'watch'], [''], ['nodes']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [''], ['pods']),
    rule(['create'], [''], ['pods/binding']),
    rule(['get', 'list', 'watch', 'create', 'delete', 'update', 'patch'], ['apps'], ['controllerrevisions']),
    events(),
  ],
  'deployment-controller': [
    rule(['get', 'list', 'watch', 'update'], ['extensions', 'apps'], ['deployments']),
    rule(['update'], ['extensions', 'apps'], ['deployments/status']),
    rule(['update'], ['extensions', 'apps'], ['deployments/finalizers']),
    rule(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], ['apps', 'extensions'], ['replicasets']),
    rule(['get', 'list', 'watch', 'update'], [''], ['pods']),
    events(),
  ],
  'disruption-controller': [
    rule(READ, ['extensions', 'apps'], ['deployments']),
    rule(READ, ['apps', 'extensions'], ['replicasets']),
    rule(READ, [''], ['replicationcontrollers']),
    rule(READ, ['policy'], ['poddisruptionbudgets']),
    rule(READ, ['apps'], ['statefulsets']),
    rule(['update'], ['policy'], ['poddisruptionbudgets/status']),
    rule(['get'], ['*'], ['*/scale']),
    rule(['patch', 'update'], [''], ['pods/status']),
    events(),
  ],
  'endpoint-controller': [
    rule(READ, [''], ['services', 'pods']),
    rule(['get', 'list', 'create', 'update', 'delete'], [''], ['endpoints']),
    rule(['create'], [''], ['endpoints/restricted']),
    events(),
  ],
  'endpointslice-controller': [
    rule(READ, [''], ['services', 'pods', 'nodes']),
    rule(['get', 'list', 'create', 'update', 'delete'], ['discovery.k8s.io'], ['endpointslices']),
    events(),
  ],
  'generic-garbage-collector': [rule(['get', 'list', 'watch', 'patch', 'update', 'delete'], ['*'], ['*']), events()],
  'horizontal-pod-autoscaler': [
    rule(READ, ['autoscaling'], ['horizontalpodautoscalers']),
    rule(['update'], ['autoscaling'], ['horizontalpodautoscalers/status']),
    rule(['get', 'update'], ['*'], ['*/scale']),
    rule(['list'], [''], ['pods']),
    // resource, custom and external metrics
    rule(['list'], ['metrics.k8s.io'], ['pods']),
    rule(['get', 'list'], ['custom.metrics.k8s.io'], ['*']),
    rule(['get', 'list'], ['external.metrics.k8s.io'], ['*']),
    events(),
  ],
  'job-controller': [
    rule(['get', 'list', 'watch', 'update', 'patch'], ['batch'], ['jobs']),
    rule(['update'], ['batch'], ['jobs/status']),
    rule(['update'], ['batch'], ['jobs/finalizers']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [''], ['pods']),
    events(),
  ],
  'namespace-controller': [
    rule(['get', 'list', 'watch', 'delete'], [''], ['namespaces']),
    rule(['update'], [''], ['namespaces/finalize', 'namespaces/status']),
    rule(['get', 'list', 'delete', 'deletecollection'], ['*'], ['*']),
  ],
  'node-controller': [
    rule(['get', 'list', 'update', 'delete', 'patch'], [''], ['nodes']),
    rule(['patch', 'update'], [''], ['nodes/status']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(['list', 'delete'], [''], ['pods']),
    events(),
  ],
  'persistent-volume-binder': [
    rule(['get', 'list', 'watch', 'update', 'create', 'delete'], [''], ['persistentvolumes']),
    rule(['update'], [''], ['persistentvolumes/status']),
    rule(['get', 'list', 'watch', 'update'], [''], ['persistentvolumeclaims']),
    rule(['update'], [''], ['persistentvolumeclaims/status']),
    rule(['list', 'watch', 'get', 'create', 'delete'], [''], ['pods']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    events(),
  ],
  'pv-protection-controller': [rule(['get', 'list', 'watch', 'update'], [''], ['persistentvolumes']), events()],
  'pvc-protection-controller': [
    rule(['get', 'list', 'watch', 'update'], [''], ['persistentvolumeclaims']),
    rule(['list', 'watch', 'get'], [''], ['pods']),
    events(),
  ],
  'pod-garbage-collector': [
    rule(['list', 'watch', 'delete'], [''], ['pods']),
    rule(['get', 'list', 'watch'], [''], ['nodes']),
    rule(['patch'], [''], ['pods/status']),
  ],
  'resourcequota-controller': [
    // Quota can count anything, so it reads everything; it writes only the quotas' status.
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['update'], [''], ['resourcequotas/status']),
    events(),
  ],
  'replicaset-controller': [
    rule(['get', 'list', 'watch', 'update'], ['apps', 'extensions'], ['replicasets']),
    rule(['update'], ['apps', 'extensions'], ['replicasets/status']),
    rule(['update'], ['apps', 'extensions'], ['replicasets/finalizers']),
    rule(['list', 'watch', 'patch', 'create', 'delete'], [''], ['pods']),
    events(),
  ],
  'replication-controller': [
    rule(['get', 'list', 'watch', 'update'], [''], ['replicationcontrollers']),
    rule(['update'], [''], ['replicationcontrollers/status']),
    rule(['update'], [''], ['replicationcontrollers/finalizers']),
    rule(['list', 'watch', 'patch', 'create', 'delete'], [''], ['pods']),
    events(),
  ],
  'root-ca-cert-publisher': [rule(['create', 'update'], [''], ['configmaps']), events()],
  'service-account-controller': [rule(['create'], [''], ['serviceaccounts']), events()],
  'service-controller': [
    rule(READ, [''], ['services']),
    rule(['patch', 'update'], [''], ['services/status']),
    rule(['list', 'watch'], [''], ['nodes']),
    events(),
  ],
  'statefulset-controller': [
    rule(['list', 'watch'], [''], ['pods']),
    rule(READ, ['apps'], ['statefulsets']),
    rule(['update'], ['apps'], ['statefulsets/status']),
    rule(['update'], ['apps'], ['statefulsets/finalizers']),
    rule(['get', 'create', 'delete', 'update', 'patch'], [''], ['pods']),
    rule(['get', 'create', 'delete', 'update', 'patch', 'list', 'watch'], ['apps'], ['controllerrevisions']),
    rule(['get', 'create'], [''], ['persistentvolumeclaims']),
    rule(['update', 'delete'], [''], ['persistentvolumeclaims']),
    events(),
  ],
  'taint-eviction-controller': [
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(['list', 'get', 'delete'], [''], ['pods']),
    events(),
  ],
  'ttl-after-finished-controller': [rule(['get', 'list', 'watch', 'delete'], ['batch'], ['jobs']), events()],
};

for (const [name, rules] of Object.entries(CONTROLLERS)) {
  CLUSTER_ROLES.push(clusterRole(`system:controller:${name}`, rules));
  CLUSTER_ROLE_BINDINGS.push(clusterBinding(`system:controller:${name}`, [serviceAccount('kube-system', name)]));
}

function role(namespace: string, name: string, rules: PolicyRule[]): Role {
  return { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: metadata(name, namespace), rules };
}

function roleBinding(namespace: string, name: string, subjects: Subject[], roleName = name): RoleBinding {
  return { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: metadata(name, namespace), roleRef: { apiGroup: RBAC, kind: 'Role', name: roleName }, subjects };
}

/** namespace_policy.go, plus kubeadm's anonymous read of kube-public/cluster-info (agents check the CA with it). */
export const ROLES: Role[] = [
  role('kube-system', 'extension-apiserver-authentication-reader', [rule(READ, [''], ['configmaps'], ['extension-apiserver-authentication'])]),
  role('kube-system', 'system::leader-locking-kube-controller-manager', [rule(['watch'], [''], ['configmaps']), rule(['get', 'update'], [''], ['configmaps'], ['kube-controller-manager'])]),
  role('kube-system', 'system::leader-locking-kube-scheduler', [rule(['watch'], [''], ['configmaps']), rule(['get', 'update'], [''], ['configmaps'], ['kube-scheduler'])]),
  role('kube-system', 'system:controller:bootstrap-signer', [rule(READ, [''], ['secrets'])]),
  role('kube-system', 'system:controller:token-cleaner', [rule(['delete', 'get', 'list', 'watch'], [''], ['secrets']), events()]),
  role('kube-public', 'system:controller:bootstrap-signer', [rule(READ, [''], ['configmaps']), rule(['update'], [''], ['configmaps'], ['cluster-info']), events()]),
  role('kube-public', 'kubeadm:bootstrap-signer-clusterinfo', [rule(['get'], [''], ['configmaps'], ['cluster-info'])]),
];

export const ROLE_BINDINGS: RoleBinding[] = [
  roleBinding('kube-system', 'system::extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')], 'extension-apiserver-authentication-reader'),
  roleBinding('kube-system', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), serviceAccount('kube-system', 'kube-controller-manager')]),
  roleBinding('kube-system', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), serviceAccount('kube-system', 'kube-scheduler')]),
  roleBinding('kube-system', 'system:controller:bootstrap-signer', [serviceAccount('kube-system', 'bootstrap-signer')]),
  roleBinding('kube-system', 'system:controller:token-cleaner', [serviceAccount('kube-system', 'token-cleaner')]),
  roleBinding('kube-public', 'system:controller:bootstrap-signer', [serviceAccount('kube-system', 'bootstrap-signer')]),
  roleBinding('kube-public', 'kubeadm:bootstrap-signer-clusterinfo', [user('system:anonymous')]),
];

/**
 * Kubeling-specific, for every node (group system:nodes): each node runs the service proxy and serves cluster
 * DNS with its own credentials, publishing its DNS endpoint as an EndpointSlice of kube-system/kube-dns
 * (upstream runs kube-proxy as system:kube-proxy and CoreDNS as the kube-dns service account instead).
 */
CLUSTER_ROLES.push(clusterRole('kubeling:node-dns', [
  rule(['list', 'watch'], [''], ['services', 'endpoints', 'namespaces']),
  rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
]));
CLUSTER_ROLE_BINDINGS.push(
  clusterBinding('kubeling:node-proxier', [group('system:nodes')], 'system:node-proxier'),
  clusterBinding('kubeling:node-dns', [group('system:nodes')]),
);
ROLES.push(role('kube-system', 'kubeling:node-dns', [rule(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], ['discovery.k8s.io'], ['endpointslices'])]));
ROLE_BINDINGS.push(roleBinding('kube-system', 'kubeling:node-dns', [group('system:nodes')]));

/**
 * kubeadm's bindings for joining nodes (k3s and kubeadm make the same): the bootstrappers (the node token's
 * identity) may ask for node client certificates, which the approver signs at once, and nodes may renew their own.
 */
CLUSTER_ROLE_BINDINGS.push(
  clusterBinding('kubeadm:kubelet-bootstrap', [group('system:bootstrappers')], 'system:node-bootstrapper'),
  clusterBinding('kubeadm:node-autoapprove-bootstrap', [group('system:bootstrappers')], 'system:certificates.k8s.io:certificatesigningrequests:nodeclient'),
  clusterBinding('kubeadm:node-autoapprove-certificate-rotation', [group('system:nodes')], 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient'),
);
