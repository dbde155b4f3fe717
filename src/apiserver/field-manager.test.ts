import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { managerFromUserAgent } from './field-manager.ts';
import { startTestServer, type TestServer } from './testing.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

const applyYaml = { 'content-type': 'application/apply-patch+yaml' };
const entries = (obj: { metadata?: { managedFields?: unknown[] } }) => (obj.metadata?.managedFields ?? []) as { manager: string; operation: string; subresource?: string; fieldsV1: Record<string, unknown> }[];

test('the default manager is the user agent up to its first slash', () => {
  assert.equal(managerFromUserAgent('kubectl/v1.32.4 (linux/amd64) kubernetes/abc'), 'kubectl');
  assert.equal(managerFromUserAgent('Go-http-client/1.1'), 'Go-http-client');
  assert.equal(managerFromUserAgent('a\u0007b'), 'ab', 'unprintable characters are left out');
  assert.equal(managerFromUserAgent(undefined), '');
});

test('a create is an Update by its manager, with what the defaults filled in; status is nobody\'s', async () => {
  const r = await s.request('POST', '/api/v1/namespaces/default/pods?fieldManager=kubectl-run', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tracked', labels: { run: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Running' },
  });
  assert.equal(r.status, 201);
  const [e] = entries(r.body);
  assert.equal(e!.manager, 'kubectl-run');
  assert.equal(e!.operation, 'Update');
  const spec = e!.fieldsV1['f:spec'] as Record<string, Record<string, Record<string, unknown>>>;
  assert.deepEqual(Object.keys(spec['f:containers']!), ['k:{"name":"c"}'], 'containers exist in the Go zero value: no "." entry');
  assert.ok(spec['f:containers']!['k:{"name":"c"}']!['f:terminationMessagePath'], 'defaulted fields belong to the creator');
  assert.deepEqual(e!.fieldsV1['f:metadata'], { 'f:labels': { '.': {}, 'f:run': {} } });
  assert.equal(e!.fieldsV1['f:status'], undefined);
});

test('a status write is tracked with subresource status; a main-resource update does not take status', async () => {
  await s.request('POST', '/api/v1/namespaces/default/pods?fieldManager=creator', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'st' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const r = await s.request('PATCH', '/api/v1/namespaces/default/pods/st/status', { status: { message: 'hello' } }, { 'content-type': 'application/merge-patch+json', 'user-agent': 'kubelet/v1.32 (linux)' });
  assert.equal(r.status, 200);
  const status = entries(r.body).find((e) => e.subresource === 'status');
  assert.equal(status?.manager, 'kubelet');
  assert.deepEqual(status?.fieldsV1, { 'f:status': { 'f:message': {} } });
  assert.equal(entries(r.body).length, 2);
});

test('managedFields sent as one empty entry reset them; the object is then not tracked until an apply', async () => {
  await s.request('POST', '/api/v1/namespaces/default/configmaps?fieldManager=one', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reset' }, data: { a: '1' } });
  const reset = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/reset', [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }], { 'content-type': 'application/json-patch+json' });
  assert.equal(reset.status, 200);
  assert.equal(reset.body.metadata.managedFields, undefined);
  const edit = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/reset?fieldManager=two', { data: { b: '2' } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(edit.body.metadata.managedFields, undefined);
  const applied = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/reset?fieldManager=three', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reset' }, data: { c: '3' } }), applyYaml);
  assert.deepEqual(entries(applied.body).map((e) => [e.manager, e.operation]), [['three', 'Apply'], ['before-first-apply', 'Update']]);
});

test('apply needs a fieldManager; force belongs to applies; a conflict is a 409 with FieldManagerConflict causes', async () => {
  const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'opts' }, data: { a: '1' } });
  const missing = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/opts', cm, applyYaml);
  assert.equal(missing.status, 422);
  assert.equal(missing.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const forced = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/opts?force=true', { data: {} }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(forced.status, 422);
  assert.match(forced.body.message, /force: Forbidden: may not be specified for non-apply patch/);
  assert.equal((await s.request('PATCH', '/api/v1/namespaces/default/configmaps/opts?fieldManager=a', cm, applyYaml)).status, 201);
  const other = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'opts' }, data: { a: '2' } });
  const conflict = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/opts?fieldManager=b', other, applyYaml);
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.reason, 'Conflict');
  assert.equal(conflict.body.message, 'Apply failed with 1 conflict: conflict with "a": .data.a');
  assert.deepEqual(conflict.body.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.data.a' }]);
  const owned = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'opts', managedFields: [{ manager: 'x', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }] } });
  const refused = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/opts?fieldManager=a', owned, applyYaml);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.message, 'metadata.managedFields must be nil');
  const dry = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/opts?fieldManager=b&force=true&dryRun=All', other, applyYaml);
  assert.equal(dry.status, 200);
  assert.equal(dry.body.data.a, '2');
  const stored = await s.request('GET', '/api/v1/namespaces/default/configmaps/opts');
  assert.equal(stored.body.data.a, '1', 'a dry run stores nothing');
});

test('an apply to the status subresource owns status fields under subresource status', async () => {
  await s.request('POST', '/api/v1/namespaces/default/pods?fieldManager=creator', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sa' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sa' }, spec: { hostname: 'ignored' }, status: { message: 'applied' } });
  const r = await s.request('PATCH', '/api/v1/namespaces/default/pods/sa/status?fieldManager=reporter', body, applyYaml);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status.message, 'applied');
  assert.equal(r.body.spec.hostname, undefined, 'a status write changes only status');
  const e = entries(r.body).find((x) => x.manager === 'reporter');
  assert.equal(e?.operation, 'Apply');
  assert.equal(e?.subresource, 'status');
  assert.deepEqual(e?.fieldsV1, { 'f:status': { 'f:message': {} } });
});
