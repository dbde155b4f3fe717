/** The API server's /metrics: request counts with upstream's labels, storage objects and store latency, in a registry of its own. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startTestServer, type TestServer } from './testing.ts';
import { requestLabels } from './metrics.ts';
import { parseResourcePath } from './request-info.ts';

let ts: TestServer;
const registry = new Registry();

before(async () => {
  ts = await startTestServer({ config: { metricsRegistry: registry } });
});
after(() => ts.stop());

/** The value of the sample of `name` whose labels include all of `labels`, or undefined. */
async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const values = (await metric.get()).values;
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want));
  return hit?.value;
}

test('labels: verbs, scopes and dry run as upstream spells them', () => {
  const q = new URLSearchParams();
  const l = (method: string, path: string, query = q, contentType?: string) => requestLabels(method, parseResourcePath(method, path, query), query, contentType);
  assert.deepEqual(l('GET', '/api/v1/namespaces/default/pods'), { verb: 'LIST', dry_run: '', group: '', version: 'v1', resource: 'pods', subresource: '', scope: 'namespace', component: 'apiserver' });
  assert.equal(l('GET', '/api/v1/pods').scope, 'cluster');
  assert.equal(l('GET', '/api/v1/pods', new URLSearchParams('watch=1')).verb, 'WATCH');
  const create = l('POST', '/apis/apps/v1/namespaces/a/deployments', new URLSearchParams('dryRun=All'));
  assert.deepEqual([create.verb, create.scope, create.group, create.dry_run], ['POST', 'resource', 'apps', 'All']);
  assert.equal(l('PATCH', '/api/v1/namespaces/a/pods/p', q, 'application/apply-patch+yaml').verb, 'APPLY');
  const status = l('PUT', '/api/v1/namespaces/a/pods/p/status');
  assert.deepEqual([status.verb, status.subresource, status.scope], ['PUT', 'status', 'resource']);
  assert.deepEqual(l('GET', '/metrics'), { verb: 'GET', dry_run: '', group: '', version: '', resource: '', subresource: '', scope: '', component: 'apiserver' });
});

test('requests are counted by verb, resource, scope and code, and /metrics renders them', async () => {
  const list = { verb: 'LIST', resource: 'pods', scope: 'namespace', code: '200', component: 'apiserver', version: 'v1' };
  const before = (await sample('apiserver_request_total', list)) ?? 0;
  for (let i = 0; i < 3; i++) assert.equal((await ts.request('GET', '/api/v1/namespaces/default/pods')).status, 200);
  assert.equal((await ts.request('GET', '/api/v1/namespaces/default/pods/nope')).status, 404);
  assert.equal(await sample('apiserver_request_total', list), before + 3);
  assert.equal(await sample('apiserver_request_total', { verb: 'GET', resource: 'pods', scope: 'resource', code: '404' }), 1);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm1' }, data: {} };
  assert.equal((await ts.request('POST', '/api/v1/namespaces/default/configmaps', cm)).status, 201);

  const r = await ts.request('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(r.text, /^apiserver_request_total\{verb="LIST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver",code="200"\} \d+$/m);
  assert.match(r.text, /^apiserver_request_duration_seconds_bucket\{le="0\.005",verb="LIST",.*resource="pods".*\} \d+$/m);
  assert.match(r.text, /^apiserver_request_total\{verb="POST",.*resource="configmaps",subresource="",scope="resource",component="apiserver",code="201"\} 1$/m);
  // The store call behind the create is timed, labelled with the resource.
  assert.match(r.text, /^etcd_request_duration_seconds_count\{operation="create",type="configmaps"\} [1-9]\d*$/m);
  assert.match(r.text, /^apiserver_storage_objects\{resource="namespaces"\} [1-9]\d*$/m);
  assert.match(r.text, /^apiserver_storage_objects\{resource="clusterroles.rbac.authorization.k8s.io"\} [1-9]\d*$/m);
});

test('each server counts into its own registry', async () => {
  const other = await startTestServer();
  try {
    assert.equal((await other.request('GET', '/api/v1/namespaces/default/secrets')).status, 200);
    assert.equal(await sample('apiserver_request_total', { verb: 'LIST', resource: 'secrets' }), undefined);
    const text = (await other.request('GET', '/metrics')).text;
    assert.match(text, /^apiserver_request_total\{verb="LIST",.*resource="secrets".*code="200"\} 1$/m);
  } finally {
    await other.stop();
  }
});
