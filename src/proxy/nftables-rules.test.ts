import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Service } from '../api/index.ts';
import { servicePorts } from './service-ports.ts';
import { cidrsOverlap, generateRules, partialTransaction, shortHash, tableName, transaction, type RuleConfig } from './nftables-rules.ts';
import { makeService, makeSlice } from './testing/builders.ts';

const config: RuleConfig = { table: 'kubeling-test', clusterCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16', nodeName: 'n1' };
const two = [{ ip: '10.42.0.3', node: 'n1' }, { ip: '10.42.1.2', node: 'n2' }];

function rules(services: Service[], slices: EndpointSlice[]) {
  return generateRules(servicePorts(services, slices, 'n1'), config);
}

/** The lines about Services (their chains, sets and map elements), without the table prefix. */
function own(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /(service|endpoint|local|external)-[A-Z2-7]{8}-|affinity-|add element/.test(l))
    .map((l) => l.replace('ip kubeling-test ', ''));
}

test('generateRules: a ClusterIP Service with two ready endpoints, the whole transaction', () => {
  const r = rules(
    [makeService('web', { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] })],
    [makeSlice('web', two, [{ name: 'http', port: 8080 }])],
  );
  assert.equal(r.text, [
    'add table ip kubeling-test { comment "kubeling service proxy for node n1" ; }',
    'flush table ip kubeling-test',
    'add map ip kubeling-test service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }',
    'flush map ip kubeling-test service-ips',
    'add map ip kubeling-test service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }',
    'flush map ip kubeling-test service-nodeports',
    'add map ip kubeling-test no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }',
    'flush map ip kubeling-test no-endpoint-services',
    'add map ip kubeling-test no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }',
    'flush map ip kubeling-test no-endpoint-nodeports',
    'add set ip kubeling-test cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }',
    'flush set ip kubeling-test cluster-ips',
    'add chain ip kubeling-test nat-prerouting { type nat hook prerouting priority -100 ; }',
    'add chain ip kubeling-test nat-output { type nat hook output priority -100 ; }',
    'add chain ip kubeling-test nat-postrouting { type nat hook postrouting priority 100 ; }',
    'add chain ip kubeling-test filter-input { type filter hook input priority -110 ; }',
    'add chain ip kubeling-test filter-forward { type filter hook forward priority -110 ; }',
    'add chain ip kubeling-test filter-output { type filter hook output priority -110 ; }',
    'add chain ip kubeling-test filter-output-post-dnat { type filter hook output priority -90 ; }',
    'add chain ip kubeling-test mark-for-masquerade',
    'add chain ip kubeling-test masquerading',
    'add chain ip kubeling-test services',
    'add chain ip kubeling-test service-endpoints-check',
    'add chain ip kubeling-test nodeport-endpoints-check',
    'add chain ip kubeling-test cluster-ips-check',
    'add chain ip kubeling-test reject-chain',
    'add chain ip kubeling-test endpoint-RYTVFLFH-default/web/tcp/http__10.42.0.3/8080',
    'add chain ip kubeling-test endpoint-PNOO5ZXP-default/web/tcp/http__10.42.1.2/8080',
    'add chain ip kubeling-test service-SUSTUHLJ-default/web/tcp/http',
    'add rule ip kubeling-test nat-prerouting jump services',
    'add rule ip kubeling-test nat-output jump services',
    'add rule ip kubeling-test nat-postrouting jump masquerading',
    'add rule ip kubeling-test filter-input ct state new jump nodeport-endpoints-check',
    'add rule ip kubeling-test filter-input ct state new jump service-endpoints-check',
    'add rule ip kubeling-test filter-forward ct state new jump service-endpoints-check',
    'add rule ip kubeling-test filter-forward ct state new jump cluster-ips-check',
    'add rule ip kubeling-test filter-output ct state new jump service-endpoints-check',
    'add rule ip kubeling-test filter-output-post-dnat ct state new jump cluster-ips-check',
    'add rule ip kubeling-test mark-for-masquerade mark set mark or 0x4000',
    'add rule ip kubeling-test masquerading mark and 0x4000 == 0 return',
    'add rule ip kubeling-test masquerading mark set mark xor 0x4000',
    'add rule ip kubeling-test masquerading masquerade fully-random',
    'add rule ip kubeling-test services ip daddr . meta l4proto . th dport vmap @service-ips',
    'add rule ip kubeling-test services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
    'add rule ip kubeling-test service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
    'add rule ip kubeling-test nodeport-endpoints-check fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports',
    'add rule ip kubeling-test cluster-ips-check ip daddr @cluster-ips reject',
    'add rule ip kubeling-test reject-chain meta l4proto tcp reject with tcp reset',
    'add rule ip kubeling-test reject-chain reject',
    'add rule ip kubeling-test endpoint-RYTVFLFH-default/web/tcp/http__10.42.0.3/8080 ip saddr 10.42.0.3 jump mark-for-masquerade',
    'add rule ip kubeling-test endpoint-RYTVFLFH-default/web/tcp/http__10.42.0.3/8080 meta l4proto tcp dnat to 10.42.0.3:8080',
    'add rule ip kubeling-test endpoint-PNOO5ZXP-default/web/tcp/http__10.42.1.2/8080 ip saddr 10.42.1.2 jump mark-for-masquerade',
    'add rule ip kubeling-test endpoint-PNOO5ZXP-default/web/tcp/http__10.42.1.2/8080 meta l4proto tcp dnat to 10.42.1.2:8080',
    'add rule ip kubeling-test service-SUSTUHLJ-default/web/tcp/http ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
    'add rule ip kubeling-test service-SUSTUHLJ-default/web/tcp/http numgen random mod 2 vmap { 0 : goto endpoint-RYTVFLFH-default/web/tcp/http__10.42.0.3/8080 , 1 : goto endpoint-PNOO5ZXP-default/web/tcp/http__10.42.1.2/8080 }',
    'add element ip kubeling-test cluster-ips { 10.43.0.5 }',
    'add element ip kubeling-test service-ips { 10.43.0.5 . tcp . 80 : goto service-SUSTUHLJ-default/web/tcp/http }',
  ].join('\n') + '\n');
  assert.deepEqual(r.sets, []);
  assert.ok(r.chains.includes('service-SUSTUHLJ-default/web/tcp/http'));
});

