/**
 * OpenAPI v3 component schemas for the kinds kubeling serves, built from the field schema src/api derives from
 * kubernetes-models (SCHEMA_TYPES) plus the strategic-merge metadata (PATCH_META). They are what
 * `kubectl explain` walks (a kind is found by its `x-kubernetes-group-version-kind`) and what kubectl's apply
 * reads `x-kubernetes-patch-merge-key`/`x-kubernetes-patch-strategy` from when it computes a strategic merge
 * patch. Every field of a kind is declared: kubectl's OpenAPI patch lookup fails (and warns) on a field the
 * schema lacks. Names follow the real apiserver (`io.k8s.api.core.v1.Pod`); references are wrapped in `allOf`
 * as upstream's v3 documents do. There are no descriptions: kubernetes-models' schema carries none.
 */
import { PATCH_META, SCHEMA_ROOTS, SCHEMA_TYPES, type FieldMeta } from '../api/index.ts';

type Schema = Record<string, unknown>;

/** `v1.PodSpec` → `io.k8s.api.core.v1.PodSpec`; `meta:apis.meta.v1.ObjectMeta` → `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`. */
export function componentName(type: string): string {
  if (type.startsWith('meta:')) return `io.k8s.apimachinery.pkg.${type.slice(5)}`;
  const parts = type.split('.');
  const kind = parts.pop()!;
  const version = parts.pop()!;
  const group = parts.join('.').replace(/\.k8s\.io$/, '') || 'core';
  return `io.k8s.api.${group}.${version}.${kind}`;
}

/** The short type name PATCH_META uses (`PodSpec`), with the workload statuses it shares. */
function patchMetaOf(type: string): Record<string, FieldMeta> | undefined {
  const short = type.slice(type.lastIndexOf('.') + 1);
  return PATCH_META[short] ?? (/^(Deployment|ReplicaSet|StatefulSet|DaemonSet|ReplicationController)Status$/.test(short) ? PATCH_META['WorkloadStatus'] : undefined);
}

const INT64 = new Set([
  'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'deletionGracePeriodSeconds', 'generation', 'observedGeneration',
  'runAsUser', 'runAsGroup', 'fsGroup', 'supplementalGroups', 'expirationSeconds', 'tolerationSeconds',
]);

function refSchema(ref: string, field: string): Schema {
  if (ref === 'str') return { type: 'string' };
  if (ref === 'num') return { type: 'integer', format: INT64.has(field) ? 'int64' : 'int32' };
  if (ref === 'bool') return { type: 'boolean' };
  if (ref === 'ios') return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  if (ref === 'qty') return { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' }] };
  if (ref === '*' || ref === 's') return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  if (ref.startsWith('[]')) return { type: 'array', items: refSchema(ref.slice(2), field) };
  if (ref.startsWith('{}')) return { type: 'object', additionalProperties: refSchema(ref.slice(2), field) };
  return { allOf: [{ $ref: `#/components/schemas/${componentName(ref)}` }] };
}

function typeSchema(type: string): Schema {
  const meta = patchMetaOf(type);
  const properties: Record<string, Schema> = {};
  for (const [field, ref] of Object.entries(SCHEMA_TYPES[type]!)) {
    const s = refSchema(ref, field);
    const m = meta?.[field];
    if (m?.list === 'merge' && ref.startsWith('[]')) {
      s['x-kubernetes-patch-strategy'] = 'merge';
      if (m.key) {
        s['x-kubernetes-patch-merge-key'] = m.key;
        s['x-kubernetes-list-type'] = 'map';
        s['x-kubernetes-list-map-keys'] = [m.key];
      } else {
        s['x-kubernetes-list-type'] = 'set';
      }
    }
    properties[field] = s;
  }
  return { type: 'object', properties };
}

let all: Record<string, Schema> | undefined;

/**
 * Every component schema (one per type of every served kind), keyed by its OpenAPI name. The top-level kinds
 * carry `x-kubernetes-group-version-kind`. Built once; callers must not change the result.
 */
export function componentSchemas(): Record<string, Schema> {
  if (all) return all;
  const out: Record<string, Schema> = {
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { 'x-kubernetes-int-or-string': true, oneOf: [{ type: 'string' }, { type: 'number' }] },
  };
  for (const type of Object.keys(SCHEMA_TYPES)) out[componentName(type)] = typeSchema(type);
  for (const [key, type] of Object.entries(SCHEMA_ROOTS)) {
    const slash = key.lastIndexOf('/');
    const [group, version] = key.slice(0, slash).includes('/') ? key.slice(0, slash).split('/') : ['', key.slice(0, slash)];
    out[componentName(type)]!['x-kubernetes-group-version-kind'] = [{ group, kind: key.slice(slash + 1), version }];
  }
  all = out;
  return all;
}

/** The component name of a served kind (`v1`, `Pod` → `io.k8s.api.core.v1.Pod`), or undefined without a schema. */
export function kindComponent(groupVersion: string, kind: string): string | undefined {
  const type = SCHEMA_ROOTS[`${groupVersion}/${kind}`];
  return type ? componentName(type) : undefined;
}
