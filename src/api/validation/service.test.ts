import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, invalidMessage, validateObject, validateObjectUpdate, type Endpoints, type Service } from '../index.ts';

function svc(spec: Service['spec'], name = 'web'): Service {
  return applyDefaults('services', { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: structuredClone(spec) });
}

function errors(s: Service): string[] {
  return validateObject('services', s).map((e) => `${e.field}: ${e.message}`);
}

test('SetDefaults_Service: type, affinity, protocol, targetPort, traffic policies', () => {
  const s = svc({ ports: [{ port: 80 }] });
  assert.deepEqual(s.spec, {
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster',
  });
  const np = svc({ type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] });
  assert.equal(np.spec!.externalTrafficPolicy, 'Cluster');
  assert.equal(np.spec!.ports![0]!.targetPort, 'http');
  const lb = svc({ type: 'LoadBalancer', ports: [{ port: 80 }] });
  assert.equal(lb.spec!.allocateLoadBalancerNodePorts, true);
  const aff = svc({ sessionAffinity: 'ClientIP', ports: [{ port: 80 }] });
  assert.deepEqual(aff.spec!.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  const en = svc({ type: 'ExternalName', externalName: 'example.com' });
  assert.equal(en.spec!.internalTrafficPolicy, undefined);
  assert.equal(en.spec!.externalTrafficPolicy, undefined);
  // idempotent
  assert.deepEqual(applyDefaults('services', structuredClone(np)), np);
});

test('valid services pass', () => {
  assert.deepEqual(errors(svc({ ports: [{ port: 80 }], selector: { app: 'web' } })), []);
  assert.deepEqual(errors(svc({ clusterIP: 'None', selector: { app: 'web' } })), []);
  assert.deepEqual(errors(svc({ type: 'ExternalName', externalName: 'db.example.com.' })), []);
  assert.deepEqual(errors(svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 443 }] })), []);
});

test('Kubernetes messages for invalid services', () => {
  assert.deepEqual(errors(svc({ ports: [{ port: 80 }, { port: 81 }] })), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
  assert.deepEqual(errors(svc({ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] })), ['spec.ports[1].name: Duplicate value: "a"']);
  assert.deepEqual(errors(svc({})), ['spec.ports: Required value']);
  assert.deepEqual(errors(svc({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] })), [
    'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  ]);
  assert.deepEqual(errors(svc({ type: 'ExternalName' })), ['spec.externalName: Required value']);
  assert.deepEqual(errors(svc({ type: 'ExternalName', externalName: 'Bad_Name' })), [
    'spec.externalName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
  ]);
  assert.deepEqual(errors(svc({ type: 'ExternalName', externalName: 'a.b', clusterIP: '10.43.0.5' })), ['spec.clusterIPs: Forbidden: may not be set for ExternalName services']);
  assert.deepEqual(errors(svc({ ports: [{ port: 80, nodePort: 30001 }] })), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  assert.deepEqual(errors(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] })), ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services']);
  assert.deepEqual(errors(svc({ ports: [{ port: 70000 }] })), [
    'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(errors(svc({ ports: [{ port: 80, protocol: 'ICMP' as 'TCP' }] })), ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']);
  assert.deepEqual(errors(svc({ type: 'Weird' as 'ClusterIP', ports: [{ port: 80 }] })), ['spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']);
  assert.deepEqual(errors(svc({ ports: [{ port: 80 }], externalTrafficPolicy: 'Local' })), ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']);
  assert.deepEqual(errors(svc({ ports: [{ port: 80 }] }, 'Web')).length, 1);
  const s = svc({ ports: [{ port: 80 }, { port: 81 }] });
  assert.equal(invalidMessage('Service', 'web', validateObject('services', s)), 'Service "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]');
});

test('update: clusterIPs may not change once set, may not be unset', () => {
  const old = svc({ ports: [{ port: 80 }], clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'] });
  old.metadata!.resourceVersion = '1';
  const changed = structuredClone(old);
  changed.spec!.clusterIP = '10.43.0.6';
  changed.spec!.clusterIPs = ['10.43.0.6'];
  assert.deepEqual(validateObjectUpdate('services', changed, old).map((e) => `${e.field}: ${e.message}`), ['spec.clusterIPs[0]: Invalid value: []string{"10.43.0.6"}: may not change once set']);
  const unset = structuredClone(old);
  delete unset.spec!.clusterIP;
  delete unset.spec!.clusterIPs;
  assert.deepEqual(validateObjectUpdate('services', unset, old).map((e) => e.message), ['Invalid value: []string(nil): primary clusterIP can not be unset']);
  const toExternal = structuredClone(old);
  toExternal.spec = { type: 'ExternalName', externalName: 'a.example', sessionAffinity: 'None' };
  assert.deepEqual(validateObjectUpdate('services', toExternal, old), []);
});

test('Endpoints and EndpointSlices', () => {
  const ep: Endpoints = applyDefaults('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.42.0.5' }], ports: [{ port: 80 }] }] });
  assert.equal(ep.subsets![0]!.ports![0]!.protocol, 'TCP');
  assert.deepEqual(validateObject('endpoints', ep), []);
  const bad = { metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: 'x' }], ports: [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP' }] }] };
  assert.deepEqual(validateObject('endpoints', bad).map((e) => e.field), ['subsets[0].addresses[0].ip', 'subsets[0].ports[0].name', 'subsets[0].ports[1].name']);
  const slice = applyDefaults('endpointslices.discovery.k8s.io', {
    metadata: { name: 'web-abc', namespace: 'default' }, addressType: 'IPv4',
    endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true } }], ports: [{ port: 80 }],
  });
  assert.deepEqual(slice.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  assert.deepEqual(validateObject('endpointslices.discovery.k8s.io', slice), []);
  const badSlice = { ...slice, addressType: 'IPv4', endpoints: [{ addresses: ['fe80::1'] }, { addresses: [] }] };
  assert.deepEqual(validateObject('endpointslices.discovery.k8s.io', badSlice).map((e) => `${e.field}: ${e.message}`), [
    'endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address',
    'endpoints[1].addresses: Required value: must contain at least 1 address',
  ]);
  const moved = { ...structuredClone(slice), addressType: 'IPv6', endpoints: [] };
  (slice.metadata as { resourceVersion?: string }).resourceVersion = '1';
  assert.ok(validateObjectUpdate('endpointslices.discovery.k8s.io', moved, slice).some((e) => e.message === 'Invalid value: "IPv6": field is immutable'));
});
