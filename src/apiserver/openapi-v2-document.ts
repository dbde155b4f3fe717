/**
 * The Swagger 2.0 document of `/openapi/v2`, made from the OpenAPI v3 component schemas (openapi-schemas.ts)
 * in the shape kube-apiserver publishes: `definitions` named as upstream (`io.k8s.api.core.v1.Pod`), plain
 * `$ref`s to `#/definitions/...` (v3's `allOf` wrappers unwrapped), IntOrString and Quantity as string
 * definitions, `x-kubernetes-group-version-kind` on the kinds, and for every built-in resource its collection
 * and item paths with upstream's operation ids, actions, parameters and responses. kubectl reads the
 * definitions (`kubectl explain --output=plaintext-openapiv2`, client-side validation of a `List`'s items,
 * and before 1.27 apply, explain and edit); the paths are there for clients that list operations.
 * Each served custom resource version adds its kind and list definitions (crd/openapi-v2.ts) and its paths.
 */
import { RESOURCES, type ResourceInfo } from '../api/index.ts';
import { customResourceDefinitionsV2 } from './crd/openapi-v2.ts';
import { customComponentName } from './crd/openapi.ts';
import { VERSION_INFO } from './discovery.ts';
import { componentSchemas, kindComponent } from './openapi-schemas.ts';

export type SwaggerSchema = Record<string, unknown>;

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
const V3_PREFIX = '#/components/schemas/';

/** One v3 schema in v2's vocabulary: refs unwrapped and re-pointed, `anyOf`/`oneOf` (not in Swagger 2.0) dropped. */
function toV2(s: SwaggerSchema): SwaggerSchema {
  if (s['x-kubernetes-int-or-string'] === true) return { $ref: `#/definitions/${INT_OR_STRING}` };
  const allOf = s['allOf'] as SwaggerSchema[] | undefined;
  if (allOf?.length === 1 && typeof allOf[0]!['$ref'] === 'string') {
    return { $ref: (allOf[0]!['$ref'] as string).replace(V3_PREFIX, '#/definitions/') };
  }
  const out: SwaggerSchema = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'anyOf' || key === 'oneOf' || key === 'allOf' || key === 'x-kubernetes-preserve-unknown-fields') continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, SwaggerSchema>).map(([k, v]) => [k, toV2(v)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toV2(value as SwaggerSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function definitions(): Record<string, SwaggerSchema> {
  const out: Record<string, SwaggerSchema> = {};
  for (const [name, schema] of Object.entries(componentSchemas())) out[name] = toV2(schema);
  // Upstream's two string-shaped types (their JSON form is a string, or an int for IntOrString).
  out[QUANTITY] = { type: 'string', description: 'Quantity is a fixed-point representation of a number.' };
  out[INT_OR_STRING] = { type: 'string', format: 'int-or-string', description: 'IntOrString is a type that can hold an int32 or a string.' };
  // A custom resource's list definition refers to it (the built-in lists have no definitions here).
  out[LIST_META] ??= {
    description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.',
    type: 'object',
    properties: {
      continue: { type: 'string', description: 'continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available.' },
      remainingItemCount: { type: 'integer', format: 'int64', description: 'remainingItemCount is the number of subsequent items in the list which are not included in this list response.' },
      resourceVersion: { type: 'string', description: "String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed." },
      selfLink: { type: 'string', description: 'Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.' },
    },
  };
  return out;
}

const MIME = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_MIME = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const query = (name: string, description: string, type = 'string') => ({ name, in: 'query', description, type, uniqueItems: true });
const DRY_RUN = query('dryRun', 'When present, indicates that modifications should not be persisted.');
const FIELD_MANAGER = query('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = query('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.');
const PRETTY = query('pretty', "If 'true', then the output is pretty printed.");
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, type: 'string', uniqueItems: true });
const NAMESPACE = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

/** upstream's operation id: verb, `Core`/group and version, `Namespaced` when it is, the kind (`listCoreV1NamespacedPod`). */
function operationId(verb: string, r: ResourceInfo, suffix = ''): string {
  const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);
  const group = r.group ? r.group.replace(/\.k8s\.io$/, '').split('.').map(cap).join('') : 'Core';
  return `${verb}${group}${cap(r.version)}${r.namespaced ? 'Namespaced' : ''}${r.kind}${suffix}`;
}

function resourcePaths(r: ResourceInfo): Record<string, unknown> {
  const component = r.custom ? customComponentName(r) : kindComponent(r.groupVersion, r.kind);
  const schema = component ? { $ref: `#/definitions/${component}` } : { type: 'object' };
  const listSchema = r.custom ? { $ref: `#/definitions/${customComponentName({ ...r, kind: r.listKind })}` } : { type: 'object' };
  const gvk = { group: r.group, kind: r.kind, version: r.version };
  const tag = `${r.group ? r.group.replace(/\.k8s\.io$/, '') : 'core'}_${r.version}`;
  const op = (action: string, verb: string, extra: Record<string, unknown> = {}, suffix = '') => ({
    description: `${verb} ${suffix ? `${suffix.toLowerCase()} of ` : ''}the specified ${r.kind}`,
    consumes: ['*/*'],
    produces: MIME,
    schemes: ['https'],
    tags: [tag],
    operationId: operationId(verb, r, suffix),
    responses: { '200': { description: 'OK', schema }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const body = { name: 'body', in: 'body', required: true, schema };
  const patchBody = { name: 'body', in: 'body', required: true, schema: { type: 'object' } };
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const item = `${collection}/{name}`;
  const scope = r.namespaced ? [NAMESPACE] : [];
  const name = pathParam('name', `name of the ${r.kind}`);
  const paths: Record<string, unknown> = {};
  const post = op('post', 'create', { parameters: [body, DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] });
  if (!r.verbs.includes('get')) {
    paths[collection] = { post, parameters: [...scope, PRETTY] };
    return paths;
  }
  paths[collection] = {
    get: { ...op('list', 'list'), description: `list or watch objects of kind ${r.kind}`, responses: { '200': { description: 'OK', schema: listSchema }, '401': { description: 'Unauthorized' } } },
    post,
    parameters: [...scope, PRETTY],
  };
  paths[item] = {
    get: op('get', 'read'),
    put: op('put', 'replace', { parameters: [body, DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }),
    patch: op('patch', 'patch', { consumes: PATCH_MIME, parameters: [patchBody, DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, query('force', 'Force is going to "force" Apply requests.', 'boolean')] }),
    delete: op('delete', 'delete', { parameters: [DRY_RUN] }),
    parameters: [name, ...scope, PRETTY],
  };
  for (const s of r.subresources) {
    if (s.name !== 'status') continue;
    paths[`${item}/status`] = {
      get: op('get', 'read', {}, 'Status'),
      put: op('put', 'replace', { parameters: [body, DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }, 'Status'),
      patch: op('patch', 'patch', { consumes: PATCH_MIME, parameters: [patchBody, DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }, 'Status'),
      parameters: [name, ...scope, PRETTY],
    };
  }
  return paths;
}

/** The whole document for the served resources (the caller caches it until the set of custom resources changes). */
export function swaggerDocument(resources: readonly ResourceInfo[] = RESOURCES): SwaggerSchema {
  const paths: Record<string, unknown> = {};
  const defs = definitions();
  for (const r of resources) {
    Object.assign(paths, resourcePaths(r));
    if (r.custom) Object.assign(defs, customResourceDefinitionsV2(r));
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion }, paths, definitions: defs };
}
