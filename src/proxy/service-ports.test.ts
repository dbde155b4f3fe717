import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servicePorts, usableEndpoints, type ProxyEndpoint } from './service-ports.ts';
import { makeService, makeSlice } from './testing/builders.ts';

const web = makeService('web', { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] });

test('servicePorts: one entry per Service port, endpoints from slices matched by port name and protocol', () => {
  const slices = [
    makeSlice('web', [{ ip: '10.42.0.3', node: 'n1' }, { ip: '10.42.1.2', node: 'n2' }], [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }]),
  ];
  const ports = servicePorts([web], slices, 'n1');
  assert.deepEqual(ports.map((p) => [p.portName, p.protocol, p.port, p.endpoints.map((e) => `${e.ip}:${e.port}:${e.local}`)]), [
    ['dns', 'UDP', 53, ['10.42.0.3:5353:true', '10.42.1.2:5353:false']],
    ['http', 'TCP', 80, ['10.42.0.3:8080:true', '10.42.1.2:8080:false']],
  ]);
});

test('servicePorts: skips ExternalName, headless, other proxies\' and IPv6 Services', () => {
  const services = [
    makeService('ext', { type: 'ExternalName', externalName: 'example.com', clusterIP: '', ports: [{ port: 80 }] }),
    makeService('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
    makeService('v6', { clusterIP: 'fd00::5', ports: [{ port: 80 }] }),
    { ...makeService('other', { clusterIP: '10.43.0.9', ports: [{ port: 80 }] }), metadata: { namespace: 'default', name: 'other', labels: { 'service.kubernetes.io/service-proxy-name': 'x' } } },
  ];
  assert.deepEqual(servicePorts(services, [], 'n1'), []);
});

test('servicePorts: endpoints of several slices are joined once per address; slices of other Services, namespaces and IPv6 are ignored', () => {
  const slices = [
    makeSlice('web', [{ ip: '10.42.0.4' }, { ip: '10.42.0.3' }], [{ name: 'http', port: 8080 }], { name: 'web-1' }),
    makeSlice('web', [{ ip: '10.42.0.3' }, { ip: '10.42.0.10' }], [{ name: 'http', port: 8080 }], { name: 'web-2' }),
    makeSlice('web', [{ ip: '10.42.9.9' }], [{ name: 'http', port: 8080 }], { name: 'web-3', namespace: 'other' }),
    makeSlice('api', [{ ip: '10.42.8.8' }], [{ name: 'http', port: 8080 }]),
    makeSlice('web', [{ ip: 'fd00::1' }], [{ name: 'http', port: 8080 }], { name: 'web-6', addressType: 'IPv6' }),
  ];
  const [, http] = servicePorts([web], slices, 'n1');
  assert.deepEqual(http!.endpoints.map((e) => e.ip), ['10.42.0.3', '10.42.0.4', '10.42.0.10']);
});

test('servicePorts: node ports for NodePort and LoadBalancer only; external IPs and LB ingress; affinity timeout default 10800 s', () => {
  const services = [
    makeService('np', { type: 'NodePort', clusterIP: '10.43.0.6', ports: [{ port: 80, nodePort: 30080 }], externalIPs: ['192.0.2.50'], sessionAffinity: 'ClientIP' }),
    makeService('lb', { type: 'LoadBalancer', clusterIP: '10.43.0.7', ports: [{ port: 80, nodePort: 30081 }], externalTrafficPolicy: 'Local',
      sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }, ['192.0.2.2']),
    makeService('cip', { clusterIP: '10.43.0.8', ports: [{ port: 80, nodePort: 30082 }], internalTrafficPolicy: 'Local' }),
  ];
  const byName = Object.fromEntries(servicePorts(services, [], 'n1').map((p) => [p.name, p]));
  assert.equal(byName.np!.nodePort, 30080);
  assert.deepEqual(byName.np!.externalIPs, ['192.0.2.50']);
  assert.equal(byName.np!.affinityTimeoutSeconds, 10800);
  assert.equal(byName.lb!.nodePort, 30081);
  assert.deepEqual(byName.lb!.externalIPs, ['192.0.2.2']);
  assert.equal(byName.lb!.affinityTimeoutSeconds, 60);
  assert.equal(byName.lb!.externalLocal, true);
  assert.equal(byName.cip!.nodePort, undefined);
  assert.equal(byName.cip!.affinityTimeoutSeconds, undefined);
  assert.equal(byName.cip!.internalLocal, true);
});

test('servicePorts: unset conditions mean ready and serving, not terminating', () => {
  const slice = makeSlice('web', [{ ip: '10.42.0.3' }], [{ name: 'http', port: 8080 }]);
  delete slice.endpoints![0]!.conditions;
  const [, http] = servicePorts([web], [slice], 'n1');
  assert.deepEqual(http!.endpoints[0], { ip: '10.42.0.3', port: 8080, local: false, ready: true, serving: true, terminating: false });
});

const ep = (ip: string, over: Partial<ProxyEndpoint> = {}): ProxyEndpoint =>
  ({ ip, port: 80, local: false, ready: true, serving: true, terminating: false, ...over });

test('usableEndpoints: ready ones; serving+terminating only when none is ready; Local narrows to this node first', () => {
  const cases: { name: string; eps: ProxyEndpoint[]; local: boolean; want: string[] }[] = [
    { name: 'ready only', eps: [ep('a'), ep('b', { ready: false, serving: true, terminating: true })], local: false, want: ['a'] },
    { name: 'falls back to serving terminating', eps: [ep('a', { ready: false, serving: true, terminating: true }), ep('b', { ready: false, serving: false, terminating: true })], local: false, want: ['a'] },
    { name: 'not ready, not terminating: none', eps: [ep('a', { ready: false, serving: false })], local: false, want: [] },
    { name: 'local', eps: [ep('a'), ep('b', { local: true })], local: true, want: ['b'] },
    { name: 'local falls back within the node', eps: [ep('a'), ep('b', { local: true, ready: false, terminating: true })], local: true, want: ['b'] },
  ];
  for (const c of cases) assert.deepEqual(usableEndpoints(c.eps, c.local).map((e) => e.ip), c.want, c.name);
});
