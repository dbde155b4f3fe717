/**
 * The OpenAPI v3 component of a custom resource version, as the apiextensions server publishes it: the CRD's
 * structural schema with apiVersion, kind and metadata (a reference to ObjectMeta) filled in and the
 * `x-kubernetes-group-version-kind` that `kubectl explain` finds the kind by. Named as upstream names it, by
 * the reversed group (`stable.example.com` → `com.example.stable.v1.CronTab`).
 */
import type { ResourceInfo } from '../../api/index.ts';

export function customComponentName(r: ResourceInfo): string {
  return `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

export function customResourceComponent(r: ResourceInfo): Record<string, unknown> {
  const schema = structuredClone(r.custom?.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  schema.properties = {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds' },
    ...properties,
    metadata: { allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }], description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" },
  };
  schema['x-kubernetes-group-version-kind'] = [{ group: r.group, kind: r.kind, version: r.version }];
  return schema;
}
