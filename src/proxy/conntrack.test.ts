import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servicePorts } from './service-ports.ts';
import { staleUdpFlows } from './conntrack.ts';
import { makeService, makeSlice } from './testing/builders.ts';

const dns = makeService('dns', { type: 'NodePort', clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }], externalIPs: ['192.0.2.7'] });
const web = makeService('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] });
const ports = (eps: string[], webEps: string[] = []) => servicePorts([dns, web], [
  makeSlice('dns', eps.map((ip) => ({ ip })), [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
  makeSlice('web', webEps.map((ip) => ({ ip })), [{ port: 8080 }]),
], 'n1');

test('staleUdpFlows: flows to a removed UDP endpoint, by every service address and the node port', () => {
  assert.deepEqual(staleUdpFlows(ports(['10.42.0.3', '10.42.0.4']), ports(['10.42.0.4'])), [
    ['-D', '-p', 'udp', '--orig-dst', '10.43.0.10', '--orig-port-dst', '53', '--dst-nat', '10.42.0.3'],
    ['-D', '-p', 'udp', '--orig-dst', '192.0.2.7', '--orig-port-dst', '53', '--dst-nat', '10.42.0.3'],
    ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.42.0.3'],
  ]);
});

test('staleUdpFlows: a UDP Service that gets its first endpoint loses the flows made while it had none', () => {
  assert.deepEqual(staleUdpFlows(ports([]), ports(['10.42.0.3'])), [
    ['-D', '-p', 'udp', '--orig-dst', '10.43.0.10', '--orig-port-dst', '53'],
    ['-D', '-p', 'udp', '--orig-dst', '192.0.2.7', '--orig-port-dst', '53'],
    ['-D', '-p', 'udp', '--orig-port-dst', '30053'],
  ]);
});

test('staleUdpFlows: nothing for TCP changes, unchanged UDP endpoints, or an endpoint that only became ready', () => {
  assert.deepEqual(staleUdpFlows(ports(['10.42.0.3'], ['10.42.0.8']), ports(['10.42.0.3'], ['10.42.0.9'])), []);
  assert.deepEqual(staleUdpFlows(ports(['10.42.0.3']), ports(['10.42.0.3', '10.42.0.4'])), []);
});
