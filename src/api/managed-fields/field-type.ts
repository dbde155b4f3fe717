/**
 * The type information server-side apply needs (structured-merge-diff's schema): which values are leaves,
 * which maps merge key by key, which lists are atomic, sets of scalars, or associative lists keyed by some
 * fields. `fieldTypeOfKind` builds it for the kinds kubeling serves from the field schema src/api derives
 * from kubernetes-models (SCHEMA_TYPES) and the strategic-merge keys (PATCH_META); `DEDUCED` is upstream's
 * type for an object without a schema (maps granular, lists atomic); `fieldTypeFromOpenAPI` reads a
 * structural OpenAPI schema's `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` and `x-kubernetes-map-type`
 * (custom resources).
 */
import { SCHEMA_ROOTS, SCHEMA_TYPES } from '../schema/schema.generated.ts';
import { PATCH_META, type FieldMeta } from '../patch/patch-meta.ts';

export type FieldType =
  /** A leaf: a scalar, or a list or map replaced whole. */
  | { readonly shape: 'leaf' }
  /** A struct or map: each key merged on its own. `declared` tells a struct's named field from a map key. */
  | { readonly shape: 'map'; child(name: string): FieldType; declared(name: string): boolean }
  /** A granular list: a set of scalars (no keys) or an associative list keyed by `keys`. */
  | { readonly shape: 'list'; readonly element: FieldType; readonly keys: readonly string[]; readonly keyDefaults?: Readonly<Record<string, unknown>> }
  /** No schema: the value's own shape decides (objects granular, arrays atomic). */
  | { readonly shape: 'deduced' };

export const LEAF: FieldType = { shape: 'leaf' };
export const DEDUCED: FieldType = { shape: 'deduced' };
const DEDUCED_MAP: FieldType = { shape: 'map', child: () => DEDUCED, declared: () => false };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The type to walk `value` with: a deduced type becomes the value's own shape. */
export function resolve(t: FieldType, value: unknown): FieldType {
  if (t.shape !== 'deduced') return t;
  return isObject(value) ? DEDUCED_MAP : LEAF;
}

/**
 * Structs upstream marks `x-kubernetes-map-type: atomic` (`+structType=atomic`): a selector or reference is
 * owned and replaced whole. The field schema does not carry this, so it is listed here.
 */
const ATOMIC_STRUCTS = new Set([
  'LabelSelector', 'LocalObjectReference', 'ObjectReference', 'TypedLocalObjectReference', 'TypedObjectReference',
  'NodeSelector', 'NodeSelectorTerm', 'ConfigMapKeySelector', 'SecretKeySelector', 'ObjectFieldSelector',
  'ResourceFieldSelector', 'ConfigMapEnvSource', 'SecretEnvSource', 'ConfigMapProjection', 'SecretProjection',
  'TopologySelectorTerm',
]);

/**
 * Where upstream's `x-kubernetes-list-map-keys` differ from the strategic-merge key (a port is keyed by number
 * and protocol, the protocol defaulting to TCP).
 */
