import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '../storage/index.ts';
import { startTestServer, type TestServer } from './testing.ts';
import { SERVICE_IP_PREFIX } from './services/allocators.ts';
import { KubernetesServiceController } from './services/kubernetes-service.ts';
import { hostPrimaryIPv4 } from './services/advertise-address.ts';

const SVC = '/api/v1/namespaces/default/services';

function svc(name: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec } };
}

async function create(s: TestServer, body: unknown) {
  return s.request('POST', SVC, body);
}

test('create: defaults and a cluster IP from the service CIDR; delete frees it', async () => {
  const s = await startTestServer();
  try {
    const r = await create(s, svc('web'));
    assert.equal(r.status, 201, r.text);
    const spec = r.body.spec;
    assert.match(spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    assert.deepEqual(spec.ipFamilies, ['IPv4']);
    assert.equal(spec.ipFamilyPolicy, 'SingleStack');
    assert.equal(spec.type, 'ClusterIP');
    assert.equal(spec.sessionAffinity, 'None');
    assert.equal(spec.internalTrafficPolicy, 'Cluster');
    assert.deepEqual(spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.deepEqual(r.body.status, { loadBalancer: {} });
    // Dynamic picks stay out of the static band (the first 256 addresses).
    const n = spec.clusterIP.split('.').map(Number);
    assert.ok(n[2] * 256 + n[3] > 256, spec.clusterIP);
    assert.ok(await s.store.get(SERVICE_IP_PREFIX + spec.clusterIP));
    assert.equal((await s.request('DELETE', `${SVC}/web`)).status, 200);
    assert.equal(await s.store.get(SERVICE_IP_PREFIX + spec.clusterIP), undefined);
  } finally {
    await s.stop();
  }
});

test('a chosen clusterIP: taken, out of range, already allocated (upstream wording)', async () => {
  const s = await startTestServer();
  try {
    assert.equal((await create(s, svc('dns', { clusterIP: '10.43.0.10' }))).body.spec.clusterIP, '10.43.0.10');
    const dup = await create(s, svc('dup', { clusterIP: '10.43.0.10' }));
    assert.equal(dup.status, 422);
    assert.equal(dup.body.message, 'Service "dup" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.0.10"}: failed to allocate IP 10.43.0.10: provided IP is already allocated');
    const out = await create(s, svc('out', { clusterIP: '10.0.0.5' }));
    assert.equal(out.status, 422);
    assert.equal(out.body.details.causes[0].field, 'spec.clusterIPs');
    assert.match(out.body.message, /failed to allocate IP 10\.0\.0\.5: the provided IP \(10\.0\.0\.5\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16$/);
    // A failed create keeps nothing: the name is free and nothing else got allocated.
    const keys = (await s.store.list(SERVICE_IP_PREFIX)).kvs.map((kv) => kv.key.slice(SERVICE_IP_PREFIX.length)).sort();
    assert.deepEqual(keys, ['10.43.0.1', '10.43.0.10']);
  } finally {
    await s.stop();
  }
});

test('50 concurrent creates get 50 distinct IPs; a restart on the same store hands none out again', async () => {
  const store = new MemoryStore();
  const s = await startTestServer({ store, config: { serviceCidr: '10.99.0.0/24' } });
  const names = Array.from({ length: 50 }, (_, i) => `svc-${i}`);
  let ips: string[];
  try {
    const rs = await Promise.all(names.map((n) => create(s, svc(n))));
    for (const r of rs) assert.equal(r.status, 201, r.text);
    ips = rs.map((r) => r.body.spec.clusterIP as string);
    assert.equal(new Set(ips).size, 50);
    for (const ip of ips) assert.ok(ip !== '10.99.0.1' && ip !== '10.99.0.10' && ip !== '10.99.0.0' && ip !== '10.99.0.255', ip);
  } finally {
    await s.stop();
  }
  // A /24 has 253 free addresses; 200 more creates on a new server must avoid all 50 taken before.
  const s2 = await startTestServer({ store, config: { serviceCidr: '10.99.0.0/24' } });
  try {
    const more = await Promise.all(Array.from({ length: 200 }, (_, i) => create(s2, svc(`more-${i}`))));
    for (const r of more) assert.equal(r.status, 201, r.text);
    const again = more.map((r) => r.body.spec.clusterIP as string);
    assert.equal(new Set([...ips, ...again]).size, 250);
    // 1 (kubernetes) + 250: the range is full except .10, which only a request by name gets.
    const full = await create(s2, svc('one-too-many'));
    const r2 = await create(s2, svc('one-more'));
    const statuses = [full.status, r2.status];
    assert.ok(statuses.includes(201) || statuses.includes(500));
    const last = await create(s2, svc('last'));
    assert.equal(last.status, 500);
    assert.equal(last.body.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
    assert.equal((await create(s2, svc('dns', { clusterIP: '10.99.0.10' }))).status, 201);
  } finally {
    await s2.stop();
    await store.close();
  }
});

test('NodePort: allocated from the range, chosen ones checked, ClusterIP <-> NodePort allocates and frees', async () => {
  const s = await startTestServer({ config: { serviceNodePortRange: '30000-30100' } });
  try {
    const r = await create(s, svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443, nodePort: 30050 }] }));
    assert.equal(r.status, 201, r.text);
    const [a, b] = r.body.spec.ports;
    assert.ok(a.nodePort >= 30000 && a.nodePort <= 30100);
    assert.equal(b.nodePort, 30050);
    assert.equal(r.body.spec.externalTrafficPolicy, 'Cluster');
    const taken = await create(s, svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30050 }] }));
    assert.equal(taken.status, 422);
    assert.equal(taken.body.message, 'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30050: provided port is already allocated');
    const out = await create(s, svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }));
    assert.equal(out.body.message, 'Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is not in the valid range. The range of valid ports is 30000-30100');
    // NodePort -> ClusterIP: the node ports and externalTrafficPolicy go, and the ports are free again.
    const toCip = await s.request('PATCH', `${SVC}/np`, { spec: { type: 'ClusterIP' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(toCip.status, 200, toCip.text);
    assert.deepEqual(toCip.body.spec.ports.map((p: { nodePort?: number }) => p.nodePort), [undefined, undefined]);
    assert.equal(toCip.body.spec.externalTrafficPolicy, undefined);
    assert.equal(toCip.body.spec.clusterIP, r.body.spec.clusterIP);
    assert.equal((await create(s, svc('np4', { type: 'NodePort', ports: [{ port: 80, nodePort: 30050 }] }))).status, 201);
    // ClusterIP -> NodePort allocates.
    const web = await create(s, svc('web'));
    const toNp = await s.request('PATCH', `${SVC}/web`, { spec: { type: 'NodePort' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(toNp.status, 200, toNp.text);
    assert.ok(toNp.body.spec.ports[0].nodePort >= 30000);
    assert.equal(toNp.body.spec.clusterIP, web.body.spec.clusterIP);
    // A PUT that leaves out the allocated values keeps them.
    const put = structuredClone(toNp.body);
    delete put.spec.clusterIP;
    delete put.spec.clusterIPs;
    delete put.spec.ports[0].nodePort;
    const kept = await s.request('PUT', `${SVC}/web`, put);
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.body.spec.clusterIP, web.body.spec.clusterIP);
    assert.equal(kept.body.spec.ports[0].nodePort, toNp.body.spec.ports[0].nodePort);
  } finally {
    await s.stop();
  }
});

test('update: clusterIP may not change; ExternalName and headless get no IP', async () => {
  const s = await startTestServer();
  try {
    const web = (await create(s, svc('web'))).body;
    web.spec.clusterIP = '10.43.200.200';
    web.spec.clusterIPs = ['10.43.200.200'];
    const r = await s.request('PUT', `${SVC}/web`, web);
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.43.200.200"}: may not change once set');
    const ext = await create(s, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } });
    assert.equal(ext.status, 201, ext.text);
    assert.equal(ext.body.spec.clusterIP, undefined);
    assert.equal(ext.body.spec.ipFamilies, undefined);
    const headless = await create(s, svc('hl', { clusterIP: 'None' }));
    assert.equal(headless.status, 201, headless.text);
    assert.deepEqual(headless.body.spec.clusterIPs, ['None']);
    assert.equal(headless.body.spec.ipFamilyPolicy, 'SingleStack');
    const bad = await create(s, svc('multi', { ports: [{ port: 80 }, { port: 81 }] }));
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.details.causes, [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports[0].name' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports[1].name' },
    ]);
    // ExternalName -> ClusterIP allocates an address; back to ExternalName frees it.
    const toCip = await s.request('PATCH', `${SVC}/ext`, { spec: { type: 'ClusterIP', externalName: null, ports: [{ port: 80 }] } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(toCip.status, 200, toCip.text);
    const ip = toCip.body.spec.clusterIP;
    assert.match(ip, /^10\.43\./);
    const back = await s.request('PATCH', `${SVC}/ext`, { spec: { type: 'ExternalName', externalName: 'db.example.com' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.spec.clusterIP, undefined);
    assert.equal(await s.store.get(SERVICE_IP_PREFIX + ip), undefined);
  } finally {
    await s.stop();
  }
});

test('repair frees allocation keys whose Service is gone and restores missing ones', async () => {
  const store = new MemoryStore();
  const s = await startTestServer({ store, config: { allocationRepairGraceMs: 0 } });
  try {
    const web = (await create(s, svc('web'))).body;
    const leaked = '10.43.77.77';
    await store.create(SERVICE_IP_PREFIX + leaked, Buffer.from(JSON.stringify({ namespace: 'default', name: 'gone', uid: 'x', at: 0 })));
    await store.delete(SERVICE_IP_PREFIX + web.spec.clusterIP);
    const r = await s.server.repairServiceAllocations();
    assert.deepEqual(r.freed, [`service IP ${leaked}`]);
    assert.deepEqual(r.restored, [`service IP ${web.spec.clusterIP}`]);
    assert.ok(await store.get(SERVICE_IP_PREFIX + web.spec.clusterIP));
  } finally {
    await s.stop();
    await store.close();
  }
});

test('default/kubernetes Service, Endpoints and EndpointSlice point at the API server', async () => {
  const s = await startTestServer({ config: { advertiseAddress: '192.0.2.10' } });
  try {
    const k = (await s.request('GET', `${SVC}/kubernetes`)).body;
    assert.equal(k.spec.clusterIP, '10.43.0.1');
    assert.deepEqual(k.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: s.port }]);
    assert.deepEqual(k.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
    const ep = (await s.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).body;
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'https', port: s.port, protocol: 'TCP' }] }]);
    const slice = (await s.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).body;
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.endpoints, [{ addresses: ['192.0.2.10'], conditions: { ready: true } }]);
    assert.deepEqual(slice.ports, [{ name: 'https', port: s.port, protocol: 'TCP' }]);
  } finally {
    await s.stop();
  }
});

