import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Pod } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { runDuring } from '../testing/run-during.ts';
import { EndpointSliceController } from './endpointslice.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const SLICES = 'discovery.k8s.io/endpointslices';

const node = (name: string, zone?: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: zone ? { 'topology.kubernetes.io/zone': zone } : {} } });
const service = (ns: string, name: string, selector?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { selector, clusterIP: '10.43.0.9', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
});
const pod = (ns: string, name: string, ip: string, extra: { ready?: boolean; node?: string; deleting?: boolean; labels?: Record<string, string> } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: extra.labels ?? { app: 'web' }, ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}) },
  spec: { nodeName: extra.node ?? 'n1', containers: [{ name: 'c', image: 'x' }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True', lastTransitionTime: '2026-01-01T00:00:30Z' }] },
});

const slicesIn = (ns: string) => server.list(SLICES).filter((s) => s.metadata.namespace === ns) as unknown as EndpointSlice[];
const endpointsOf = (ns: string) => slicesIn(ns).flatMap((s) => s.endpoints ?? []);
const sliceWrites = () => server.requests.filter((r) => r.path.includes('/endpointslices') && r.method !== 'GET').length;

const withController = (body: (c: EndpointSliceController, signal: AbortSignal) => Promise<void>) => runDuring(new EndpointSliceController({ client }), body);

