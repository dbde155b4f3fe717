/**
 * CustomResourceDefinition (`apiextensions.k8s.io/v1`): its shape, defaults, the validation upstream's
 * `ValidateCustomResourceDefinition` does for the common mistakes (with its paths and messages), and the
 * ResourceInfo each served version becomes once the CRD is Established.
 */
import { invalid, invalidNoValue, notSupported, required, type FieldError } from '../field-error.ts';
import type { KubeObject } from '../types.ts';
import type { ResourceInfo, SubresourceInfo, Verb } from '../resources.ts';
import { validateAgainstSchema, type JSONSchemaProps } from './structural-schema.ts';

export interface CustomResourceDefinitionNames {
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CustomResourceColumnDefinition {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: Record<string, never>; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: CustomResourceColumnDefinition[];
}

export interface CustomResourceDefinitionCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface CustomResourceDefinition extends KubeObject {
  spec: {
    group: string;
    names: CustomResourceDefinitionNames;
    scope: string;
    versions: CustomResourceDefinitionVersion[];
    conversion?: { strategy: string };
    preserveUnknownFields?: boolean;
  };
  status?: {
    conditions?: CustomResourceDefinitionCondition[];
    acceptedNames?: CustomResourceDefinitionNames;
    storedVersions?: string[];
  };
}

/** The finalizer that holds a CRD until every object of it is deleted. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** SetDefaults for a CRD: singular and listKind from kind, conversion None, served/storage as sent. */
export function defaultCustomResourceDefinition(crd: CustomResourceDefinition): void {
  const spec = crd.spec;
  if (!spec || typeof spec !== 'object') return;
  spec.names ??= {};
  if (spec.names.kind && !spec.names.singular) spec.names.singular = spec.names.kind.toLowerCase();
  if (spec.names.kind && !spec.names.listKind) spec.names.listKind = `${spec.names.kind}List`;
  spec.conversion ??= { strategy: 'None' };
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function dns1035(field: string, value: string, errs: FieldError[]): void {
  if (!DNS1035.test(value)) errs.push(invalid(field, value, DNS1035_MSG));
}

/** ValidateCustomResourceDefinition, for the mistakes people make; structural rules in validateStructural. */
export function validateCustomResourceDefinition(crd: CustomResourceDefinition): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec ?? ({} as CustomResourceDefinition['spec']);
  const names = spec.names ?? {};
  const name = crd.metadata?.name ?? '';
  if (name !== `${names.plural ?? ''}.${spec.group ?? ''}`) errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (!spec.group) errs.push(required('spec.group', ''));
  else if (!spec.group.includes('.')) errs.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  else if (!DNS1123_SUBDOMAIN.test(spec.group)) errs.push(invalid('spec.group', spec.group, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  if (!spec.scope) errs.push(required('spec.scope', ''));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  if (!names.plural) errs.push(required('spec.names.plural', ''));
  else dns1035('spec.names.plural', names.plural, errs);
  if (names.singular) dns1035('spec.names.singular', names.singular, errs);
  if (!names.kind) errs.push(required('spec.names.kind', ''));
  else dns1035('spec.names.kind', names.kind.toLowerCase(), errs);
  if (!names.listKind) errs.push(required('spec.names.listKind', ''));
  (names.shortNames ?? []).forEach((s, i) => dns1035(`spec.names.shortNames[${i}]`, s, errs));
  (names.categories ?? []).forEach((s, i) => dns1035(`spec.names.categories[${i}]`, s, errs));
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errs.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage).length !== 1) errs.push(invalidNoValue('spec.versions', 'must have exactly one version marked as storage version'));
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const p = `spec.versions[${i}]`;
    if (!v.name) errs.push(required(`${p}.name`, ''));
    else {
      dns1035(`${p}.name`, v.name, errs);
      if (seen.has(v.name)) errs.push(invalid(`${p}.name`, v.name, 'must be unique'));
      seen.add(v.name);
    }
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) errs.push(required(`${p}.schema.openAPIV3Schema`, 'schemas are required'));
    else errs.push(...validateStructural(schema, `${p}.schema.openAPIV3Schema`));
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cp = `${p}.additionalPrinterColumns[${j}]`;
      if (!c.name) errs.push(required(`${cp}.name`, ''));
      if (!c.jsonPath) errs.push(required(`${cp}.jsonPath`, ''));
      if (!['integer', 'number', 'string', 'boolean', 'date'].includes(c.type)) errs.push(notSupported(`${cp}.type`, c.type, ['boolean', 'date', 'integer', 'number', 'string']));
    });
  });
  if (versions.length && !versions.some((v) => v.served)) errs.push(invalidNoValue('spec.versions', 'must have at least one version served'));
  if (spec.conversion && spec.conversion.strategy !== 'None' && spec.conversion.strategy !== 'Webhook') errs.push(notSupported('spec.conversion.strategy', spec.conversion.strategy, ['None', 'Webhook']));
  if (spec.conversion?.strategy === 'Webhook') errs.push(invalid('spec.conversion.strategy', 'Webhook', 'conversion webhooks are not supported by this server'));
  return errs;
}

