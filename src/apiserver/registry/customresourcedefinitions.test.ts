import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText, type CustomResourceDefinition } from '../../api/index.ts';
import { validateCelCompiles } from './customresourcedefinitions.ts';

test('a CRD whose CEL rule does not compile is refused, naming the rule', () => {
  const crd = {
    spec: {
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a <= self.b' }, { rule: 'self.a <', message: 'm' }] } } } },
      }],
    },
  } as unknown as CustomResourceDefinition;
  const errs = validateCelCompiles(crd).map(fieldErrorText);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /^spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[1\]\.rule: Invalid value: apiextensions\.ValidationRule\{Rule:"self\.a <", Message:"m", .*\}: compilation failed: /);
});
