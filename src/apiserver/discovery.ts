/**
 * The non-resource documents kubectl reads before anything else: `/version` (its minor version picks the kubectl
 * binary the dispatcher runs, so it says v1.32), discovery at `/api`, `/apis` (aggregated apidiscovery v2 or
 * v2beta1 when the Accept header asks for exactly that version, else the legacy lists), `/api/v1`,
 * `/apis/<g>[/<v>]`, and OpenAPI v3 (`/openapi/v3` plus one document per group-version whose PATCH and POST
 * operations declare `fieldValidation`, which makes kubectl leave validation to the server, and whose component
 * schemas serve `kubectl explain` and apply's strategic merge patches).
 */
import { createHash } from 'node:crypto';
import { RESOURCES, apiGroups, apiResourceList, groupDiscovery, type ResourceInfo } from '../api/index.ts';
import { parseAccept } from './http.ts';
import { componentSchemas, kindComponent } from './openapi-schemas.ts';
import { customComponentName, customResourceComponent } from './crd/openapi.ts';
import { METRICS_GROUP, METRICS_VERSION, metricsApiGroup, metricsGroupDiscovery, metricsResourceList } from './metrics/metrics-api.ts';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+kubeling',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export const DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** 'v2' or 'v2beta1' when the client lists that exact aggregated form before plain JSON; else legacy. */
export function negotiateDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | 'legacy' {
  for (const m of parseAccept(accept)) {
    if (m.type !== 'application/json' && m.type !== '*/*') continue;
    if (!m.params['as']) return 'legacy';
    if (m.params['g'] === 'apidiscovery.k8s.io' && m.params['as'] === 'APIGroupDiscoveryList') {
      if (m.params['v'] === 'v2') return 'v2';
      if (m.params['v'] === 'v2beta1') return 'v2beta1';
    }
  }
  return 'legacy';
}

/** The aggregated discovery document of the served resources (`resources`: built-in and custom). */
export function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1', resources: readonly ResourceInfo[] = RESOURCES): unknown {
  const groups = apiGroups(resources).filter((g) => (core ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [...groups.map((g) => groupDiscovery(g.group, resources)), ...(core ? [] : [metricsGroupDiscovery()])],
  };
}

export function legacyApiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string, versions: string[]): unknown {
  const vs = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function legacyApiGroupList(resources: readonly ResourceInfo[] = RESOURCES): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...apiGroups(resources).filter((g) => g.group !== '').map((g) => apiGroup(g.group, g.versions)), metricsApiGroup()],
  };
}

export function legacyApiGroup(group: string, resources: readonly ResourceInfo[] = RESOURCES): unknown {
  if (group === METRICS_GROUP) return { kind: 'APIGroup', apiVersion: 'v1', ...metricsApiGroup() };
  const g = apiGroups(resources).find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(g.group, g.versions) as object) } : undefined;
}

/** Legacy discovery of one group-version, the built-in metrics API included. */
export function groupVersionResources(groupVersion: string, resources: readonly ResourceInfo[] = RESOURCES): unknown {
  return groupVersion === `${METRICS_GROUP}/${METRICS_VERSION}` ? metricsResourceList() : apiResourceList(groupVersion, resources);
}

export { apiResourceList };

// --- OpenAPI v3 ------------------------------------------------------------------------------------

function gvPath(groupVersion: string): string {
  return groupVersion.includes('/') ? `apis/${groupVersion}` : `api/${groupVersion}`;
}

const queryParam = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });
const FIELD_VALIDATION = queryParam('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.');
const DRY_RUN = queryParam('dryRun', 'When present, indicates that modifications should not be persisted.');
const FIELD_MANAGER = queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');