/**
 * The structural-schema rules (upstream's ValidateStructural) for the common cases: every specified field has
 * a type (or int-or-string / preserve-unknown-fields), the root is an object, and `metadata` at the root may
 * only restrict name and generateName.
 */
export function validateStructural(schema: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (schema.type !== 'object') errs.push(schema.type ? invalid(`${path}.type`, schema.type, 'must be object') : required(`${path}.type`, 'must not be empty at the root'));
  const meta = schema.properties?.metadata;
  if (meta) {
    for (const k of Object.keys(meta)) {
      if (k !== 'type' && k !== 'properties' && k !== 'description') errs.push(invalidNoValue(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
    for (const k of Object.keys(meta.properties ?? {})) if (k !== 'name' && k !== 'generateName') errs.push(invalidNoValue(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    if (meta.type && meta.type !== 'object') errs.push(invalid(`${path}.properties[metadata].type`, meta.type, 'must be object'));
  }
  walkStructural(schema, path, errs, true, '');
  return [...new Map(errs.map((e) => [`${e.field}|${e.message}`, e])).values()];
}

/** `path` is the schema's place in the CRD, `data` the place of the values it describes (for default errors). */
function walkStructural(s: JSONSchemaProps, path: string, errs: FieldError[], root: boolean, data: string): void {
  const untyped = !s.type && !s['x-kubernetes-int-or-string'] && !s['x-kubernetes-preserve-unknown-fields'];
  if (!root && untyped) errs.push(required(`${path}.type`, 'must not be empty for specified object fields'));
  if (s.type === 'array' && !s.items) errs.push(required(`${path}.items`, 'must be specified'));
  // A default must itself be valid (upstream validates defaults against the schema, by their place in objects).
  if (s.default !== undefined && !root) {
    for (const e of validateAgainstSchema(s.default, s, data)) errs.push({ ...e, field: `${path}.default` });
  }
  for (const [k, sub] of Object.entries(s.properties ?? {})) {
    if (root && k === 'metadata') continue;
    walkStructural(sub, `${path}.properties[${k}]`, errs, false, data ? `${data}.${k}` : k);
  }
  if (s.items && typeof s.items === 'object') walkStructural(s.items, `${path}.items`, errs, false, `${data}[0]`);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') walkStructural(s.additionalProperties, `${path}.additionalProperties`, errs, false, `${data}[*]`);
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    errs.push(invalidNoValue(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
}

const ALL_VERBS: Verb[] = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];
const SUB_VERBS: Verb[] = ['get', 'patch', 'update'];

/** The ResourceInfo of every served version of an accepted CRD (names from status.acceptedNames). */
export function customResourceInfos(crd: CustomResourceDefinition): ResourceInfo[] {
  const spec = crd.spec;
  const names = { ...spec.names, ...(crd.status?.acceptedNames ?? {}) };
  const storage = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]!.name;
  return spec.versions.filter((v) => v.served).map((v) => {
    const subresources: SubresourceInfo[] = [];
    if (v.subresources?.scale) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: SUB_VERBS });
    if (v.subresources?.status) subresources.push({ name: 'status', kind: names.kind!, verbs: SUB_VERBS });
    const columns = v.additionalPrinterColumns?.length
      ? v.additionalPrinterColumns
      // serveDefaultColumnsIfEmpty: a version without columns prints its age.
      : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
    return {
      group: spec.group,
      version: v.name,
      groupVersion: `${spec.group}/${v.name}`,
      plural: names.plural!,
      singular: names.singular || names.kind!.toLowerCase(),
      kind: names.kind!,
      listKind: names.listKind || `${names.kind}List`,
      namespaced: spec.scope === 'Namespaced',
      shortNames: [...(names.shortNames ?? [])],
      categories: [...(names.categories ?? [])],
      verbs: ALL_VERBS,
      subresources,
      custom: {
        crdName: crd.metadata?.name ?? '',
        crdUid: crd.metadata?.uid ?? '',
        storageVersion: storage,
        printerColumns: columns.map((c) => ({ ...c })),
        schema: v.schema?.openAPIV3Schema as Record<string, unknown> | undefined,
        ...(v.subresources?.scale ? { scale: { ...v.subresources.scale } } : {}),
      },
    };
  });
}
