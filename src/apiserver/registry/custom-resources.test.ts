import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText, type JSONSchemaProps, type KubeObject } from '../../api/index.ts';
import { validateCelRules } from './custom-resources.ts';

const schema: JSONSchemaProps = {
  type: 'object',
  'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('ct-')", message: 'names start with ct-' }],
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.min <= self.max', messageExpression: "'min ' + string(self.min) + ' is above max ' + string(self.max)" },
        { rule: 'self.mode == oldSelf.mode', message: 'Value is immutable', fieldPath: '.mode' },
      ],
      properties: {
        min: { type: 'integer' },
        max: { type: 'integer' },
        mode: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'off'", reason: 'FieldValueForbidden' }] },
      },
    },
  },
};

const obj = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'x/v1', kind: 'K', metadata: { name }, spec });
const run = (o: KubeObject, old?: KubeObject) => validateCelRules(o, old, schema).map(fieldErrorText);

test('CEL rules run on self, with messages, messageExpressions, fieldPath and reason as upstream', () => {
  assert.deepEqual(run(obj('ct-a', { min: 1, max: 2, mode: 'on' })), []);
  assert.deepEqual(run(obj('a', { min: 3, max: 2, mode: 'off' })), [
    '<nil>: Invalid value: "object": names start with ct-',
    'spec: Invalid value: "object": min 3 is above max 2',
    "spec.mode: Forbidden: failed rule: self != 'off'",
  ]);
});

test('transition rules (oldSelf) run only on updates', () => {
  assert.deepEqual(run(obj('ct-a', { min: 1, max: 2, mode: 'on' })), [], 'create: no old object');
  assert.deepEqual(run(obj('ct-a', { min: 1, max: 2, mode: 'on' }), obj('ct-a', { min: 1, max: 2, mode: 'auto' })), ['spec.mode: Invalid value: "object": Value is immutable']);
});
