import { test } from 'node:test';
import type { INode } from 'kubernetes-models/v1/Node';
import assert from 'node:assert/strict';
import { allocatePodCidr, bridgeForPodCidr, serverNodePodCidr, signDetached, subnetPrefix, validateClusterCidr, verifyDetached } from './join.ts';
import { servingHosts, serverNode } from './server.ts';
import { parseServerFlags } from './flags.ts';
import { planPodCidrs } from './components/node-ipam.ts';

test('detached JWS: verifies with the token, fails on a changed payload, token or signature', () => {
  const jws = signDetached('kubeconfig text', 'secret-token');
  assert.match(jws, /^[\w-]+\.\.[\w-]+$/);
  assert.equal(JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()).alg, 'HS256');
  assert.equal(verifyDetached('kubeconfig text', jws, 'secret-token'), true);
  assert.equal(verifyDetached('kubeconfig text!', jws, 'secret-token'), false);
  assert.equal(verifyDetached('kubeconfig text', jws, 'other-token'), false);
  assert.equal(verifyDetached('kubeconfig text', jws.slice(0, -2) + 'AA', 'secret-token'), false);
  assert.equal(verifyDetached('kubeconfig text', 'garbage', 'secret-token'), false);
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}..`;
  assert.equal(verifyDetached('kubeconfig text', none, 'secret-token'), false);
});

test('allocatePodCidr: lowest free /24 of the cluster CIDR', () => {
  assert.equal(allocatePodCidr([]), '10.42.0.0/24');
  assert.equal(allocatePodCidr(['10.42.0.0/24']), '10.42.1.0/24');
  assert.equal(allocatePodCidr(['10.42.0.0/24', '10.42.2.0/24']), '10.42.1.0/24');
  assert.equal(allocatePodCidr(['bogus', '10.42.0.0/24']), '10.42.1.0/24');
  const all = Array.from({ length: 256 }, (_, i) => `10.42.${i}.0/24`);
  assert.equal(allocatePodCidr(all), undefined);
  assert.equal(allocatePodCidr([], '10.1.0.0/23'), '10.1.0.0/24');
  assert.equal(allocatePodCidr(['10.1.0.0/24'], '10.1.0.0/23'), '10.1.1.0/24');
  assert.equal(allocatePodCidr(['10.1.0.0/24', '10.1.1.0/24'], '10.1.0.0/23'), undefined);
  assert.throws(() => allocatePodCidr([], '10.1.0.0/25'), /cannot cut/);
});

test('bridge and fake subnet per node CIDR', () => {
  assert.equal(bridgeForPodCidr('10.42.0.0/24'), 'kubeling0');
  assert.equal(bridgeForPodCidr('10.42.17.0/24'), 'kubeling17');
  assert.equal(subnetPrefix('10.42.17.0/24'), '10.42.17');
  // Other ranges get names of their own, within IFNAMSIZ (15 characters).
  assert.equal(bridgeForPodCidr('10.43.5.0/24'), 'kubeling43-5');
  assert.equal(bridgeForPodCidr('10.199.255.0/24'), 'kubeling199-255');
  assert.equal(bridgeForPodCidr('172.16.5.0/24'), 'kl172-16-5');
  const names = new Set<string>();
  for (const a of [10, 172, 192]) {
    for (const b of [0, 1, 42, 43, 99, 100, 255]) {
      for (const c of [0, 1, 5, 42, 255]) {
        const n = bridgeForPodCidr(`${a}.${b}.${c}.0/24`);
        assert.ok(n.length <= 15 && /^[a-z0-9-]+$/.test(n), n);
        assert.ok(!names.has(n), `duplicate ${n}`);
        names.add(n);
      }
    }
  }
});

test('cluster CIDR: validated; the server node takes its first /24 and that /24s bridge', () => {
  assert.equal(validateClusterCidr('10.100.0.0/16'), '10.100.0.0/16');
  assert.throws(() => validateClusterCidr('10.100.0.0/25'), /prefix must be \/8 to \/24/);
  assert.throws(() => validateClusterCidr('10.100.1.0/16'), /host bits set/);
  assert.throws(() => validateClusterCidr('nope'), /want an IPv4 CIDR/);
  assert.equal(serverNodePodCidr(), '10.42.0.0/24');
  assert.equal(serverNodePodCidr('10.77.0.0/16'), '10.77.0.0/24');
  assert.deepEqual(serverNode(parseServerFlags(['--node-name', 'n', '--cluster-cidr', '10.77.0.0/16', '--pod-manifest-path', '/p'])), {
    name: 'n', role: 'server', podCidr: '10.77.0.0/24', bridge: 'kubeling77-0', runtime: 'oci', labels: {}, taints: [], podManifestPath: '/p',
    protectKernelDefaults: false, clusterDns: '10.43.0.10', clusterDomain: 'cluster.local', serviceCidr: '10.43.0.0/16', podMtu: 1450,
  });
  assert.equal(serverNode(parseServerFlags(['--node-name', 'n']))!.bridge, 'kubeling0');
  const hostGw = serverNode(parseServerFlags(['--node-name', 'n', '--pod-network', 'host-gw', '--node-ip', '192.0.2.7']))!;
  assert.deepEqual([hostGw.podMtu, hostGw.nodeIp], [undefined, '192.0.2.7'], 'host-gw pods keep the link MTU; --node-ip reaches the node');
  assert.equal(serverNode(parseServerFlags(['--no-agent'])), undefined);
});

test('servingHosts: listen host and --tls-san; on 0.0.0.0 also the non-loopback addresses', () => {
  const nics = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [{ address: '192.0.2.10', family: 'IPv4', internal: false }, { address: 'fe80::1', family: 'IPv6', internal: false }],
    eth1: [{ address: '2001:db8::10', family: 'IPv6', internal: false }],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
  assert.deepEqual(servingHosts({ listenHost: '127.0.0.1', tlsSans: ['k.example'] }, nics), ['127.0.0.1', 'k.example']);
  assert.deepEqual(servingHosts({ listenHost: '0.0.0.0', tlsSans: ['k.example'] }, nics), ['0.0.0.0', 'k.example', '192.0.2.10', '2001:db8::10']);
});

const node = (name: string, podCIDR?: string): INode & { metadata: { name: string } } => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
});

test('planPodCidrs: the server node keeps 10.42.0.0/24, others get the next free ones in name order', () => {
  assert.deepEqual(
    [...planPodCidrs([node('b'), node('a')], 'server')],
    [
      ['a', '10.42.1.0/24'],
      ['b', '10.42.2.0/24'],
    ],
  );
  assert.deepEqual(
    [...planPodCidrs([node('server'), node('a')], 'server')],
    [
      ['server', '10.42.0.0/24'],
      ['a', '10.42.1.0/24'],
    ],
  );
  assert.deepEqual(
    [...planPodCidrs([node('server', '10.42.0.0/24'), node('a', '10.42.1.0/24'), node('b')], 'server')],
    [['b', '10.42.2.0/24']],
  );
  // Without a local node (--no-agent) the first /24 goes to the first agent.
  assert.deepEqual([...planPodCidrs([node('a')], undefined)], [['a', '10.42.0.0/24']]);
  assert.deepEqual([...planPodCidrs([node('a', '10.42.0.0/24')], 'server')], []);
  // Another cluster CIDR: the server node takes its first /24, agents the next.
  assert.deepEqual(
    [...planPodCidrs([node('server'), node('a')], 'server', '10.150.0.0/16')],
    [['server', '10.150.0.0/24'], ['a', '10.150.1.0/24']],
  );
});