function operations(r: ResourceInfo): Record<string, unknown> {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const item = `${collection}/{name}`;
  // The kind's full component schema (openapi-schemas.ts); a kind without one is a plain object.
  const component = r.custom ? customComponentName(r) : kindComponent(r.groupVersion, r.kind);
  const ref = component ? { $ref: `#/components/schemas/${component}` } : { type: 'object' };
  const content = { 'application/json': { schema: ref } };
  const op = (action: string, verb: string, params: unknown[], extra: Record<string, unknown> = {}) => ({
    operationId: `${verb}${r.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    parameters: params,
    responses: { '200': { description: 'OK', content } },
    ...extra,
  });
  const paths: Record<string, unknown> = {};
  if (!r.verbs.includes('get')) {
    // Create-only resources (bindings, the self-subject reviews).
    paths[collection] = { post: op('post', 'create', [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: { content } }) };
    return paths;
  }
  paths[collection] = {
    get: op('list', 'list', []),
    post: op('post', 'create', [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: { content } }),
  };
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
  const patchBody = { content: Object.fromEntries(patchTypes.map((t) => [t, { schema: { type: 'object' } }])) };
  paths[item] = {
    get: op('get', 'read', []),
    put: op('put', 'replace', [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: { content } }),
    patch: op('patch', 'patch', [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, queryParam('force', 'Force is going to "force" Apply requests.')], { requestBody: patchBody }),
    delete: op('delete', 'delete', [DRY_RUN]),
  };
  for (const s of r.subresources) {
    if (s.name === 'status' || s.name === 'ephemeralcontainers') {
      paths[`${item}/${s.name}`] = {
        get: op('get', `read${s.name}`, []),
        put: op('put', `replace${s.name}`, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: { content } }),
        patch: op('patch', `patch${s.name}`, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], { requestBody: patchBody }),
      };
    }
  }
  return paths;
}

/**
 * The OpenAPI v3 document of one group-version (`v1`, `apps/v1`, or a custom resource's), or undefined.
 * Built-in documents are built once; a custom group-version's is built from its ResourceInfos each time
 * they change (the caller passes the served table).
 */
export function openApiDocument(groupVersion: string, resources: readonly ResourceInfo[] = RESOURCES): unknown {
  const rs = resources.filter((r) => r.groupVersion === groupVersion);
  if (rs.some((r) => r.custom)) {
    const hit = customDocuments.get(groupVersion);
    if (hit && hit.infos.length === rs.length && hit.infos.every((r, i) => r === rs[i])) return hit.doc;
    const doc = buildOpenApiDocument(rs);
    customDocuments.set(groupVersion, { infos: rs, doc });
    return doc;
  }
  if (!documents.has(groupVersion)) documents.set(groupVersion, buildOpenApiDocument(rs));
  return documents.get(groupVersion);
}

const documents = new Map<string, unknown>();
const customDocuments = new Map<string, { infos: ResourceInfo[]; doc: unknown }>();

function buildOpenApiDocument(rs: ResourceInfo[]): unknown {
  if (rs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of rs) {
    Object.assign(paths, operations(r));
  }
  // Every type goes in every document: kinds of one group refer to types of others (ObjectMeta, PodSpec).
  let schemas = componentSchemas();
  const custom = rs.filter((r) => r.custom);
  if (custom.length) {
    schemas = { ...schemas };
    for (const r of custom) schemas[customComponentName(r)] = customResourceComponent(r);
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion }, paths, components: { schemas } };
}

let indexCache: { paths: Record<string, { serverRelativeURL: string }> } | undefined;

/** `/openapi/v3`: where each group-version's document is, with a content hash for kubectl's HTTP cache. */
export function openApiIndex(resources: readonly ResourceInfo[] = RESOURCES): unknown {
  if (!indexCache) {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of new Set(RESOURCES.map((r) => r.groupVersion))) paths[gvPath(gv)] = { serverRelativeURL: `/openapi/v3/${gvPath(gv)}?hash=${documentHash(openApiDocument(gv))}` };
    indexCache = { paths };
  }
  const custom = resources.filter((r) => r.custom);
  if (custom.length === 0) return indexCache;
  const paths = { ...indexCache.paths };
  for (const gv of new Set(custom.map((r) => r.groupVersion))) paths[gvPath(gv)] = { serverRelativeURL: `/openapi/v3/${gvPath(gv)}?hash=${documentHash(openApiDocument(gv, resources))}` };
  return { paths };
}

const hashes = new WeakMap<object, string>();

function documentHash(doc: unknown): string {
  let h = hashes.get(doc as object);
  if (!h) {
    h = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
    hashes.set(doc as object, h);
  }
  return h;
}