test('several API servers on one store each keep themselves listed; a stopped one leaves, a dead one expires', async () => {
  // Two controllers on one store stand for two API servers (full servers with separate test CAs would fight
  // over kube-root-ca.crt); their leases, Service and endpoints go through the same store and registries.
  const s = await startTestServer({ config: { advertiseAddress: '192.0.2.1' } });
  let now = Date.now();
  const make = (address: string) => new KubernetesServiceController({
    store: s.store, services: s.server.registry('services'), endpoints: s.server.registry('endpoints'),
    endpointSlices: s.server.registry('endpointslices', 'discovery.k8s.io'), clusterIP: '10.43.0.1', address, port: s.port,
    now: () => now, leaseTtlMs: 15_000,
  });
  const ips = async () => {
    const slice = (await s.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).body;
    const ep = (await s.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).body;
    const fromEp = (ep.subsets ?? []).flatMap((ss: { addresses: { ip: string }[] }) => ss.addresses.map((a) => a.ip));
    const fromSlice = (slice.endpoints ?? []).map((e: { addresses: string[] }) => e.addresses[0]);
    assert.deepEqual(fromEp, fromSlice);
    return fromSlice;
  };
  try {
    const b = make('192.0.2.2');
    const c = make('192.0.2.3');
    await b.reconcile();
    await c.reconcile();
    assert.deepEqual(await ips(), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    await b.remove();
    assert.deepEqual(await ips(), ['192.0.2.1', '192.0.2.3']);
    // c stops renewing (it died): after the lease TTL the next pass of another server drops it.
    now += 16_000;
    const a = make('192.0.2.1');
    await a.reconcile();
    assert.deepEqual(await ips(), ['192.0.2.1']);
  } finally {
    await s.stop();
  }
});

test('services/proxy: to a ready endpoint from the EndpointSlices; 503 when none', async () => {
  const backend = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen-path': req.url ?? '' });
    res.end(`hello ${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const port = (backend.address() as AddressInfo).port;
  const s = await startTestServer();
  try {
    await create(s, svc('web', { ports: [{ name: 'http', port: 80, targetPort: port }] }));
    const none = await s.request('GET', `${SVC}/web:80/proxy/`);
    assert.equal(none.status, 503);
    assert.equal(none.body.message, 'no endpoints available for service "web"');
    assert.equal(none.body.reason, 'ServiceUnavailable');
    const slice = {
      metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }, { addresses: ['127.0.0.2'], conditions: { ready: false } }],
      ports: [{ name: 'http', port, protocol: 'TCP' }],
    };
    assert.equal((await s.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice)).status, 201);
    for (let i = 0; i < 5; i++) {
      const r = await s.request('GET', `${SVC}/web:80/proxy/some/path?x=1`);
      assert.equal(r.status, 200);
      assert.equal(r.text, 'hello GET /some/path?x=1');
    }
    assert.equal((await s.request('GET', `${SVC}/web:http/proxy/`)).text, 'hello GET /');
    assert.equal((await s.request('POST', `${SVC}/web:http/proxy/p`, 'body')).text, 'hello POST /p');
    // Without a port, only an unnamed port matches, as upstream's ResourceLocation looks for name "".
    assert.equal((await s.request('GET', `${SVC}/web/proxy/`)).status, 503);
    const noPort = await s.request('GET', `${SVC}/web:8081/proxy/`);
    assert.equal(noPort.body.message, 'no service port 8081 found for service "web"');
  } finally {
    await s.stop();
    backend.close();
  }
});

test('listening on loopback, the server also serves on the advertise address (for pods)', async (t) => {
  const address = hostPrimaryIPv4();
  if (!address) return t.skip('no non-loopback IPv4 address on this host');
  const s = await startTestServer({ config: { alsoListenOnAdvertiseAddress: true } });
  try {
    const ep = (await s.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).body;
    assert.deepEqual(ep.subsets[0].addresses, [{ ip: address }]);
    const code = await new Promise<number>((resolve, reject) => {
      https.get({ host: address, port: s.port, path: '/version', ca: s.caPem, servername: 'localhost' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(code, 200);
  } finally {
    await s.stop();
  }
  // Stopped: nothing listens there any more.
  await assert.rejects(new Promise((resolve, reject) => {
    https.get({ host: address, port: s.port, path: '/version', rejectUnauthorized: false }, resolve).on('error', reject);
  }));
});

test('fieldValidation=Strict knows Service, Endpoints and EndpointSlice fields', async () => {
  const s = await startTestServer();
  try {
    const bad = await s.request('POST', `${SVC}?fieldValidation=Strict`, svc('strict', { bogus: 1 }));
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /strict decoding error: unknown field "spec\.bogus"/);
    assert.equal((await s.request('POST', `${SVC}?fieldValidation=Strict`, svc('strict', { sessionAffinity: 'None', publishNotReadyAddresses: true }))).status, 201);
    const slice = await s.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?fieldValidation=Strict', {
      metadata: { name: 's' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], zone: 'a', bogus: true }],
    });
    assert.equal(slice.status, 400);
    assert.match(slice.body.message, /unknown field "endpoints\[0\]\.bogus"/);
  } finally {
    await s.stop();
  }
});

test('EndpointSlice generation: 1 on create, +1 when endpoints, ports or labels change, kept otherwise', async () => {
  const s = await startTestServer();
  const path = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
  try {
    const created = await s.request('POST', path, { metadata: { name: 'g', labels: { a: '1' } }, addressType: 'IPv4', endpoints: [] });
    assert.equal(created.body.metadata.generation, 1);
    const merge = { 'content-type': 'application/merge-patch+json' };
    const moved = await s.request('PATCH', `${path}/g`, { endpoints: [{ addresses: ['10.42.0.9'] }] }, merge);
    assert.equal(moved.body.metadata.generation, 2);
    const annotated = await s.request('PATCH', `${path}/g`, { metadata: { annotations: { x: 'y' } } }, merge);
    assert.equal(annotated.body.metadata.generation, 2);
    const relabelled = await s.request('PATCH', `${path}/g`, { metadata: { labels: { a: '2' } } }, merge);
    assert.equal(relabelled.body.metadata.generation, 3);
  } finally {
    await s.stop();
  }
});
