import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, customResourceInfos, type CustomResourceDefinition } from '../../api/index.ts';
import { openApiDocument, openApiIndex } from '../discovery.ts';
import { customComponentName } from './openapi.ts';

const crd = {
  metadata: { name: 'crontabs.stable.example.com', uid: 'u' },
  spec: {
    group: 'stable.example.com', scope: 'Namespaced', names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' } } } } } }, subresources: { status: {} } }],
  },
} as unknown as CustomResourceDefinition;

test("a custom group-version's OpenAPI v3 document has the kind's schema, found by its group-version-kind", () => {
  const served = [...RESOURCES, ...customResourceInfos(crd)];
  const doc = openApiDocument('stable.example.com/v1', served) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, Record<string, unknown>> } };
  const name = customComponentName(served[served.length - 1]!);
  assert.equal(name, 'com.example.stable.v1.CronTab');
  const schema = doc.components.schemas[name]!;
  assert.deepEqual(schema['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }]);
  const props = schema.properties as Record<string, Record<string, unknown>>;
  assert.deepEqual(props.spec, { type: 'object', properties: { cronSpec: { type: 'string' } } });
  assert.deepEqual(props.metadata!.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'ObjectMeta is in the document');
  assert.ok(doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status']);
  // The index lists it; without the CRD it is neither listed nor served.
  assert.ok((openApiIndex(served) as { paths: Record<string, unknown> }).paths['apis/stable.example.com/v1']);
  assert.equal((openApiIndex() as { paths: Record<string, unknown> }).paths['apis/stable.example.com/v1'], undefined);
  assert.equal(openApiDocument('stable.example.com/v1'), undefined);
  assert.equal(openApiDocument('stable.example.com/v1', served), doc, 'built once while the CRD is unchanged');
});