const LIST_KEY_OVERRIDES: Record<string, Record<string, { keys: string[]; defaults?: Record<string, unknown> }>> = {
  Container: { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  EphemeralContainer: { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  ServiceSpec: { ports: { keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } } },
  PodSpec: { topologySpreadConstraints: { keys: ['topologyKey', 'whenUnsatisfiable'] } },
};

/** Lists with list-type `map` or `set` that the strategic-merge metadata does not name. */
const EXTRA_LISTS: Record<string, Record<string, FieldMeta>> = {
  ServiceSpec: { ports: { list: 'merge', key: 'port' } },
};

const shortName = (type: string): string => type.slice(type.lastIndexOf('.') + 1);

function listMetaOf(owner: string, field: string): FieldMeta | undefined {
  const short = shortName(owner);
  const meta = PATCH_META[short] ?? (/^(Deployment|ReplicaSet|StatefulSet|DaemonSet|ReplicationController)Status$/.test(short) ? PATCH_META['WorkloadStatus'] : undefined);
  return EXTRA_LISTS[short]?.[field] ?? meta?.[field];
}

const named = new Map<string, FieldType>();

function namedType(type: string): FieldType {
  let t = named.get(type);
  if (t) return t;
  const fields = SCHEMA_TYPES[type];
  if (!fields || ATOMIC_STRUCTS.has(shortName(type))) {
    t = fields ? LEAF : DEDUCED;
  } else {
    const children = new Map<string, FieldType>();
    const childOf = (name: string): FieldType => {
      let c = children.get(name);
      if (!c) {
        const ref = fields[name];
        c = ref === undefined ? DEDUCED : refType(ref, type, name);
        children.set(name, c);
      }
      return c;
    };
    t = { shape: 'map', child: childOf, declared: (name) => fields[name] !== undefined };
  }
  named.set(type, t);
  return t;
}

function refType(ref: string, owner: string, field: string): FieldType {
  if (ref === '*') return DEDUCED;
  if (ref.startsWith('[]')) {
    const meta = listMetaOf(owner, field);
    if (meta?.list !== 'merge') return LEAF;
    const element = refType(ref.slice(2), owner, field);
    const override = LIST_KEY_OVERRIDES[shortName(owner)]?.[field];
    if (override) return { shape: 'list', element, keys: override.keys, ...(override.defaults ? { keyDefaults: override.defaults } : {}) };
    return { shape: 'list', element, keys: meta.key ? [meta.key] : [] };
  }
  if (ref.startsWith('{}')) {
    const element = refType(ref.slice(2), owner, field);
    return { shape: 'map', child: () => element, declared: () => false };
  }
  if (SCHEMA_TYPES[ref]) return namedType(ref);
  return LEAF;
}

/** The type of a served kind (`Pod`, or `apps/v1/Deployment`), or DEDUCED when kubeling has no schema for it. */
export function fieldTypeOfKind(kind: string, apiVersion?: string): FieldType {
  const root = (apiVersion && SCHEMA_ROOTS[`${apiVersion}/${kind}`]) || SCHEMA_ROOTS[`v1/${kind}`]
    || Object.entries(SCHEMA_ROOTS).find(([k]) => k.endsWith(`/${kind}`))?.[1];
  return root ? namedType(root) : DEDUCED;
}

/**
 * The type of a structural OpenAPI v3 schema (a CRD version's `openAPIV3Schema`): `properties` are struct
 * fields, `additionalProperties` map values, `items` with `x-kubernetes-list-type` `set` or `map` (keys from
 * `x-kubernetes-list-map-keys`) granular lists, any other list atomic; `x-kubernetes-map-type: atomic` and
 * `x-kubernetes-preserve-unknown-fields` without properties as upstream treats them.
 */
export function fieldTypeFromOpenAPI(schema: unknown): FieldType {
  if (!isObject(schema)) return DEDUCED;
  const type = schema.type;
  if (type === 'array') {
    const listType = schema['x-kubernetes-list-type'];
    if (listType !== 'set' && listType !== 'map') return LEAF;
    const keys = listType === 'map' && Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as string[]) : [];
    const items = isObject(schema.items) ? schema.items : {};
    const defaults: Record<string, unknown> = {};
    const props = isObject(items.properties) ? items.properties : {};
    for (const k of keys) if (isObject(props[k]) && (props[k] as Record<string, unknown>).default !== undefined) defaults[k] = (props[k] as Record<string, unknown>).default;
    return { shape: 'list', element: fieldTypeFromOpenAPI(items), keys, ...(Object.keys(defaults).length ? { keyDefaults: defaults } : {}) };
  }
  if (type === 'object' || isObject(schema.properties) || schema.additionalProperties !== undefined) {
    if (schema['x-kubernetes-map-type'] === 'atomic') return LEAF;
    const props = isObject(schema.properties) ? schema.properties : {};
    const extra = isObject(schema.additionalProperties) ? fieldTypeFromOpenAPI(schema.additionalProperties) : DEDUCED;
    const cache = new Map<string, FieldType>();
    return {
      shape: 'map',
      child: (name) => {
        let c = cache.get(name);
        if (!c) cache.set(name, (c = props[name] !== undefined ? fieldTypeFromOpenAPI(props[name]) : extra));
        return c;
      },
      declared: (name) => props[name] !== undefined,
    };
  }
  if (schema['x-kubernetes-preserve-unknown-fields'] === true || schema['x-kubernetes-int-or-string'] === true || type === undefined) return type === undefined && !schema['x-kubernetes-int-or-string'] ? DEDUCED : LEAF;
  return LEAF;
}

/**
 * A custom resource's type: its version's structural schema (or none: DEDUCED), with `metadata` typed as
 * ObjectMeta as upstream does for every object.
 */
export function fieldTypeOfCustomResource(openAPIV3Schema: unknown): FieldType {
  const body = isObject(openAPIV3Schema) ? fieldTypeFromOpenAPI(openAPIV3Schema) : DEDUCED_MAP;
  const inner = body.shape === 'map' ? body : DEDUCED_MAP;
  if (inner.shape !== 'map') return inner;
  const meta = namedType('meta:apis.meta.v1.ObjectMeta');
  return { shape: 'map', child: (name) => (name === 'metadata' ? meta : inner.child(name)), declared: (name) => name === 'metadata' || name === 'apiVersion' || name === 'kind' || inner.declared(name) };
}
