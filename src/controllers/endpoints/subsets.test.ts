import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, EndpointSubset, Pod, Service } from '../../api/index.ts';
import { buildEndpoints, endpointsUpToDate } from './endpoints.ts';
import { desiredSubsets, repackSubsets, truncateSubsets } from './subsets.ts';

const svc = (extra: Partial<Service['spec']> = {}, labels?: Record<string, string>): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels },
  spec: { selector: { app: 'web' }, clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...extra },
});

const pod = (name: string, ip: string, o: { ready?: boolean; deleting?: boolean; phase?: 'Running' | 'Succeeded' | 'Failed'; ports?: { name: string; containerPort: number }[]; hostname?: string } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...(o.deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}) },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', ports: o.ports }], ...(o.hostname ? { hostname: o.hostname, subdomain: 'web' } : {}) },
  status: { phase: o.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});

const addr = (name: string, ip: string) => ({ ip, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` } });
const ips = (ss: EndpointSubset[]) => ss.map((s) => ({ ready: (s.addresses ?? []).map((a) => a.ip), notReady: (s.notReadyAddresses ?? []).map((a) => a.ip), ports: (s.ports ?? []).map((p) => `${p.name ?? ''}:${p.port}`) }));

test('subsets: ready and not-ready addresses, terminating and terminal pods, publishNotReadyAddresses', () => {
  const pods = [
    pod('b', '10.42.0.10'),
    pod('a', '10.42.0.9'),
    pod('c', '10.42.0.11', { ready: false }),
    pod('d', '10.42.0.12', { deleting: true }),
    pod('e', '10.42.0.13', { phase: 'Succeeded' }),
  ];
  const cases: { name: string; svc: Service; want: ReturnType<typeof ips> }[] = [
    { name: 'default', svc: svc(), want: [{ ready: ['10.42.0.9', '10.42.0.10'], notReady: ['10.42.0.11'], ports: ['http:8080'] }] },
    { name: 'publishNotReadyAddresses', svc: svc({ publishNotReadyAddresses: true }), want: [{ ready: ['10.42.0.9', '10.42.0.10', '10.42.0.11', '10.42.0.12'], notReady: [], ports: ['http:8080'] }] },
    { name: 'headless without ports', svc: svc({ clusterIP: 'None', ports: [] }), want: [{ ready: ['10.42.0.9', '10.42.0.10'], notReady: ['10.42.0.11'], ports: [] }] },
    { name: 'not headless, no ports: nothing', svc: svc({ ports: [] }), want: [] },
  ];
  for (const c of cases) assert.deepEqual(ips(desiredSubsets(c.svc, pods)), c.want, c.name);
  const [first] = desiredSubsets(svc(), pods);
  assert.deepEqual(first!.addresses![0], addr('a', '10.42.0.9'));
  assert.deepEqual(first!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
});

test('subsets: named ports resolve per pod and repack into one subset per port set; hostname', () => {
  const s = svc({ clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }, { name: 'm', port: 9090, targetPort: 9100, protocol: 'TCP' }] });
  const pods = [
    pod('a', '10.42.0.1', { ports: [{ name: 'web', containerPort: 8080 }], hostname: 'h-a' }),
    pod('b', '10.42.0.2', { ports: [{ name: 'web', containerPort: 8080 }] }),
    pod('c', '10.42.0.3', { ports: [{ name: 'web', containerPort: 9000 }] }),
    pod('d', '10.42.0.4'),
  ];
  const subsets = desiredSubsets(s, pods);
  assert.deepEqual(ips(subsets), [
    // Per port, the addresses offering it; equal address sets would share a subset.
    { ready: ['10.42.0.1', '10.42.0.2'], notReady: [], ports: ['http:8080'] },
    { ready: ['10.42.0.1', '10.42.0.2', '10.42.0.3', '10.42.0.4'], notReady: [], ports: ['m:9100'] },
    { ready: ['10.42.0.3'], notReady: [], ports: ['http:9000'] },
  ]);
  // Two ports offered by the same addresses share one subset.
  const two = desiredSubsets(svc({ ports: [{ name: 'a', port: 80, targetPort: 80, protocol: 'TCP' }, { name: 'b', port: 81, targetPort: 81, protocol: 'TCP' }] }), pods);
  assert.deepEqual(ips(two), [{ ready: ['10.42.0.1', '10.42.0.2', '10.42.0.3', '10.42.0.4'], notReady: [], ports: ['a:80', 'b:81'] }]);
  assert.equal(subsets[0]!.addresses![0]!.hostname, 'h-a');
  assert.equal(subsets[0]!.addresses![1]!.hostname, undefined);
});

test('repack: an address not ready for one port stays ready for the others; order does not matter', () => {
  const p80 = { name: 'a', port: 80, protocol: 'TCP' as const };
  const p81 = { name: 'b', port: 81, protocol: 'TCP' as const };
  const x = addr('x', '10.0.0.1');
  const input: EndpointSubset[] = [
    { addresses: [x], ports: [p80] },
    { notReadyAddresses: [x], ports: [p81] },
    { addresses: [x], ports: [p81] },
  ];
  const out = repackSubsets(input);
  assert.deepEqual(ips(out), [
    { ready: ['10.0.0.1'], notReady: [], ports: ['a:80'] },
    { ready: [], notReady: ['10.0.0.1'], ports: ['b:81'] },
  ].sort((a, b) => JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports))));
  assert.deepEqual(repackSubsets([...input].reverse()), out);
});

test('truncation above 1000 addresses keeps ready ones first and marks the object', () => {
  const many = Array.from({ length: 1200 }, (_, i) => addr(`p${i}`, `10.1.${Math.floor(i / 250)}.${i % 250}`));
  const ss: EndpointSubset[] = [{ addresses: many.slice(0, 900), notReadyAddresses: many.slice(900), ports: [{ port: 80, protocol: 'TCP' }] }];
  assert.equal(truncateSubsets(ss), true);
  assert.equal(ss[0]!.addresses!.length, 900);
  assert.equal(ss[0]!.notReadyAddresses!.length, 100);
  assert.equal(truncateSubsets([{ addresses: many.slice(0, 10) }]), false);
  const ep = buildEndpoints(svc(), undefined, [{ addresses: many, ports: [{ port: 80, protocol: 'TCP' }] }], undefined);
  assert.equal(ep.subsets![0]!.addresses!.length, 1000);
  assert.equal(ep.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity'], 'truncated');
});

test('the Endpoints object: labels, headless label, trigger time; up to date means no write', () => {
  const subsets = desiredSubsets(svc(), [pod('a', '10.42.0.1')]);
  const ep = buildEndpoints(svc({}, { app: 'web' }), undefined, subsets, '2026-01-01T00:00:00Z');
  assert.deepEqual(ep.metadata, { name: 'web', namespace: 'ns', labels: { app: 'web' }, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-01T00:00:00Z' } });
  const headless = buildEndpoints(svc({ clusterIP: 'None' }), undefined, subsets, undefined);
  assert.deepEqual(headless.metadata?.labels, { 'service.kubernetes.io/headless': '' });
  assert.equal(headless.metadata?.annotations, undefined);

  const stored: Endpoints = JSON.parse(JSON.stringify({ ...ep, metadata: { ...ep.metadata, resourceVersion: '5' } }));
  assert.equal(endpointsUpToDate(stored, svc({}, { app: 'web' }), desiredSubsets(svc(), [pod('a', '10.42.0.1')])), true);
  assert.equal(endpointsUpToDate(stored, svc({}, { app: 'web', v: '2' }), subsets), false, 'labels changed');
  assert.equal(endpointsUpToDate(stored, svc({}, { app: 'web' }), desiredSubsets(svc(), [pod('a', '10.42.0.1', { ready: false })])), false, 'readiness changed');
  // The headless label is the controller's own: it does not count as a difference.
  const storedHeadless: Endpoints = JSON.parse(JSON.stringify({ ...headless, metadata: { ...headless.metadata, resourceVersion: '6' } }));
  assert.equal(endpointsUpToDate(storedHeadless, svc({ clusterIP: 'None' }), subsets), true);
});
