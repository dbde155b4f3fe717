import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printTable } from './table.ts';
import type { EndpointSlice, Endpoints, Service } from '../types.ts';

const NOW = Date.parse('2026-01-01T00:05:00Z');
const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' });
const SVC = { apiVersion: 'v1', kind: 'Service' } as const;
const EP = { apiVersion: 'v1', kind: 'Endpoints' } as const;
const SLICE = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' } as const;

test('services: kubectl get svc columns and cells', () => {
  const svcs: Service[] = [
    { ...SVC, metadata: meta('web'), spec: { type: 'ClusterIP', clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web', tier: 'fe' } } },
    { ...SVC, metadata: meta('np'), spec: { type: 'NodePort', clusterIPs: ['10.43.1.2'], ports: [{ name: 'a', port: 80, nodePort: 30080, protocol: 'TCP' }, { name: 'b', port: 443, protocol: 'TCP' }] } },
    { ...SVC, metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.3'], ports: [{ port: 53, nodePort: 31000, protocol: 'UDP' }] } },
    { ...SVC, metadata: meta('lb2'), spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.4'], ports: [] }, status: { loadBalancer: { ingress: [{ ip: '192.168.100.10' }, { ip: '192.168.100.11' }] } } },
    { ...SVC, metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'db.example.com' } },
    { ...SVC, metadata: meta('headless'), spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] } },
  ];
  const t = printTable('services', svcs, { now: NOW });
  assert.deepEqual(t.columnDefinitions.map((c) => `${c.name}/${c.priority}`), ['Name/0', 'Type/0', 'Cluster-IP/0', 'External-IP/0', 'Port(s)/0', 'Age/0', 'Selector/1']);
  assert.deepEqual(t.rows.map((r) => r.cells), [
    ['web', 'ClusterIP', '10.43.0.20', '<none>', '80/TCP', '5m', 'app=web,tier=fe'],
    ['np', 'NodePort', '10.43.1.2', '<none>', '80:30080/TCP,443/TCP', '5m', '<none>'],
    ['lb', 'LoadBalancer', '10.43.1.3', '<pending>', '53:31000/UDP', '5m', '<none>'],
    ['lb2', 'LoadBalancer', '10.43.1.4', '192.168.100.10,192.168.100.11', '<none>', '5m', '<none>'],
    ['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '5m', '<none>'],
    ['headless', 'ClusterIP', 'None', '<none>', '<none>', '5m', '<none>'],
  ]);
  // Without wide, a long load balancer list is cut as kubectl cuts it.
  assert.equal(printTable('services', [svcs[3]!], { now: NOW, wide: false }).rows[0]!.cells[3], '192.168.100.1...');
});

test('endpoints: three addresses, then + N more...', () => {
  const ep: Endpoints = {
    ...EP, metadata: meta('web'),
    subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80, protocol: 'TCP' }] }],
  };
  const empty: Endpoints = { ...EP, metadata: meta('none') };
  const t = printTable('endpoints', [ep, empty], { now: NOW });
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Endpoints', 'Age']);
  assert.deepEqual(t.rows.map((r) => r.cells), [['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...', '5m'], ['none', '<none>', '5m']]);
});

test('endpointslices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE', () => {
  const s: EndpointSlice = {
    ...SLICE, metadata: meta('web-abcde'), addressType: 'IPv4',
    endpoints: [{ addresses: ['10.42.0.5'] }, { addresses: ['10.42.0.6'] }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
  const bare: EndpointSlice = { ...SLICE, metadata: meta('bare'), addressType: 'IPv4', endpoints: [] };
  const t = printTable('endpointslices.discovery.k8s.io', [s, bare], { now: NOW });
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  assert.deepEqual(t.rows.map((r) => r.cells), [['web-abcde', 'IPv4', '8080', '10.42.0.5,10.42.0.6', '5m'], ['bare', 'IPv4', '<unset>', '<unset>', '5m']]);
});
