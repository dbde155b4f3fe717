import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySchemaDefaults, celRules, prune, validateAgainstSchema, type JSONSchemaProps } from './structural-schema.ts';
import { fieldErrorText } from '../field-error.ts';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
        replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
        mode: { type: 'string', enum: ['a', 'b'] },
        when: { type: 'string', format: 'date-time' },
        tags: { type: 'array', maxItems: 2, items: { type: 'string', maxLength: 3 } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        nested: { type: 'object', default: {}, properties: { on: { type: 'boolean', default: true } } },
      },
      'x-kubernetes-validations': [{ rule: 'self.replicas < 5', message: 'too many' }],
    },
  },
};

const texts = (obj: unknown) => validateAgainstSchema(obj, schema).map(fieldErrorText);

test('validation gives kube-openapi messages with field paths', () => {
  assert.deepEqual(texts({ spec: { cronSpec: '* * * * *', replicas: 2 } }), []);
  assert.deepEqual(texts({ spec: { replicas: 'two' } }), [
    'spec.cronSpec: Required value',
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
  ]);
  assert.deepEqual(texts({ spec: { cronSpec: '* * * *', replicas: 15, mode: 'c', when: 'yesterday', tags: ['a', 'b', 'long'] } }), [
    "spec.cronSpec: Invalid value: \"* * * *\": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'",
    'spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10',
    'spec.mode: Unsupported value: "c": supported values: "a", "b"',
    'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
    'spec.tags: Too many: 3: must have at most 2 items',
    'spec.tags[2]: Too long: may not be more than 3 bytes',
  ]);
  assert.deepEqual(texts({ spec: { cronSpec: '* * * * *', replicas: 0, labels: { a: 1 } } }), [
    'spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
    'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
  ]);
});

test('pruning drops undeclared fields except under preserve-unknown-fields, and keeps apiVersion, kind and metadata', () => {
  const obj = { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n' }, extra: 1, spec: { cronSpec: 'c', junk: true, free: { any: { thing: 1 } }, labels: { a: 'b' }, tags: ['x'] } };
  assert.deepEqual(prune(obj, schema), ['extra', 'spec.junk']);
  assert.deepEqual(obj, { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n' }, spec: { cronSpec: 'c', free: { any: { thing: 1 } }, labels: { a: 'b' }, tags: ['x'] } });
});

test('defaults fill in missing fields, also inside a defaulted object', () => {
  const obj = { spec: { cronSpec: 'c' } };
  applySchemaDefaults(obj, schema);
  assert.deepEqual(obj.spec, { cronSpec: 'c', replicas: 1, nested: { on: true } });
  const set = { spec: { replicas: 3, nested: { on: false } } };
  applySchemaDefaults(set, schema);
  assert.deepEqual(set.spec, { replicas: 3, nested: { on: false } });
});

test('celRules finds each rule with self and the old value at the same place', () => {
  const sites = celRules({ spec: { replicas: 7 } }, { spec: { replicas: 2 } }, schema);
  assert.equal(sites.length, 1);
  assert.equal(sites[0]!.path, 'spec');
  assert.deepEqual(sites[0]!.self, { replicas: 7 });
  assert.deepEqual(sites[0]!.oldSelf, { replicas: 2 });
  assert.equal(celRules({}, undefined, schema).length, 0, 'no spec, no rule to run');
});
