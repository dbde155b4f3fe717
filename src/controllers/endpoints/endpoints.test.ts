import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { runDuring } from '../testing/run-during.ts';
import { EndpointsController } from './endpoints.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const service = (ns: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels },
  spec: { clusterIP: '10.43.0.9', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
});
const pod = (ns: string, name: string, ip: string, extra: { ready?: boolean; deleting?: boolean } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app: 'web' }, ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}) },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }] },
});

const ep = (ns: string, name: string) => server.list('endpoints').find((e) => e.metadata.namespace === ns && e.metadata.name === name) as unknown as Endpoints | undefined;
const ready = (e: Endpoints | undefined) => (e?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
const notReady = (e: Endpoints | undefined) => (e?.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip));
const epWrites = () => server.requests.filter((r) => r.path.includes('/endpoints') && r.method !== 'GET').length;

const withController = (body: (c: EndpointsController, signal: AbortSignal) => Promise<void>) => runDuring(new EndpointsController({ client }), body);

test('Endpoints follow the selected pods: ready, not ready, terminating; no write when up to date; deleted with the Service', async () => {
  server.put('services', service('e1', 'web', { selector: { app: 'web' } }, { team: 'a' }));
  server.put('pods', pod('e1', 'a', '10.42.0.2'));
  server.put('pods', pod('e1', 'b', '10.42.0.3'));
  server.put('pods', pod('e1', 'c', '10.42.0.4', { ready: false }));
  await withController(async (c, signal) => {
    await until(() => ready(ep('e1', 'web')).length === 2 && notReady(ep('e1', 'web')).length === 1, 'endpoints');
    const e = ep('e1', 'web')!;
    assert.deepEqual(e.metadata?.labels, { team: 'a' });
    assert.equal(e.metadata?.ownerReferences, undefined);
    assert.ok(e.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']);
    assert.deepEqual(e.subsets, [{
      addresses: [
        { ip: '10.42.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'e1', name: 'a', uid: server.list('pods').find((p) => p.metadata.name === 'a' && p.metadata.namespace === 'e1')!.metadata.uid } },
        { ip: '10.42.0.3', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'e1', name: 'b', uid: server.list('pods').find((p) => p.metadata.name === 'b' && p.metadata.namespace === 'e1')!.metadata.uid } },
      ],
      notReadyAddresses: [
        { ip: '10.42.0.4', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'e1', name: 'c', uid: server.list('pods').find((p) => p.metadata.name === 'c' && p.metadata.namespace === 'e1')!.metadata.uid } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }]);

    await until(() => c.endpoints.get('e1/web')?.metadata?.resourceVersion === ep('e1', 'web')?.metadata?.resourceVersion, 'cache caught up');
    const writes = epWrites();
    await c.reconcile('e1/web', signal);
    assert.equal(epWrites(), writes, 'no write when up to date');

    // A pod being deleted leaves at once (not even as not ready).
    server.put('pods', pod('e1', 'b', '10.42.0.3', { deleting: true }));
    await until(() => ready(ep('e1', 'web')).length === 1, 'b gone from addresses');
    assert.deepEqual(ready(ep('e1', 'web')), ['10.42.0.2']);
    assert.deepEqual(notReady(ep('e1', 'web')), ['10.42.0.4']);

    server.remove('services', 'e1', 'web');
    await until(() => !ep('e1', 'web'), 'endpoints deleted with the Service');
  });
});

test('publishNotReadyAddresses lists every pod as ready, terminating ones too; headless label; selector-less Services are left alone', async () => {
  server.put('services', service('e2', 'all', { selector: { app: 'web' }, publishNotReadyAddresses: true, clusterIP: 'None' }));
  server.put('services', service('e2', 'manual', {}));
  server.put('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual', namespace: 'e2' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }] }] });
  server.put('pods', pod('e2', 'a', '10.42.1.2', { ready: false }));
  server.put('pods', pod('e2', 'b', '10.42.1.3', { deleting: true }));
  await withController(async () => {
    await until(() => ready(ep('e2', 'all')).length === 2, 'all addresses ready');
    assert.deepEqual(notReady(ep('e2', 'all')), []);
    assert.deepEqual(ep('e2', 'all')?.metadata?.labels, { 'service.kubernetes.io/headless': '' });
    assert.deepEqual(ready(ep('e2', 'manual')), ['192.0.2.1']);
  });
});

test('Endpoints left from a Service deleted while the controller was down are removed at start', async () => {
  server.put('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'gone', namespace: 'e3' }, subsets: [] });
  server.put('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'lock', namespace: 'e3', annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' } } });
  await withController(async () => {
    await until(() => !ep('e3', 'gone'), 'leftover deleted');
    assert.ok(ep('e3', 'lock'), 'a leader-election lock stays');
  });
});

test('a failed create is reported as a FailedToCreateEndpoint event and retried', async () => {
  server.put('services', service('e4', 'web', { selector: { app: 'web' } }));
  server.put('pods', pod('e4', 'a', '10.42.4.2'));
  server.failNext.push({ method: 'POST', pathIncludes: '/namespaces/e4/endpoints', code: 500, reason: 'InternalError', message: 'boom' });
  await withController(async () => {
    await until(() => ready(ep('e4', 'web')).length === 1, 'Endpoints written on retry');
    const ev = server.list('events').find((e) => e.reason === 'FailedToCreateEndpoint' && e.involvedObject?.namespace === 'e4');
    assert.ok(ev, 'a Warning event');
    assert.match(ev.message, /^Failed to create endpoint for service e4\/web: /);
  });
});
