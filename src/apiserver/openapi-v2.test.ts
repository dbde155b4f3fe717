import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startTestServer } from './testing.ts';
import { openApiV2 } from './openapi-v2.ts';

/** The fields of a protobuf message by number, repeated ones in order (length-delimited and varint fields). */
function fields(buf: Buffer): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  let i = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    let value: Buffer;
    if ((tag & 7) === 0) value = Buffer.from([varint()]);
    else {
      assert.equal(tag & 7, 2, 'varint or length-delimited fields only');
      const len = varint();
      value = buf.subarray(i, i + len);
      i += len;
    }
    out.set(tag >> 3, [...(out.get(tag >> 3) ?? []), value]);
  }
  return out;
}

const one = (m: Map<number, Buffer[]>, n: number) => m.get(n)?.[0];
/** gnostic's ordered maps (NamedSchema, NamedPathItem, ...): name = 1, value = 2. */
const named = (entries: Buffer[] | undefined) => new Map((entries ?? []).map((e) => { const f = fields(e); return [one(f, 1)!.toString(), one(f, 2)!]; }));

function get(port: number, agent: https.Agent, token: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/openapi/v2?timeout=32s', agent, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('/openapi/v2 JSON: upstream definitions with $refs and GVKs, paths of the built-in kinds, ETag and 304', async () => {
  const s = await startTestServer();
  try {
    const res = await s.request('GET', '/openapi/v2', undefined, { accept: 'application/json' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const doc = res.body;
    assert.equal(doc.swagger, '2.0');
    const pod = doc.definitions['io.k8s.api.core.v1.Pod'];
    assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
    assert.deepEqual(pod.properties.spec, { $ref: '#/definitions/io.k8s.api.core.v1.PodSpec' });
    const containers = doc.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.equal(containers.type, 'array');
    assert.deepEqual(containers.items, { $ref: '#/definitions/io.k8s.api.core.v1.Container' });
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.ok(doc.definitions['io.k8s.api.core.v1.Container'].properties.image);
    assert.deepEqual(doc.definitions['io.k8s.api.core.v1.ContainerPort'].properties.containerPort, { type: 'integer', format: 'int32' });
    assert.deepEqual(doc.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    // Every $ref points at a definition; no v3 leftovers.
    const text = res.text;
    assert.equal(text.includes('#/components/schemas/'), false, 'no v3 references left');
    const limits = doc.definitions['io.k8s.api.core.v1.ResourceRequirements'].properties.limits;
    assert.deepEqual(limits.additionalProperties, { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' }, 'allOf unwrapped');
    assert.equal(doc.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
    assert.deepEqual(doc.definitions['io.k8s.api.core.v1.ContainerPort'].properties.name, { type: 'string' });
    assert.deepEqual(doc.definitions['io.k8s.api.core.v1.HTTPGetAction'].properties.port, { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' });
    for (const m of text.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) assert.ok(doc.definitions[m[1]!], `definition ${m[1]}`);
    const list = doc.paths['/api/v1/namespaces/{namespace}/pods'].get;
    assert.equal(list.operationId, 'listCoreV1NamespacedPod');
    assert.equal(list['x-kubernetes-action'], 'list');
    assert.deepEqual(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].put.responses['200'].schema, { $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' });

    const etag = String(res.headers['etag']);
    assert.match(etag, /^"[0-9A-F]{128}"$/);
    const again = await s.request('GET', '/openapi/v2', undefined, { accept: 'application/json', 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    const stale = await s.request('GET', '/openapi/v2', undefined, { accept: 'application/json', 'if-none-match': '"0"' });
    assert.equal(stale.status, 200);
  } finally {
    await s.stop();
  }
});

test('/openapi/v2 protobuf: gnostic Document with the same definitions, its own ETag', async () => {
  const s = await startTestServer();
  try {
    const res = await get(s.port, s.agent, s.token, { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const doc = fields(res.body);
    assert.equal(one(doc, 1)?.toString(), '2.0');
    const info = fields(one(doc, 2)!);
    assert.equal(one(info, 1)?.toString(), 'Kubernetes');
    assert.match(one(info, 2)!.toString(), /^v1\.32\./);
    const definitions = named(fields(one(doc, 9)!).get(1));
    // Schema: _ref = 1, type = 22 { value = 1 }, items = 23 { schema = 1 }, properties = 25, vendor_extension = 31.
    const pod = fields(definitions.get('io.k8s.api.core.v1.Pod')!);
    const gvk = named(pod.get(31));
    assert.deepEqual(JSON.parse(one(fields(gvk.get('x-kubernetes-group-version-kind')!), 2)!.toString()), [{ group: '', kind: 'Pod', version: 'v1' }]);
    const podProps = named(fields(one(pod, 25)!).get(1));
    assert.equal(one(fields(podProps.get('spec')!), 1)?.toString(), '#/definitions/io.k8s.api.core.v1.PodSpec');
    const specProps = named(fields(one(fields(definitions.get('io.k8s.api.core.v1.PodSpec')!), 25)!).get(1));
    const containers = fields(specProps.get('containers')!);
    assert.equal(one(fields(one(containers, 22)!), 1)?.toString(), 'array');
    const item = fields(one(fields(one(containers, 23)!), 1)!);
    assert.equal(one(item, 1)?.toString(), '#/definitions/io.k8s.api.core.v1.Container');
    // Paths = 8 { path = 2 (NamedPathItem) }; PathItem.get = 2; Operation.operation_id = 5.
    const paths = named(fields(one(doc, 8)!).get(2));
    const listPods = fields(one(fields(paths.get('/api/v1/namespaces/{namespace}/pods')!), 2)!);
    assert.equal(one(listPods, 5)?.toString(), 'listCoreV1NamespacedPod');

    const etag = String(res.headers['etag']);
    const json = await s.request('GET', '/openapi/v2', undefined, { accept: 'application/json' });
    assert.notEqual(etag, json.headers['etag'], 'each form has its own ETag');
    const cached = await get(s.port, s.agent, s.token, { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'if-none-match': etag });
    assert.equal(cached.status, 304);
  } finally {
    await s.stop();
  }
});

test('the served forms are built once', () => {
  assert.equal(openApiV2('application/json'), openApiV2(undefined));
  assert.equal(openApiV2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf').body, openApiV2('application/com.github.proto-openapi.spec.v2.v1.0+protobuf').body);
});
