/**
 * `/openapi/v2` through the real kubectl 1.32 (which asks for gnostic's protobuf form): `kubectl explain
 * --output=plaintext-openapiv2` walks its definitions, and kubectl's client-side validation of a `List`'s
 * items (the one place kubectl 1.32 validates against OpenAPI v2) refuses an unknown field by its v2 type name
 * and lets a valid List through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './helpers/server.ts';

const list = (containerExtra: string) => JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'v2-cm' }, data: { a: 'b' } }, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'v2-pod' },
    spec: { containers: [{ name: 'c', image: 'busybox:1.35', ...JSON.parse(containerExtra) }] },
  }],
});

test('kubectl explain --output=plaintext-openapiv2 and List validation use OpenAPI v2', async (t) => {
  const server = await startServer({ noAgent: true });
  t.after(() => server.stop());

  const explain = await server.kubectl(['explain', 'pods.spec.containers', '--output=plaintext-openapiv2']);
  assert.equal(explain.code, 0, explain.stderr);
  assert.match(explain.stdout, /^KIND:\s+Pod$/m);
  assert.match(explain.stdout, /^VERSION:\s+v1$/m);
  assert.match(explain.stdout, /^RESOURCE: containers <\[\]Object>$/m);
  assert.match(explain.stdout, /^\s+image\s+<string>$/m);
  assert.match(explain.stdout, /^\s+ports\s+<\[\]Object>$/m);
  const deep = await server.kubectl(['explain', 'deployments.spec.template.spec.containers.livenessProbe.httpGet.port', '--output=plaintext-openapiv2']);
  assert.equal(deep.code, 0, deep.stderr);
  assert.match(deep.stdout, /^KIND:\s+Deployment$/m);
  assert.match(deep.stdout, /^FIELD:\s+port <string>$/m);

  const bad = await server.kubectl(['create', '-f', '-'], { input: list('{"bogus": 1}') });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown field "bogus" in io\.k8s\.api\.core\.v1\.Container/);
  const wrongType = await server.kubectl(['create', '-f', '-'], { input: list('{"ports": [{"containerPort": "eighty"}]}') });
  assert.notEqual(wrongType.code, 0);
  assert.match(wrongType.stderr, /containerPort/);
  const none = await server.kubectl(['get', 'configmap', 'v2-cm', '--ignore-not-found']);
  assert.equal(none.stdout, '', 'nothing of a refused List was created');

  const good = await server.kubectl(['create', '-f', '-'], { input: list('{"ports": [{"containerPort": 80}], "resources": {"limits": {"cpu": "100m"}}}') });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /pod\/v2-pod created/);
});