test('a selector Service gets one slice with its ready pods; deletion, readiness and removal follow; no write when nothing changed', async () => {
  server.put('nodes', node('n1', 'zone-a'));
  const svc = server.put('services', service('s1', 'web', { app: 'web' }));
  for (const [i, name] of ['a', 'b', 'c'].entries()) server.put('pods', pod('s1', name, `10.42.0.${i + 2}`));
  server.put('pods', pod('s1', 'other', '10.42.0.9', { labels: { app: 'db' } }));
  await withController(async (c, signal) => {
    await until(() => endpointsOf('s1').length === 3, 'three endpoints');
    assert.equal(slicesIn('s1').length, 1);
    const [slice] = slicesIn('s1');
    assert.match(slice!.metadata!.name!, /^web-/);
    assert.equal(slice!.addressType, 'IPv4');
    assert.deepEqual(slice!.metadata?.labels, { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.deepEqual(slice!.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(slice!.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], '2026-01-01T00:00:00Z');
    assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(endpointsOf('s1').map((e) => [e.addresses[0], e.conditions?.ready, e.zone, e.nodeName]).sort(), [
      ['10.42.0.2', true, 'zone-a', 'n1'], ['10.42.0.3', true, 'zone-a', 'n1'], ['10.42.0.4', true, 'zone-a', 'n1'],
    ]);

    // Nothing changed: a reconcile writes nothing.
    await until(() => c.slices.list().length === 1 && c.slices.list()[0]!.metadata?.resourceVersion === slicesIn('s1')[0]!.metadata?.resourceVersion, 'cache caught up');
    const writes = sliceWrites();
    await c.reconcile('s1/web', signal);
    assert.equal(sliceWrites(), writes);

    // Pod b is being deleted: not ready, terminating, still serving; updated in place.
    const name = slice!.metadata!.name;
    server.put('pods', pod('s1', 'b', '10.42.0.3', { deleting: true }));
    await until(() => endpointsOf('s1').find((e) => e.targetRef?.name === 'b')?.conditions?.terminating, 'b terminating');
    assert.deepEqual(endpointsOf('s1').find((e) => e.targetRef?.name === 'b')?.conditions, { ready: false, serving: true, terminating: true });
    assert.deepEqual(slicesIn('s1').map((s) => s.metadata?.name), [name]);

    // Pod c fails readiness: ready and serving false.
    server.put('pods', pod('s1', 'c', '10.42.0.4', { ready: false }));
    await until(() => endpointsOf('s1').find((e) => e.targetRef?.name === 'c')?.conditions?.serving === false, 'c not serving');
    assert.equal(endpointsOf('s1').find((e) => e.targetRef?.name === 'c')?.conditions?.ready, false);

    // Pod b is gone.
    server.remove('pods', 's1', 'b');
    await until(() => endpointsOf('s1').length === 2, 'b removed');

    // Every pod gone: the slice stays as an empty placeholder.
    server.remove('pods', 's1', 'a');
    server.remove('pods', 's1', 'c');
    await until(() => slicesIn('s1').length === 1 && endpointsOf('s1').length === 0, 'placeholder');
    assert.deepEqual(slicesIn('s1').map((s) => s.metadata?.name), [name]);

    // The Service is deleted: its slices go.
    server.remove('services', 's1', 'web');
    await until(() => slicesIn('s1').length === 0, 'slices deleted with the Service');
  });
});

test('Services without a selector keep their own slices; pods on an unknown node wait for it', async () => {
  server.put('services', service('s2', 'manual'));
  server.put(SLICES, {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'manual-1', namespace: 's2', labels: { 'kubernetes.io/service-name': 'manual' } },
    addressType: 'IPv4', endpoints: [{ addresses: ['192.0.2.1'] }], ports: [],
  });
  // Labelled as ours but owned by no Service (as an API server might write the `kubernetes` slice): not ours.
  server.put(SLICES, {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'manual-2', namespace: 's2', labels: { 'kubernetes.io/service-name': 'manual', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: 'IPv4', endpoints: [{ addresses: ['192.0.2.2'] }], ports: [],
  });
  server.put('services', service('s2', 'web', { app: 'web' }));
  server.put('pods', pod('s2', 'late', '10.42.1.2', { node: 'n-late' }));
  await withController(async (c, signal) => {
    await until(() => slicesIn('s2').some((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === 'web'), 'slice for web');
    assert.equal(slicesIn('s2').find((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === 'web')?.endpoints?.length ?? 0, 0, 'the pod waits for its node');
    server.put('nodes', node('n-late'));
    await until(() => endpointsOf('s2').some((e) => e.targetRef?.name === 'late'), 'pod listed once its node is known');
    const manual = slicesIn('s2').find((s) => s.metadata?.name === 'manual-1');
    assert.deepEqual(manual?.endpoints, [{ addresses: ['192.0.2.1'] }]);
    await c.reconcile('s2/manual', signal);
    assert.deepEqual(slicesIn('s2').filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === 'manual').map((s) => s.metadata?.name).sort(), ['manual-1', 'manual-2']);
  });
});

test('150 pods spread over two slices; a slice deleted by hand comes back', async () => {
  server.put('nodes', node('n1'));
  server.put('services', service('s3', 'big', { app: 'web' }));
  for (let i = 0; i < 150; i++) server.put('pods', pod('s3', `p${i}`, `10.42.${2 + Math.floor(i / 100)}.${i % 100}`));
  await withController(async () => {
    await until(() => endpointsOf('s3').length === 150, '150 endpoints');
    assert.deepEqual(slicesIn('s3').map((s) => s.endpoints!.length).sort(), [100, 50]);
    const victim = slicesIn('s3').find((s) => s.endpoints!.length === 50)!;
    server.remove(SLICES, 's3', victim.metadata!.name!);
    await until(() => endpointsOf('s3').length === 150, 'recreated');
    assert.equal(slicesIn('s3').length, 2);
  });
});

test('a failed write is reported as a FailedToUpdateEndpointSlices event on the Service and retried', async () => {
  server.put('nodes', node('n1'));
  server.put('services', service('s4', 'web', { app: 'web' }));
  server.put('pods', pod('s4', 'a', '10.42.4.2'));
  server.failNext.push({ method: 'POST', pathIncludes: '/namespaces/s4/endpointslices', code: 500, reason: 'InternalError', message: 'boom' });
  await withController(async () => {
    await until(() => endpointsOf('s4').length === 1, 'slice written on retry');
    const ev = server.list('events').find((e) => e.reason === 'FailedToUpdateEndpointSlices' && e.involvedObject?.namespace === 's4');
    assert.ok(ev, 'a Warning event');
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^Error updating Endpoint Slices for Service s4\/web: /);
  });
});

test('a Service deleted and made again under the same name: the old slices go, the new Service owns its own', async () => {
  server.put('nodes', node('n1'));
  const first = server.put('services', service('s5', 'web', { app: 'web' }));
  server.put('pods', pod('s5', 'a', '10.42.5.2'));
  await withController(async () => {
    await until(() => endpointsOf('s5').length === 1, 'first slice');
    server.remove('services', 's5', 'web');
    const second = server.put('services', service('s5', 'web', { app: 'web' }));
    assert.notEqual(second.metadata.uid, first.metadata.uid);
    await until(() => slicesIn('s5').length === 1 && slicesIn('s5')[0]!.metadata?.ownerReferences?.[0]?.uid === second.metadata.uid && endpointsOf('s5').length === 1, 'only the new Service\'s slice');
  });
});
