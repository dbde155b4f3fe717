import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { desiredIngress, loadBalancerIngress, ServiceLBController } from './servicelb.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const node = (name: string, ip: string, o: { ready?: boolean; unschedulable?: boolean } = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: o.unschedulable ? { unschedulable: true } : {},
  status: {
    addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }],
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
  },
});
const service = (name: string, type: 'ClusterIP' | 'LoadBalancer', extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'lb' },
  spec: { type, selector: { app: name }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }], ...extra },
});

test('ingress: Ready schedulable nodes InternalIPs, sorted, ipMode VIP', () => {
  const cases: { name: string; nodes: Node[]; want: string[] }[] = [
    { name: 'ready nodes, numeric order', nodes: [node('b', '192.168.1.10'), node('a', '192.168.1.9')], want: ['192.168.1.9', '192.168.1.10'] },
    { name: 'not ready left out', nodes: [node('a', '10.0.0.1'), node('b', '10.0.0.2', { ready: false })], want: ['10.0.0.1'] },
    { name: 'unschedulable left out', nodes: [node('a', '10.0.0.1', { unschedulable: true })], want: [] },
  ];
  for (const c of cases) assert.deepEqual(loadBalancerIngress(c.nodes), c.want.map((ip) => ({ ip, ipMode: 'VIP' })), c.name);
  assert.deepEqual(desiredIngress(service('x', 'ClusterIP') as Service, [node('a', '10.0.0.1')]), []);
  assert.equal(desiredIngress(service('x', 'LoadBalancer', { loadBalancerClass: 'example.com/lb' }) as Service, [node('a', '10.0.0.1')]), undefined);
});

test('LoadBalancer Services get the node addresses and follow nodes; other types are cleared', async () => {
  server.put('nodes', node('n1', '10.0.0.1'));
  server.put('services', service('web', 'LoadBalancer'));
  server.put('services', { ...service('was-lb', 'ClusterIP'), status: { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } } });
  const ingress = (name: string) => (server.list('services').find((s) => s.metadata.name === name)?.status?.loadBalancer?.ingress ?? []).map((i: { ip: string }) => i.ip);
  const c = new ServiceLBController({ client });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await until(() => ingress('web').length === 1, 'first ingress');
    assert.deepEqual(server.list('services').find((s) => s.metadata.name === 'web')?.status?.loadBalancer?.ingress, [{ ip: '10.0.0.1', ipMode: 'VIP' }]);
    await until(() => ingress('was-lb').length === 0, 'stale ingress cleared');

    server.put('nodes', node('n2', '10.0.0.2'));
    await until(() => ingress('web').length === 2, 'second node added');
    server.put('nodes', node('n1', '10.0.0.1', { ready: false }));
    await until(() => ingress('web').join() === '10.0.0.2', 'not ready node removed');
    server.remove('nodes', undefined, 'n2');
    await until(() => ingress('web').length === 0, 'no nodes left');
  } finally {
    ac.abort();
    await running;
  }
});
