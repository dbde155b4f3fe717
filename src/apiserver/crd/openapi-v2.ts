/**
 * A custom resource version's definitions in `/openapi/v2`, as the apiextensions server's OpenAPI builder makes
 * them: the kind (`com.example.stable.v1.CronTab`) and its list, with `x-kubernetes-group-version-kind`. The
 * structural schema goes through upstream's ToStructuralOpenAPIV2 first, because Swagger 2.0 (and kubectl's
 * v2 reader) has no `nullable`, no junctors, and breaks on an array without items or on properties next to
 * `x-kubernetes-preserve-unknown-fields`.
 */
import type { ResourceInfo } from '../../api/index.ts';
import { customComponentName } from './openapi.ts';

type Schema = Record<string, unknown>;

const OBJECT_META = '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
const API_VERSION = { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources' };
const KIND = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds' };

/**
 * One structural schema in Swagger 2.0's terms, as upstream's ToStructuralOpenAPIV2: junctors dropped; a
 * nullable node loses its type, items and properties (and is no longer required by its parent); a node that
 * keeps unknown fields loses its items and properties; an array left without items loses its type. An
 * `x-kubernetes-int-or-string` node, whose v3 form is an `anyOf`, so ends with no type.
 */
export function toStructuralOpenApiV2(input: Schema): Schema {
  const s: Schema = { ...input };
  for (const junctor of ['allOf', 'anyOf', 'oneOf', 'not']) delete s[junctor];
  if (s.nullable === true) {
    for (const key of ['type', 'nullable', 'items', 'properties']) delete s[key];
  } else {
    delete s.nullable;
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) {
    delete s.items;
    delete s.properties;
  }
  if (s.items === undefined && s.type === 'array') delete s.type;

  const properties = s.properties as Record<string, Schema> | undefined;
  let required = s.required as string[] | undefined;
  if (properties) {
    required = required?.filter((f) => properties[f]?.nullable !== true);
    s.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, toStructuralOpenApiV2(v)]));
  }
  const additional = s.additionalProperties;
  if (additional && typeof additional === 'object') {
    if ((additional as Schema).nullable === true) required = undefined;
    s.additionalProperties = toStructuralOpenApiV2(additional as Schema);
  }
  if (required?.length) s.required = required;
  else delete s.required;
  if (s.items && typeof s.items === 'object') s.items = toStructuralOpenApiV2(s.items as Schema);
  return s;
}

/**
 * The kind's definition. A schema that keeps unknown fields at its root (or none at all) is a bare object, as
 * upstream publishes it: properties there would make kubectl refuse every other field.
 */
function kindDefinition(r: ResourceInfo): Schema {
  const gvk = [{ group: r.group, kind: r.kind, version: r.version }];
  const schema = r.custom?.schema as Schema | undefined;
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] === true) return { type: 'object', 'x-kubernetes-group-version-kind': gvk };
  const out = toStructuralOpenApiV2(schema);
  out.properties = {
    ...(out.properties as Schema | undefined),
    metadata: { description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata", $ref: OBJECT_META },
    apiVersion: API_VERSION,
    kind: KIND,
  };
  out['x-kubernetes-group-version-kind'] = gvk;
  return out;
}

/** The kind's and its list's definitions, by their upstream names. */
export function customResourceDefinitionsV2(r: ResourceInfo): Record<string, Schema> {
  const name = customComponentName(r);
  return {
    [name]: kindDefinition(r),
    [customComponentName({ ...r, kind: r.listKind })]: {
      description: `${r.listKind} is a list of ${r.kind}`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: API_VERSION,
        items: { description: `List of ${r.plural}. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md`, type: 'array', items: { $ref: `#/definitions/${name}` } },
        kind: KIND,
        metadata: { description: 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds', $ref: LIST_META },
      },
      'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.listKind, version: r.version }],
    },
  };
}
