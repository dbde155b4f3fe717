import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFdb, parseNeighbours, parseRoutes, planRoutes, type ActualState } from './plan.ts';
import type { Peer } from './peers.ts';

const empty: ActualState = { routes: [], neighbours: [], fdb: [] };
const b: Peer = { name: 'b', ip: '192.168.7.2', podCidr: '10.9.1.0/24', vtepMac: '02:00:00:00:00:0b' };
const c: Peer = { name: 'c', ip: '192.168.7.3', podCidr: '10.9.2.0/24', vtepMac: '02:00:00:00:00:0c' };
const line = (cmds: { tool: string; args: string[] }[]) => cmds.map((x) => `${x.tool} ${x.args.join(' ')}`);

const cases: { name: string; backend: 'host-gw' | 'vxlan'; peers: Peer[]; actual: ActualState; want: string[] }[] = [
  {
    name: 'host-gw: a route per peer via its node IP',
    backend: 'host-gw', peers: [b, c], actual: empty,
    want: ['ip route replace 10.9.1.0/24 via 192.168.7.2 proto 75', 'ip route replace 10.9.2.0/24 via 192.168.7.3 proto 75'],
  },
  {
    name: 'host-gw: in sync, nothing to do',
    backend: 'host-gw', peers: [b], actual: { ...empty, routes: [{ dst: '10.9.1.0/24', gateway: '192.168.7.2', dev: 'eth0' }] },
    want: [],
  },
  {
    name: 'host-gw: a node that left loses its route; a moved node is routed anew',
    backend: 'host-gw', peers: [{ ...b, ip: '192.168.7.9' }],
    actual: { ...empty, routes: [{ dst: '10.9.1.0/24', gateway: '192.168.7.2', dev: 'eth0' }, { dst: '10.9.2.0/24', gateway: '192.168.7.3', dev: 'eth0' }] },
    want: ['ip route del 10.9.2.0/24 proto 75', 'ip route replace 10.9.1.0/24 via 192.168.7.9 proto 75'],
  },
  {
    name: 'host-gw: a route left by the vxlan backend is replaced',
    backend: 'host-gw', peers: [b], actual: { ...empty, routes: [{ dst: '10.9.1.0/24', gateway: '10.9.1.0', dev: 'kubeling.vxlan' }] },
    want: ['ip route replace 10.9.1.0/24 via 192.168.7.2 proto 75'],
  },
  {
    name: 'vxlan: fdb, neighbour, then the route, per peer',
    backend: 'vxlan', peers: [b], actual: empty,
    want: [
      'bridge fdb replace 02:00:00:00:00:0b dev kubeling.vxlan dst 192.168.7.2 self permanent',
      'ip neigh replace 10.9.1.0 lladdr 02:00:00:00:00:0b dev kubeling.vxlan nud permanent',
      'ip route replace 10.9.1.0/24 via 10.9.1.0 dev kubeling.vxlan onlink proto 75',
    ],
  },
  {
    name: 'vxlan: in sync, nothing to do',
    backend: 'vxlan', peers: [b],
    actual: {
      routes: [{ dst: '10.9.1.0/24', gateway: '10.9.1.0', dev: 'kubeling.vxlan' }],
      neighbours: [{ dst: '10.9.1.0', lladdr: '02:00:00:00:00:0b' }],
      fdb: [{ mac: '02:00:00:00:00:0b', dst: '192.168.7.2' }],
    },
    want: [],
  },
  {
    name: 'vxlan: a removed node loses route, neighbour and fdb entry (removals first)',
    backend: 'vxlan', peers: [c],
    actual: {
      routes: [{ dst: '10.9.1.0/24', gateway: '10.9.1.0', dev: 'kubeling.vxlan' }],
      neighbours: [{ dst: '10.9.1.0', lladdr: '02:00:00:00:00:0b' }],
      fdb: [{ mac: '02:00:00:00:00:0b', dst: '192.168.7.2' }],
    },
    want: [
      'ip route del 10.9.1.0/24 proto 75',
      'ip neigh del 10.9.1.0 dev kubeling.vxlan',
      'bridge fdb del 02:00:00:00:00:0b dev kubeling.vxlan dst 192.168.7.2 self',
      'bridge fdb replace 02:00:00:00:00:0c dev kubeling.vxlan dst 192.168.7.3 self permanent',
      'ip neigh replace 10.9.2.0 lladdr 02:00:00:00:00:0c dev kubeling.vxlan nud permanent',
      'ip route replace 10.9.2.0/24 via 10.9.2.0 dev kubeling.vxlan onlink proto 75',
    ],
  },
  {
    name: 'vxlan: a peer whose VTEP MAC changed (device made again) gets new entries',
    backend: 'vxlan', peers: [{ ...b, vtepMac: '02:00:00:00:00:bb' }],
    actual: {
      routes: [{ dst: '10.9.1.0/24', gateway: '10.9.1.0', dev: 'kubeling.vxlan' }],
      neighbours: [{ dst: '10.9.1.0', lladdr: '02:00:00:00:00:0b' }],
      fdb: [{ mac: '02:00:00:00:00:0b', dst: '192.168.7.2' }],
    },
    want: [
      'bridge fdb del 02:00:00:00:00:0b dev kubeling.vxlan dst 192.168.7.2 self',
      'bridge fdb replace 02:00:00:00:00:bb dev kubeling.vxlan dst 192.168.7.2 self permanent',
      'ip neigh replace 10.9.1.0 lladdr 02:00:00:00:00:bb dev kubeling.vxlan nud permanent',
    ],
  },
];

for (const tc of cases) {
  test(`planRoutes: ${tc.name}`, () => {
    assert.deepEqual(line(planRoutes(tc.backend, tc.peers, tc.actual)), tc.want);
  });
}

test('parsers read iproute2 JSON (and empty output)', () => {
  assert.deepEqual(parseRoutes('[{"dst":"10.9.1.0/24","gateway":"10.9.1.0","dev":"kubeling.vxlan","flags":["onlink"]}]'), [
    { dst: '10.9.1.0/24', gateway: '10.9.1.0', dev: 'kubeling.vxlan' },
  ]);
  assert.deepEqual(parseRoutes(''), []);
  assert.deepEqual(parseNeighbours('[{"dst":"10.9.1.0","lladdr":"02:11:22:33:44:55","state":["PERMANENT"]},{"dst":"fe80::1","lladdr":"02:11:22:33:44:55"}]'), [
    { dst: '10.9.1.0', lladdr: '02:11:22:33:44:55' },
  ]);
  assert.deepEqual(parseFdb('[{"mac":"02:11:22:33:44:55","dst":"192.168.250.3","flags":["self"],"state":"permanent"},{"mac":"9a:18:00:fe:4e:39","flags":["self"],"state":"permanent"}]'), [
    { mac: '02:11:22:33:44:55', dst: '192.168.250.3' },
  ]);
});
