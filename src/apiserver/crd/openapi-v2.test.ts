import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customResourceInfos, type CustomResourceDefinition } from '../../api/index.ts';
import { swaggerDocument } from '../openapi-v2-document.ts';
import { customResourceDefinitionsV2, toStructuralOpenApiV2 } from './openapi-v2.ts';

test('toStructuralOpenApiV2 drops what Swagger 2.0 lacks, as upstream', () => {
  const v3 = {
    type: 'object',
    required: ['a', 'n', 'port'],
    properties: {
      a: { type: 'string', anyOf: [{ pattern: '^x' }], not: { enum: ['y'] } },
      n: { type: 'object', nullable: true, properties: { x: { type: 'string' } } },
      port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { k: { type: 'string' } } },
      list: { type: 'array', items: { type: 'integer', allOf: [{ minimum: 1 }] } },
      opaque: { type: 'array', 'x-kubernetes-preserve-unknown-fields': true, items: { type: 'string' } },
      m: { type: 'object', required: ['z'], additionalProperties: { type: 'string', nullable: true } },
    },
  };
  assert.deepEqual(toStructuralOpenApiV2(v3), {
    type: 'object',
    required: ['a', 'port'],
    properties: {
      a: { type: 'string' },
      n: {},
      port: { 'x-kubernetes-int-or-string': true },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      list: { type: 'array', items: { type: 'integer' } },
      opaque: { 'x-kubernetes-preserve-unknown-fields': true },
      m: { type: 'object', additionalProperties: {} },
    },
  });
});

const crd = (schema: unknown) => ({
  metadata: { name: 'crontabs.stable.example.com', uid: 'u' },
  spec: {
    group: 'stable.example.com', scope: 'Namespaced', names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema }, subresources: { status: {} } }],
  },
}) as unknown as CustomResourceDefinition;

test("a custom resource version's v2 definitions: kind with metadata's $ref and GVK, its list, its paths", () => {
  const [info] = customResourceInfos(crd({ type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string', nullable: true } } } } }));
  const doc = swaggerDocument([info!]) as { definitions: Record<string, Record<string, unknown>>; paths: Record<string, Record<string, Record<string, unknown>>> };
  const kind = doc.definitions['com.example.stable.v1.CronTab']!;
  assert.deepEqual(kind['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }]);
  const props = kind.properties as Record<string, Record<string, unknown>>;
  assert.deepEqual(props.spec, { type: 'object', properties: { cronSpec: {} } });
  assert.equal(props.metadata!.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  assert.equal(props.apiVersion!.type, 'string');
  const list = doc.definitions['com.example.stable.v1.CronTabList']!;
  assert.deepEqual((list.properties as Record<string, Record<string, unknown>>).items!.items, { $ref: '#/definitions/com.example.stable.v1.CronTab' });
  assert.deepEqual(list['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', kind: 'CronTabList', version: 'v1' }]);
  const item = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}']!;
  assert.equal(item.get!.operationId, 'readStableExampleComV1NamespacedCronTab');
  assert.deepEqual((item.get!.responses as Record<string, Record<string, unknown>>)['200']!.schema, { $ref: '#/definitions/com.example.stable.v1.CronTab' });
  assert.ok(doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status']);
  const collection = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs']!;
  assert.deepEqual((collection.get!.responses as Record<string, Record<string, unknown>>)['200']!.schema, { $ref: '#/definitions/com.example.stable.v1.CronTabList' });
  assert.ok(doc.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta'], 'the list\'s metadata $ref resolves');
});

test('a schema that keeps unknown fields at its root is a bare object in v2 (kubectl would refuse other fields)', () => {
  const [info] = customResourceInfos(crd({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }));
  assert.deepEqual(customResourceDefinitionsV2(info!)['com.example.stable.v1.CronTab'], {
    type: 'object', 'x-kubernetes-group-version-kind': [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }],
  });
});
