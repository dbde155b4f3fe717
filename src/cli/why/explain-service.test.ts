import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Pod, Service } from '../../api/index.ts';
import { explainService, servicePodToExplain } from './explain-service.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function svc(spec: Partial<NonNullable<Service['spec']>> = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', uid: 'v1' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], clusterIP: '10.43.0.9', ...spec } };
}

const pod = (name: string, ready: boolean, labels: Record<string, string> = { app: 'web' }, ports: { name: string; containerPort: number }[] = []): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', ports }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const slice = (ready: boolean[]): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-x' }, addressType: 'IPv4',
  endpoints: ready.map((r, i) => ({ addresses: [`10.42.0.${i + 1}`], conditions: { ready: r } })),
  ports: [{ port: 8080 }],
});

test('explainService: a selector that matches no pod', () => {
  const got = explainService({ service: svc(), events: [], slices: [], pods: [pod('other', true, { app: 'api' })], now: NOW });
  assert.equal(got.sentence, 'service/web has no endpoints: its selector app=web matches no pod in namespace shop.');
  assert.equal(got.healthy, false);
  assert.ok(got.evidence.includes('selector app=web: matches 0 pod(s)'), got.evidence.join('\n'));
});

test('explainService: selected pods not Ready, which, and why for one', () => {
  const why = { sentence: 'pod/web-a is Running but not Ready: the readiness probe of container c fails: HTTP probe failed with statuscode: 500 (last 3s ago).', evidence: [], healthy: false };
  const pods = [pod('web-a', false), pod('web-b', false)];
  assert.equal(servicePodToExplain(svc(), pods)?.metadata?.name, 'web-a');
  const got = explainService({ service: svc(), events: [], slices: [slice([false, false])], pods, podAnswer: why, now: NOW });
  assert.equal(got.sentence, `service/web has no ready endpoints: the 2 pod(s) its selector app=web matches are not Ready (web-a, web-b). Not ready: ${why.sentence}`);
  assert.ok(got.evidence.includes('endpoint 10.42.0.1: not ready, ports 8080'), got.evidence.join('\n'));
});

test('explainService: ready endpoints are healthy; no ports, no selector, a named port nobody declares, ExternalName', () => {
  const ok = explainService({ service: svc(), events: [], slices: [slice([true, false])], pods: [pod('web-a', true), pod('web-b', false)], now: NOW });
  assert.equal(ok.sentence, 'service/web has 1 ready endpoint(s); 1 selected pod(s) not Ready (web-b).');
  assert.equal(ok.healthy, true);
  assert.equal(explainService({ service: svc({ ports: [] }), events: [], slices: [], pods: [], now: NOW }).sentence, 'service/web has no ports: traffic to it reaches nothing.');
  assert.equal(
    explainService({ service: svc({ selector: undefined }), events: [], slices: [], pods: [], now: NOW }).sentence,
    'service/web has no endpoints: it has no selector, so only EndpointSlices (or Endpoints) you create for it give it any.',
  );
  assert.equal(
    explainService({ service: svc({ ports: [{ port: 80, targetPort: 'http' }] }), events: [], slices: [], pods: [pod('web-a', true, { app: 'web' }, [{ name: 'web', containerPort: 80 }])], now: NOW }).sentence,
    'service/web has no endpoints for targetPort http: none of the 1 pod(s) its selector matches declares a container port by that name.',
  );
  const ext = explainService({ service: svc({ type: 'ExternalName', externalName: 'db.example.com', selector: undefined }), events: [], slices: [], pods: [], now: NOW });
  assert.equal(ext.healthy, true);
  assert.match(ext.sentence, /a DNS alias for db\.example\.com/);
});
