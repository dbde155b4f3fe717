import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { INode } from 'kubernetes-models/v1/Node';
import { networkAddress, nodeAnnotations, peersOf } from './peers.ts';
import { chooseNodeIp } from './node-ip.ts';

function node(name: string, podCIDR: string | undefined, annotations: Record<string, string>, internalIp?: string): INode {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, annotations },
    spec: podCIDR ? { podCIDR } : {},
    ...(internalIp ? { status: { addresses: [{ type: 'InternalIP', address: internalIp }] } } : {}),
  };
}

test('peersOf: other nodes with a podCIDR, an address and the same backend', () => {
  const nodes = [
    node('a', '10.9.0.0/24', nodeAnnotations('vxlan', '192.168.7.1', '02:00:00:00:00:0a')),
    node('c', '10.9.2.0/24', nodeAnnotations('vxlan', '192.168.7.3', '02:00:00:00:00:0C')),
    node('b', '10.9.1.0/24', nodeAnnotations('vxlan', '192.168.7.2', '02:00:00:00:00:0b')),
    node('pending', undefined, nodeAnnotations('vxlan', '192.168.7.4', '02:00:00:00:00:0d')),
    node('fresh', '10.9.5.0/24', {}, '192.168.7.5'),
    node('other', '10.9.6.0/24', nodeAnnotations('host-gw', '192.168.7.6')),
    node('nomac', '10.9.7.0/24', nodeAnnotations('vxlan', '192.168.7.7')),
  ];
  const { peers, skipped, remote } = peersOf(nodes, 'a', '192.168.7.1', 'vxlan');
  assert.equal(remote, true);
  assert.deepEqual(peers, [
    { name: 'b', ip: '192.168.7.2', podCidr: '10.9.1.0/24', vtepMac: '02:00:00:00:00:0b' },
    { name: 'c', ip: '192.168.7.3', podCidr: '10.9.2.0/24', vtepMac: '02:00:00:00:00:0c' },
  ]);
  assert.deepEqual(skipped.map((s) => s.name), ['fresh', 'other', 'nomac']);
  assert.match(skipped[1]!.reason, /host-gw/);
});

test('peersOf: host-gw peers need no MAC; the public-ip annotation wins over the InternalIP', () => {
  const nodes = [node('b', '10.9.1.0/24', nodeAnnotations('host-gw', '192.168.7.2'), '172.16.0.2')];
  assert.deepEqual(peersOf(nodes, 'a', '192.168.7.1', 'host-gw').peers, [{ name: 'b', ip: '192.168.7.2', podCidr: '10.9.1.0/24' }]);
});

test('peersOf: nodes at this node\'s own address share its host: no route, no device needed', () => {
  const nodes = [
    node('a', '10.9.0.0/24', nodeAnnotations('vxlan', '192.168.7.1', '02:00:00:00:00:0a')),
    node('b', '10.9.1.0/24', nodeAnnotations('vxlan', '192.168.7.1')),
  ];
  assert.deepEqual(peersOf(nodes, 'a', '192.168.7.1', 'vxlan'), { peers: [], skipped: [], remote: false });
  const withoutMac = peersOf(nodes, 'a', '192.168.7.9', 'vxlan');
  assert.deepEqual([withoutMac.peers, withoutMac.remote], [[], true], 'a remote vxlan node without a MAC yet still asks for the device');
});

test('nodeAnnotations: flannel-shaped backend data for vxlan only', () => {
  assert.deepEqual(nodeAnnotations('vxlan', '192.168.7.1', '02:00:00:00:00:0a'), {
    'kubeling.io/public-ip': '192.168.7.1',
    'kubeling.io/backend-type': 'vxlan',
    'kubeling.io/backend-data': '{"VNI":1,"VtepMAC":"02:00:00:00:00:0a"}',
  });
  assert.deepEqual(Object.keys(nodeAnnotations('host-gw', '192.168.7.1')), ['kubeling.io/public-ip', 'kubeling.io/backend-type']);
});

test('networkAddress', () => {
  assert.equal(networkAddress('10.9.1.0/24'), '10.9.1.0');
  assert.equal(networkAddress('10.9.1.77/24'), '10.9.1.0');
  assert.equal(networkAddress('172.16.200.9/12'), '172.16.0.0');
});

const addrs = JSON.stringify([
  { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', scope: 'host' }] },
  { ifname: 'kubeling9-0', addr_info: [{ family: 'inet', local: '10.9.0.1', scope: 'global' }] },
  { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.168.7.1', scope: 'global' }] },
  { ifname: 'eth1', addr_info: [{ family: 'inet', local: '172.16.0.1', scope: 'global' }] },
]);

test('chooseNodeIp: the default route\'s interface, else the first global address not ours', () => {
  assert.equal(chooseNodeIp('[{"dst":"default","gateway":"172.16.0.254","dev":"eth1"}]', addrs), '172.16.0.1');
  assert.equal(chooseNodeIp('[]', addrs), '192.168.7.1');
  assert.equal(chooseNodeIp('', '[]'), undefined);
});

test('net-conf.json round trip, and what agents refuse', async () => {
  const { netConfData, parseNetConf } = await import('./net-conf.ts');
  const data = netConfData({ clusterCidr: '10.9.0.0/16', backend: 'host-gw' });
  assert.deepEqual(data, { 'net-conf.json': '{"Network":"10.9.0.0/16","Backend":{"Type":"host-gw"}}' });
  assert.deepEqual(parseNetConf(data), { clusterCidr: '10.9.0.0/16', backend: 'host-gw' });
  assert.throws(() => parseNetConf({}), /has no net-conf.json/);
  assert.throws(() => parseNetConf({ 'net-conf.json': '{"Network":"10.9.0.0/16","Backend":{"Type":"udp"}}' }), /unknown Backend.Type "udp"/);
});