const cases: { name: string; input: [Service[], EndpointSlice[]]; want: string[] }[] = [
  {
    name: `session affinity: a set per endpoint with the Service's timeout, checked before the random pick, updated in the endpoint chain`,
    input: [[makeService('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], [makeSlice('web', two, [{ port: 8080 }])]],
    want: [
      'add set affinity-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 { type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }',
      'add set affinity-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 { type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }',
      'add chain endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
      'add chain endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080',
      'add chain service-PFISGYVC-default/web/tcp/',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 ip saddr 10.42.0.3 jump mark-for-masquerade',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 update @affinity-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 { ip saddr }',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 meta l4proto tcp dnat to 10.42.0.3:8080',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 ip saddr 10.42.1.2 jump mark-for-masquerade',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 update @affinity-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 { ip saddr }',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 meta l4proto tcp dnat to 10.42.1.2:8080',
      'add rule service-PFISGYVC-default/web/tcp/ ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule service-PFISGYVC-default/web/tcp/ ip saddr @affinity-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 goto endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
      'add rule service-PFISGYVC-default/web/tcp/ ip saddr @affinity-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 goto endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080',
      'add rule service-PFISGYVC-default/web/tcp/ numgen random mod 2 vmap { 0 : goto endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 , 1 : goto endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 }',
      'add element cluster-ips { 10.43.0.5 }',
      'add element service-ips { 10.43.0.5 . tcp . 80 : goto service-PFISGYVC-default/web/tcp/ }',
    ],
  },
  {
    name: 'NodePort: node ports go to an external chain that masquerades, then to the Service chain',
    input: [[makeService('web', { type: 'NodePort', clusterIP: '10.43.0.5', ports: [{ port: 80, nodePort: 30080 }] })], [makeSlice('web', two, [{ port: 8080 }])]],
    want: [
      'add chain endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
      'add chain endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080',
      'add chain service-PFISGYVC-default/web/tcp/',
      'add chain external-PFISGYVC-default/web/tcp/',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 ip saddr 10.42.0.3 jump mark-for-masquerade',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 meta l4proto tcp dnat to 10.42.0.3:8080',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 ip saddr 10.42.1.2 jump mark-for-masquerade',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 meta l4proto tcp dnat to 10.42.1.2:8080',
      'add rule service-PFISGYVC-default/web/tcp/ ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule service-PFISGYVC-default/web/tcp/ numgen random mod 2 vmap { 0 : goto endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 , 1 : goto endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 }',
      'add rule external-PFISGYVC-default/web/tcp/ jump mark-for-masquerade',
      'add rule external-PFISGYVC-default/web/tcp/ goto service-PFISGYVC-default/web/tcp/',
      'add element cluster-ips { 10.43.0.5 }',
      'add element service-ips { 10.43.0.5 . tcp . 80 : goto service-PFISGYVC-default/web/tcp/ }',
      'add element service-nodeports { tcp . 30080 : goto external-PFISGYVC-default/web/tcp/ }',
    ],
  },
  {
    name: `externalTrafficPolicy Local: node port and LB IP to this node's endpoints without masquerade; from the node itself to any`,
    input: [[makeService('web', { type: 'LoadBalancer', clusterIP: '10.43.0.5', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30080 }] }, ['192.0.2.2'])], [makeSlice('web', two, [{ port: 8080 }])]],
    want: [
      'add chain endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
      'add chain endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080',
      'add chain service-PFISGYVC-default/web/tcp/',
      'add chain local-PFISGYVC-default/web/tcp/',
      'add chain external-PFISGYVC-default/web/tcp/',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 ip saddr 10.42.0.3 jump mark-for-masquerade',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 meta l4proto tcp dnat to 10.42.0.3:8080',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 ip saddr 10.42.1.2 jump mark-for-masquerade',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 meta l4proto tcp dnat to 10.42.1.2:8080',
      'add rule service-PFISGYVC-default/web/tcp/ ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule service-PFISGYVC-default/web/tcp/ numgen random mod 2 vmap { 0 : goto endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 , 1 : goto endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 }',
      'add rule local-PFISGYVC-default/web/tcp/ ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule local-PFISGYVC-default/web/tcp/ goto endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
      'add rule external-PFISGYVC-default/web/tcp/ fib saddr type local jump mark-for-masquerade',
      'add rule external-PFISGYVC-default/web/tcp/ fib saddr type local goto service-PFISGYVC-default/web/tcp/',
      'add rule external-PFISGYVC-default/web/tcp/ goto local-PFISGYVC-default/web/tcp/',
      'add element cluster-ips { 10.43.0.5 }',
      'add element service-ips { 10.43.0.5 . tcp . 80 : goto service-PFISGYVC-default/web/tcp/ , 192.0.2.2 . tcp . 80 : goto external-PFISGYVC-default/web/tcp/ }',
      'add element service-nodeports { tcp . 30080 : goto external-PFISGYVC-default/web/tcp/ }',
    ],
  },
  {
    name: 'externalTrafficPolicy Local with endpoints only elsewhere: the node port drops, the cluster IP still serves',
    input: [[makeService('web', { type: 'NodePort', clusterIP: '10.43.0.5', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30080 }] })], [makeSlice('web', [{ ip: '10.42.1.2', node: 'n2' }], [{ port: 8080 }])]],
    want: [
      'add chain endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080',
      'add chain service-PFISGYVC-default/web/tcp/',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 ip saddr 10.42.1.2 jump mark-for-masquerade',
      'add rule endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080 meta l4proto tcp dnat to 10.42.1.2:8080',
      'add rule service-PFISGYVC-default/web/tcp/ ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule service-PFISGYVC-default/web/tcp/ goto endpoint-P2EKQVFT-default/web/tcp/__10.42.1.2/8080',
      'add element cluster-ips { 10.43.0.5 }',
      'add element service-ips { 10.43.0.5 . tcp . 80 : goto service-PFISGYVC-default/web/tcp/ }',
      'add element no-endpoint-nodeports { tcp . 30080 : drop }',
    ],
  },
  {
    name: `internalTrafficPolicy Local (UDP): the cluster IP goes to this node's endpoints only`,
    input: [[makeService('web', { clusterIP: '10.43.0.5', internalTrafficPolicy: 'Local', ports: [{ port: 53, protocol: 'UDP' }] })], [makeSlice('web', two, [{ port: 5353, protocol: 'UDP' }])]],
    want: [
      'add chain endpoint-IVQWOW4U-default/web/udp/__10.42.0.3/5353',
      'add chain local-HE7KU7SE-default/web/udp/',
      'add rule endpoint-IVQWOW4U-default/web/udp/__10.42.0.3/5353 ip saddr 10.42.0.3 jump mark-for-masquerade',
      'add rule endpoint-IVQWOW4U-default/web/udp/__10.42.0.3/5353 meta l4proto udp dnat to 10.42.0.3:5353',
      'add rule local-HE7KU7SE-default/web/udp/ ip daddr 10.43.0.5 udp dport 53 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule local-HE7KU7SE-default/web/udp/ goto endpoint-IVQWOW4U-default/web/udp/__10.42.0.3/5353',
      'add element cluster-ips { 10.43.0.5 }',
      'add element service-ips { 10.43.0.5 . udp . 53 : goto local-HE7KU7SE-default/web/udp/ }',
    ],
  },
  {
    name: 'internalTrafficPolicy Local with endpoints only elsewhere: dropped, not rejected',
    input: [[makeService('web', { clusterIP: '10.43.0.5', internalTrafficPolicy: 'Local', ports: [{ port: 80 }] })], [makeSlice('web', [{ ip: '10.42.1.2', node: 'n2' }], [{ port: 8080 }])]],
    want: [
      'add element cluster-ips { 10.43.0.5 }',
      'add element no-endpoint-services { 10.43.0.5 . tcp . 80 : drop }',
    ],
  },
  {
    name: 'no endpoints: cluster IP, external IP and node port are rejected',
    input: [[makeService('web', { type: 'NodePort', clusterIP: '10.43.0.5', ports: [{ port: 80, nodePort: 30080 }], externalIPs: ['192.0.2.9'] })], []],
    want: [
      'add element cluster-ips { 10.43.0.5 }',
      'add element no-endpoint-services { 10.43.0.5 . tcp . 80 : goto reject-chain , 192.0.2.9 . tcp . 80 : goto reject-chain }',
      'add element no-endpoint-nodeports { tcp . 30080 : goto reject-chain }',
    ],
  },
  {
    name: 'no ready endpoint: the serving terminating one takes the traffic, the non-serving one none',
    input: [[makeService('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] })], [makeSlice('web', [{ ip: '10.42.0.3', ready: false, serving: true, terminating: true }, { ip: '10.42.0.4', ready: false, serving: false, terminating: true }], [{ port: 8080 }])]],
    want: [
      'add chain endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
      'add chain service-PFISGYVC-default/web/tcp/',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 ip saddr 10.42.0.3 jump mark-for-masquerade',
      'add rule endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080 meta l4proto tcp dnat to 10.42.0.3:8080',
      'add rule service-PFISGYVC-default/web/tcp/ ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule service-PFISGYVC-default/web/tcp/ goto endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
      'add element cluster-ips { 10.43.0.5 }',
      'add element service-ips { 10.43.0.5 . tcp . 80 : goto service-PFISGYVC-default/web/tcp/ }',
    ],
  },];

for (const c of cases) {
  test(`generateRules: ${c.name}`, () => {
    assert.deepEqual(own(rules(...c.input).text), c.want);
  });
}

test('generateRules: the same input gives the same text, whatever the order of objects', () => {
  const a = makeService('a', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] });
  const b = makeService('b', { clusterIP: '10.43.0.6', ports: [{ port: 80 }] });
  const sa = makeSlice('a', [{ ip: '10.42.0.3' }, { ip: '10.42.0.2' }], [{ port: 8080 }]);
  const sb = makeSlice('b', [{ ip: '10.42.0.4' }], [{ port: 8080 }]);
  assert.equal(rules([a, b], [sa, sb]).text, rules([b, a], [sb, sa]).text);
});

