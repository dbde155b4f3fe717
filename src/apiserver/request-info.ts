/**
 * What a request is about, read from its method and path as apiserver's RequestInfoFactory does:
 *
 *   /api/v1/namespaces/{ns}/pods/{name}/log      → { group '', version v1, namespace, resource pods, name, subresource log }
 *   /apis/coordination.k8s.io/v1/leases          → all-namespace list of leases
 *   /api/v1/namespaces/{name}/status             → the namespace object's status subresource
 *   /api/v1/watch/namespaces/{ns}/pods           → the legacy watch path (same as ?watch=true)
 *
 * Non-resource paths (/version, /healthz, discovery, OpenAPI) are left to the caller.
 */

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';

export interface ResourceRequest {
  group: string;
  version: string;
  /** `v1` or `apps/v1`. */
  groupVersion: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  verb: RequestVerb;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Parses a resource path; undefined when the path is not under /api/v1 or /apis/<g>/<v> with a resource. */
export function parseResourcePath(method: string, pathname: string, query: URLSearchParams): ResourceRequest | undefined {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  let resource: string;
  let name = '';
  let subresource = '';
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]!))) {
    namespace = rest[1]!;
    resource = rest[2]!;
    name = rest[3] ?? '';
    subresource = rest.slice(4).join('/');
  } else {
    resource = rest[0] ?? '';
    name = rest[1] ?? '';
    subresource = rest.slice(2).join('/');
    // GET /api/v1/namespaces/{name} names the namespace itself.
    if (resource === 'namespaces' && name) namespace = '';
  }
  if (!resource) return undefined;
  const watch = watchPath || query.get('watch') === 'true' || query.get('watch') === '1';
  let verb: RequestVerb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = 'connect';
  }
  return { group, version, groupVersion: group ? `${group}/${version}` : version, namespace, resource, name, subresource, verb };
}
