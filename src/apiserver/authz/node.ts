/**
 * The Node authorizer (upstream's plugin/pkg/auth/authorizer/node): requests from a node, a user
 * `system:node:<name>` in group `system:nodes`, may read secrets, configmaps, claims, volumes and resource
 * claims only when a pod bound to that node references them (the graph, node-graph.ts), create tokens only
 * for its pods' service accounts, and touch only its own Lease in kube-node-lease; every other resource is
 * decided by the node's static rules (bootstrappolicy's NodeRules, the `system:node` role). Anyone else gets
 * no opinion, so the next authorizer decides. Objects are never filtered here: NodeRestriction admission
 * limits which Node and pods a node may write.
 *
 * Kubeling runs a node's service proxy, cluster DNS and pod network with the node's own credential, so
 * nodes also get what upstream's `system:node-proxier` role grants (read endpoints and endpoint slices), what
 * the node's DNS needs (read namespaces; write endpoint slices in kube-system, where each node publishes its
 * kube-dns endpoint), and may read the two objects a kubeling node joins with: ConfigMap
 * kube-system/kubeling-pod-network and Secret kube-system/kubeling-kubelet-client.
 */
import type { Attributes, AuthorizationResult, Authorizer } from './authorizer.ts';
import type { NodeGraph, VertexType } from './node-graph.ts';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** NodeIdentity: whether the user is a node, and which (`''` for a member of system:nodes without a node name). */
export function nodeIdentity(user: { name: string; groups: string[] }): { isNode: boolean; nodeName: string } {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return { isNode: false, nodeName: '' };
  return { isNode: true, nodeName: user.name.slice(NODE_USER_PREFIX.length) };
}

interface Rule {
  verbs: string[];
  group: string;
  /** `resource` or `resource/subresource`. */
  resources: string[];
  names?: string[];
  namespace?: string;
}

const READ = ['get', 'list', 'watch'];

/** bootstrappolicy.NodeRules(), the parts for resources kubeling serves. */
const NODE_RULES: Rule[] = [
  { verbs: ['create'], group: 'authentication.k8s.io', resources: ['tokenreviews'] },
  { verbs: ['create'], group: 'authorization.k8s.io', resources: ['subjectaccessreviews', 'localsubjectaccessreviews'] },
  { verbs: READ, group: '', resources: ['services'] },
  { verbs: ['create', 'get', 'list', 'watch'], group: '', resources: ['nodes'] },
  { verbs: ['update', 'patch'], group: '', resources: ['nodes/status', 'nodes'] },
  { verbs: ['create', 'update', 'patch'], group: '', resources: ['events'] },
  { verbs: READ, group: '', resources: ['pods'] },
  { verbs: ['create', 'delete'], group: '', resources: ['pods'] },
  { verbs: ['update', 'patch'], group: '', resources: ['pods/status'] },
  { verbs: ['create'], group: '', resources: ['pods/eviction'] },
  { verbs: ['get'], group: '', resources: ['endpoints'] },
  { verbs: ['create', 'get', 'list', 'watch'], group: 'certificates.k8s.io', resources: ['certificatesigningrequests'] },
  { verbs: ['get'], group: 'storage.k8s.io', resources: ['volumeattachments'] },
  { verbs: READ, group: 'storage.k8s.io', resources: ['csidrivers', 'csinodes'] },
  { verbs: READ, group: 'node.k8s.io', resources: ['runtimeclasses'] },
  // kubeling: the node's service proxy and DNS (system:node-proxier), and the objects a node joins with.
  { verbs: READ, group: '', resources: ['endpoints'] },
  { verbs: READ, group: 'discovery.k8s.io', resources: ['endpointslices'] },
  // The node's cluster DNS: namespaces for its zone, and its own endpoint in kube-system's kube-dns slices.
  { verbs: READ, group: '', resources: ['namespaces'] },
  { verbs: ['create', 'update', 'delete'], group: 'discovery.k8s.io', resources: ['endpointslices'], namespace: 'kube-system' },
  { verbs: ['create', 'update', 'patch'], group: 'events.k8s.io', resources: ['events'] },
  { verbs: ['get'], group: '', resources: ['configmaps'], namespace: 'kube-system', names: ['kubeling-pod-network'] },
  { verbs: ['get'], group: '', resources: ['secrets'], namespace: 'kube-system', names: ['kubeling-kubelet-client'] },
];

function ruleAllows(rule: Rule, a: Attributes): boolean {
  if (!a.resourceRequest) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return rule.verbs.includes(a.verb) && rule.group === a.apiGroup && rule.resources.includes(resource) &&
    (rule.namespace === undefined || rule.namespace === a.namespace) && (rule.names === undefined || rule.names.includes(a.name));
}

const ALLOW: AuthorizationResult = { decision: 'Allow', reason: '' };
const noOpinion = (reason = ''): AuthorizationResult => ({ decision: 'NoOpinion', reason });

export class NodeAuthorizer implements Authorizer {
  readonly #graph: NodeGraph;

  constructor(graph: NodeGraph) {
    this.#graph = graph;
  }

  authorize(a: Attributes): AuthorizationResult {
    const { isNode, nodeName } = nodeIdentity(a.user);
    if (!isNode) return noOpinion();
    if (!nodeName) return noOpinion(`unknown node for user ${JSON.stringify(a.user.name)}`);
    if (a.resourceRequest) {
      const gr = `${a.apiGroup}/${a.resource}`;
      switch (gr) {
        case '/secrets':
        case '/configmaps': {
          const extra = this.#static(a);
          if (extra) return extra;
          return this.#readNamespaced(nodeName, gr === '/secrets' ? 'secret' : 'configmap', a);
        }
        case '/persistentvolumeclaims':
          if (a.subresource === 'status') return this.#statusUpdate(nodeName, 'pvc', a);
          return this.#get(nodeName, 'pvc', a);
        case '/persistentvolumes':
          return this.#get(nodeName, 'pv', a);
        case 'resource.k8s.io/resourceclaims':
          return this.#get(nodeName, 'resourceclaim', a);
        case '/serviceaccounts':
          return this.#createToken(nodeName, a);
        case 'coordination.k8s.io/leases':
          return this.#lease(nodeName, a);
      }
    }
    return this.#static(a) ?? noOpinion();
  }

  #static(a: Attributes): AuthorizationResult | undefined {
    return NODE_RULES.some((r) => ruleAllows(r, a)) ? ALLOW : undefined;
  }

  #path(nodeName: string, type: VertexType, a: Attributes): AuthorizationResult {
    if (!a.name) return noOpinion('No Object name found');
    if (this.#graph.hasPath(nodeName, type, a.namespace, a.name)) return ALLOW;
    return noOpinion(`no relationship found between node '${nodeName}' and this object`);
  }

  #readNamespaced(nodeName: string, type: VertexType, a: Attributes): AuthorizationResult {
    if (!READ.includes(a.verb)) return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.#path(nodeName, type, a);
  }

  #get(nodeName: string, type: VertexType, a: Attributes): AuthorizationResult {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.#path(nodeName, type, a);
  }

  #statusUpdate(nodeName: string, type: VertexType, a: Attributes): AuthorizationResult {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    if (a.subresource !== 'status') return noOpinion('can only update status subresource');
    return this.#path(nodeName, type, a);
  }

  #createToken(nodeName: string, a: Attributes): AuthorizationResult {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.#path(nodeName, 'serviceaccount', a);
  }

  #lease(nodeName: string, a: Attributes): AuthorizationResult {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    if (a.verb !== 'create' && a.name !== nodeName) return noOpinion('can only access node lease with the same name as the requesting node');
    return ALLOW;
  }
}