test('transaction: deletes chains and affinity sets the table holds but the new rules do not; never the maps', () => {
  const r = rules([makeService('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] })], []);
  const text = transaction(r, {
    chains: new Set(['services', 'service-OLD00000-default/gone/tcp/', 'endpoint-OLD00000-default/gone/tcp/__10.42.0.9/80']),
    sets: new Set(['cluster-ips', 'service-ips', 'affinity-OLD00000-default/gone/tcp/__10.42.0.9/80']),
  });
  assert.equal(text.slice(r.text.length), [
    'delete chain ip kubeling-test endpoint-OLD00000-default/gone/tcp/__10.42.0.9/80',
    'delete chain ip kubeling-test service-OLD00000-default/gone/tcp/',
    'delete set ip kubeling-test affinity-OLD00000-default/gone/tcp/__10.42.0.9/80',
  ].join('\n') + '\n');
  assert.equal(transaction(r, undefined), r.text);
});

test('tableName: one per node, stable, a valid nft identifier', () => {
  assert.equal(tableName('n1'), tableName('n1'));
  assert.notEqual(tableName('n1'), tableName('n2'));
  assert.notEqual(tableName('host', '10.100.0.0/24'), tableName('host', '10.101.0.0/24'));
  assert.match(tableName('node.example.com'), /^kubeling-[a-z2-7]{8}$/);
  assert.match(shortHash('x'), /^[A-Z2-7]{8}$/);
});

test('partialTransaction: an endpoint change rewrites that Service\'s chain and adds the new endpoint\'s; the old one is emptied, then deleted; other Services untouched', () => {
  const svc = makeService('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }], sessionAffinity: 'ClientIP' });
  const other = makeService('api', { clusterIP: '10.43.0.6', ports: [{ port: 80 }] });
  const apiSlice = makeSlice('api', [{ ip: '10.42.0.9' }], [{ port: 8080 }]);
  const before = rules([svc, other], [makeSlice('web', [{ ip: '10.42.0.3' }], [{ port: 8080 }]), apiSlice]);
  const after = rules([svc, other], [makeSlice('web', [{ ip: '10.42.0.4' }], [{ port: 8080 }]), apiSlice]);
  assert.equal(partialTransaction(before, after), [
    'add set ip kubeling-test affinity-KZF5M2J4-default/web/tcp/__10.42.0.4/8080 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }',
    'add chain ip kubeling-test endpoint-KZF5M2J4-default/web/tcp/__10.42.0.4/8080',
    'add rule ip kubeling-test endpoint-KZF5M2J4-default/web/tcp/__10.42.0.4/8080 ip saddr 10.42.0.4 jump mark-for-masquerade',
    'add rule ip kubeling-test endpoint-KZF5M2J4-default/web/tcp/__10.42.0.4/8080 update @affinity-KZF5M2J4-default/web/tcp/__10.42.0.4/8080 { ip saddr }',
    'add rule ip kubeling-test endpoint-KZF5M2J4-default/web/tcp/__10.42.0.4/8080 meta l4proto tcp dnat to 10.42.0.4:8080',
    'flush chain ip kubeling-test service-PFISGYVC-default/web/tcp/',
    'add rule ip kubeling-test service-PFISGYVC-default/web/tcp/ ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
    'add rule ip kubeling-test service-PFISGYVC-default/web/tcp/ ip saddr @affinity-KZF5M2J4-default/web/tcp/__10.42.0.4/8080 goto endpoint-KZF5M2J4-default/web/tcp/__10.42.0.4/8080',
    'add rule ip kubeling-test service-PFISGYVC-default/web/tcp/ goto endpoint-KZF5M2J4-default/web/tcp/__10.42.0.4/8080',
    'flush chain ip kubeling-test endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
    'delete chain ip kubeling-test endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
    'delete set ip kubeling-test affinity-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
  ].join('\n') + '\n');
});

test('partialTransaction: a Service losing its endpoints moves from service-ips to no-endpoint-services; nothing changed is empty', () => {
  const svc = makeService('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] });
  const before = rules([svc], [makeSlice('web', [{ ip: '10.42.0.3' }], [{ port: 8080 }])]);
  const after = rules([svc], []);
  assert.equal(partialTransaction(before, after), [
    'delete element ip kubeling-test service-ips { 10.43.0.5 . tcp . 80 }',
    'add element ip kubeling-test no-endpoint-services { 10.43.0.5 . tcp . 80 : goto reject-chain }',
    'flush chain ip kubeling-test endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
    'flush chain ip kubeling-test service-PFISGYVC-default/web/tcp/',
    'delete chain ip kubeling-test endpoint-RSC2SJJ4-default/web/tcp/__10.42.0.3/8080',
    'delete chain ip kubeling-test service-PFISGYVC-default/web/tcp/',
  ].join('\n') + '\n');
  assert.equal(partialTransaction(after, rules([svc], [])), '');
});

test('cidrsOverlap', () => {
  assert.equal(cidrsOverlap('10.43.0.0/16', '10.43.0.0/16'), true);
  assert.equal(cidrsOverlap('10.43.0.0/16', '10.43.7.0/24'), true);
  assert.equal(cidrsOverlap('10.0.0.0/8', '10.43.7.0/24'), true);
  assert.equal(cidrsOverlap('10.43.0.0/16', '10.42.0.0/16'), false);
  assert.equal(cidrsOverlap('10.43.0.0/16', '10.44.0.0/24'), false);
});
