/**
 * What the join identity may do, and the allow-all that stands in for RBAC until it is built into the chain.
 * The node token authenticates as `system:node-bootstrap` in group `system:bootstrappers`, and that identity
 * may only join: read `kube-public/cluster-info`, and create, read and watch CertificateSigningRequests
 * (upstream's `system:node-bootstrapper` role, which kubeadm binds to the bootstrappers group) to get the
 * node its own client certificate. `allowAllButNodes` allows every other request from anyone who is neither a
 * node nor a bootstrapper; the RBAC authorizer (with its bootstrap roles and bindings) replaces both.
 */
import type { Attributes, AuthorizationResult, Authorizer } from './authorizer.ts';
import { nodeIdentity } from './node.ts';

export const BOOTSTRAP_USER = 'system:node-bootstrap';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

/**
 * What RBAC's default roles give every authenticated user (system:discovery, system:basic-user,
 * system:public-info-viewer): discovery and OpenAPI, version and health, and reviews about oneself.
 */
export function basicUserAllows(a: Attributes): boolean {
  if (!a.resourceRequest) {
    const p = a.path;
    return (a.verb === 'get' || a.verb === 'head') && (['/api', '/apis', '/version', '/healthz', '/livez', '/readyz', '/openapi/v2', '/openapi/v3'].includes(p) ||
      p.startsWith('/api/') || p.startsWith('/apis/') || p.startsWith('/openapi/v3/') || p.startsWith('/healthz/') || p.startsWith('/livez/') || p.startsWith('/readyz/'));
  }
  return a.verb === 'create' && !a.subresource && ((a.apiGroup === 'authentication.k8s.io' && a.resource === 'selfsubjectreviews') ||
    (a.apiGroup === 'authorization.k8s.io' && (a.resource === 'selfsubjectaccessreviews' || a.resource === 'selfsubjectrulesreviews')));
}

export function bootstrapAllows(a: Attributes): boolean {
  if (!a.resourceRequest) return false;
  if (a.apiGroup === 'certificates.k8s.io' && a.resource === 'certificatesigningrequests' && !a.subresource) {
    return ['create', 'get', 'list', 'watch'].includes(a.verb);
  }
  return a.apiGroup === '' && a.resource === 'configmaps' && a.namespace === 'kube-public' && a.name === 'cluster-info' && a.verb === 'get';
}

/**
 * The default roles nodes and bootstrappers hold besides the Node authorizer: basicUserAllows for every
 * authenticated user, and system:node-bootstrapper (plus cluster-info) for the bootstrappers group.
 */
export const bootstrapAuthorizer: Authorizer = {
  authorize(a: Attributes): AuthorizationResult {
    if (a.user.groups.includes('system:authenticated') && basicUserAllows(a)) return { decision: 'Allow', reason: '' };
    if (a.user.groups.includes(BOOTSTRAPPERS_GROUP) && bootstrapAllows(a)) return { decision: 'Allow', reason: '' };
    return { decision: 'NoOpinion', reason: '' };
  },
};

/** Allows everything for users that are neither nodes nor bootstrappers (until RBAC decides for them). */
export const allowAllButNodes: Authorizer = {
  authorize(a: Attributes): AuthorizationResult {
    if (nodeIdentity(a.user).isNode || a.user.groups.includes('system:nodes') || a.user.groups.includes(BOOTSTRAPPERS_GROUP)) {
      return { decision: 'NoOpinion', reason: '' };
    }
    return { decision: 'Allow', reason: '' };
  },
};
