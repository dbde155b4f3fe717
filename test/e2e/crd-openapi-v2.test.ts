/**
 * Custom resources in `/openapi/v2` through the real kubectl 1.32: once the CronTab CRD is Established, its
 * definition is in the document (rebuilt, so both forms get a new ETag and a client's old copy is no longer
 * current), and `kubectl explain --output=plaintext-openapiv2` walks its schema; deleting the CRD takes it out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              description: The schedule and what it runs.
              properties:
                cronSpec:
                  type: string
                  description: When, in cron's format.
                image:
                  type: string
                replicas:
                  type: integer
                timeout:
                  x-kubernetes-int-or-string: true
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
`;

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

function openApiV2(server: ServerHandle, accept: string, ifNoneMatch?: string) {
  return new Promise<{ status: number; etag: string; body: Buffer }>((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${server.token}`, accept };
    if (ifNoneMatch) headers['if-none-match'] = ifNoneMatch;
    https.get(`${server.url}/openapi/v2`, { ca: server.caPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode!, etag: String(res.headers.etag), body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test("a CRD's kinds are in /openapi/v2 (new ETags) and kubectl explain --output=plaintext-openapiv2 reads them", async (t) => {
  const server = await startServer({ runtime: 'fake', storage: 'memory', noAgent: true });
  t.after(() => server.stop());

  const jsonBefore = await openApiV2(server, 'application/json');
  const protoBefore = await openApiV2(server, PROTOBUF);
  assert.equal(jsonBefore.status, 200);
  assert.equal((await openApiV2(server, PROTOBUF, protoBefore.etag)).status, 304, 'unchanged while no CRD changes');

  const apply = await server.kubectl(['apply', '-f', '-'], { input: CRD });
  assert.equal(apply.code, 0, apply.stderr);
  const wait = await server.kubectl(['wait', '--for=condition=Established', 'crd/crontabs.stable.example.com', '--timeout=30s']);
  assert.equal(wait.code, 0, wait.stderr);

  const json = await until(async () => {
    const r = await openApiV2(server, 'application/json');
    return JSON.parse(r.body.toString()).definitions['com.example.stable.v1.CronTab'] ? r : undefined;
  }, 'the CronTab definition in /openapi/v2');
  assert.notEqual(json.etag, jsonBefore.etag);
  const definition = JSON.parse(json.body.toString()).definitions['com.example.stable.v1.CronTab'];
  assert.deepEqual(definition['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }]);
  assert.equal(definition.properties.metadata.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const proto = await openApiV2(server, PROTOBUF, protoBefore.etag);
  assert.equal(proto.status, 200, "the client's copy from before the CRD is no longer current");
  assert.notEqual(proto.etag, protoBefore.etag);
  assert.ok(proto.body.includes('com.example.stable.v1.CronTab'));
  assert.equal((await openApiV2(server, PROTOBUF, proto.etag)).status, 304, 'built once per change, not per request');

  const explain = await server.kubectl(['explain', 'crontab.spec', '--output=plaintext-openapiv2']);
  assert.equal(explain.code, 0, explain.stderr);
  assert.match(explain.stdout, /^KIND:\s+CronTab$/m);
  assert.match(explain.stdout, /^VERSION:\s+stable\.example\.com\/v1$/m);
  assert.match(explain.stdout, /^RESOURCE: spec <Object>$/m);
  assert.match(explain.stdout, /The schedule and what it runs\./);
  assert.match(explain.stdout, /^\s+cronSpec\s+<string>$/m);
  assert.match(explain.stdout, /When, in cron's format\./);
  assert.match(explain.stdout, /^\s+replicas\s+<integer>$/m);
  const meta = await server.kubectl(['explain', 'ct.metadata.labels', '--output=plaintext-openapiv2']);
  assert.equal(meta.code, 0, meta.stderr);
  assert.match(meta.stdout, /^FIELD:\s+labels <map\[string\]string>$/m);

  const del = await server.kubectl(['delete', 'crd', 'crontabs.stable.example.com', '--timeout=30s']);
  assert.equal(del.code, 0, del.stderr);
  await until(async () => {
    const r = await openApiV2(server, 'application/json');
    return JSON.parse(r.body.toString()).definitions['com.example.stable.v1.CronTab'] === undefined;
  }, 'the CronTab definition gone from /openapi/v2');
});
