import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults.ts';
import { validateObject } from './index.ts';
import { fieldErrorText } from '../field-error.ts';

const cfg = (webhook: Record<string, unknown>) => ({
  apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'c' }, webhooks: [webhook],
});

test('webhook configurations get upstream defaults', () => {
  const c = applyDefaults('mutatingwebhookconfigurations.admissionregistration.k8s.io', cfg({
    name: 'a.b.c', clientConfig: { service: { name: 's', namespace: 'n' } }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  })) as { webhooks: Record<string, unknown>[] };
  const w = c.webhooks[0]!;
  assert.equal(w.failurePolicy, 'Fail');
  assert.equal(w.matchPolicy, 'Equivalent');
  assert.equal(w.timeoutSeconds, 10);
  assert.equal(w.reinvocationPolicy, 'Never');
  assert.deepEqual(w.namespaceSelector, {});
  assert.deepEqual(w.objectSelector, {});
  assert.equal((w.rules as { scope: string }[])[0]!.scope, '*');
  assert.equal((w.clientConfig as { service: { port: number } }).service.port, 443);
});

test('webhook configurations are validated as upstream', () => {
  const errs = (w: Record<string, unknown>) => validateObject('validatingwebhookconfigurations.admissionregistration.k8s.io', cfg(w)).map(fieldErrorText);
  const ok = { name: 'a.b.c', sideEffects: 'None', admissionReviewVersions: ['v1'], clientConfig: { url: 'https://127.0.0.1:9443/x' } };
  assert.deepEqual(errs(ok), []);
  assert.deepEqual(errs({ ...ok, sideEffects: undefined }), ['webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun']);
  assert.deepEqual(errs({ ...ok, sideEffects: 'Some' }), ['webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"']);
  assert.deepEqual(errs({ ...ok, admissionReviewVersions: undefined }), ['webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1']);
  assert.deepEqual(errs({ ...ok, name: 'short' }), ['webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots']);
  assert.deepEqual(errs({ ...ok, clientConfig: {} }), ['webhooks[0].clientConfig: Required value: exactly one of url or service is required']);
  assert.deepEqual(errs({ ...ok, clientConfig: { url: 'http://x.y/z' } }), ['webhooks[0].clientConfig.url: Invalid value: "http://x.y/z": \'https\' is the only allowed URL scheme']);
  assert.deepEqual(errs({ ...ok, timeoutSeconds: 31 }), ['webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds']);
});
