import { test } from 'node:test';
import type { INode } from 'kubernetes-models/v1/Node';
import assert from 'node:assert/strict';
import { allocatePodCidr, bridgeForPodCidr, signDetached, subnetPrefix, verifyDetached } from './join.ts';
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
});
