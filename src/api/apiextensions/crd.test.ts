import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customResourceInfos, defaultCustomResourceDefinition, validateCustomResourceDefinition, type CustomResourceDefinition } from './crd.ts';
import { fieldErrorText } from '../field-error.ts';

function crontabs(): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com', uid: 'u1' },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] },
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } }, subresources: { status: {} } },
        { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
        { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    },
  };
}

const errors = (crd: CustomResourceDefinition) => {
  defaultCustomResourceDefinition(crd);
  return validateCustomResourceDefinition(crd).map(fieldErrorText);
};

test('a well-formed CRD is valid once defaulted', () => {
  const crd = crontabs();
  assert.deepEqual(errors(crd), []);
  assert.equal(crd.spec.names.singular, 'crontab');
  assert.equal(crd.spec.names.listKind, 'CronTabList');
  assert.deepEqual(crd.spec.conversion, { strategy: 'None' });
});

test('the common mistakes get upstream messages', () => {
  const crd = crontabs();
  crd.metadata!.name = 'crontab.stable.example.com';
  crd.spec.group = 'example';
  crd.spec.scope = 'Global';
  crd.spec.versions[1]!.storage = true;
  crd.spec.versions[2]!.schema = undefined;
  assert.deepEqual(errors(crd), [
    'metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group',
    'spec.group: Invalid value: "example": should be a domain with at least one dot',
    'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    'spec.versions: Invalid value: must have exactly one version marked as storage version',
    'spec.versions[2].schema.openAPIV3Schema: Required value: schemas are required',
  ]);
});

test('structural schema rules: typed fields and an object root', () => {
  const crd = crontabs();
  crd.spec.versions[0]!.schema = { openAPIV3Schema: { type: 'object', properties: { spec: { properties: { a: { type: 'array' } } } } } };
  crd.spec.versions[1]!.schema = { openAPIV3Schema: { type: 'array', items: { type: 'string' } } };
  assert.deepEqual(errors(crd), [
    'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a].items: Required value: must be specified',
    'spec.versions[1].schema.openAPIV3Schema.type: Invalid value: "array": must be object',
  ]);
});

test('each served version becomes a ResourceInfo over the storage version, with default Age column', () => {
  const infos = customResourceInfos(crontabs());
  assert.deepEqual(infos.map((i) => i.groupVersion), ['stable.example.com/v1', 'stable.example.com/v1beta1']);
  const v1 = infos[0]!;
  assert.equal(v1.kind, 'CronTab');
  assert.equal(v1.listKind, 'CronTabList');
  assert.equal(v1.namespaced, true);
  assert.deepEqual(v1.shortNames, ['ct']);
  assert.deepEqual(v1.subresources.map((s) => s.name), ['status']);
  assert.equal(infos[1]!.custom?.storageVersion, 'v1');
  assert.deepEqual(v1.custom?.printerColumns, [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }]);
});

test('a default that its own schema refuses is refused', () => {
  const crd = crontabs();
  crd.spec.versions[0]!.schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer', maximum: 10, default: 'three' }, max: { type: 'integer', maximum: 10, default: 11 } } } } } };
  assert.deepEqual(errors(crd), [
    'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[max].default: Invalid value: 11: spec.max in body should be less than or equal to 10',
  ]);
});
