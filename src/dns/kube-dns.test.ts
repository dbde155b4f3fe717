/** The kube-dns objects: the default --cluster-dns, the node slice and its drift check; resolv.conf parsing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSlice, Service } from '../api/types.ts';
import { parseResolvConf } from './forward.ts';
import { defaultClusterDns, kubeDnsService, nodeDnsSlice, sliceUpToDate } from './kube-dns.ts';

test('the default --cluster-dns is the .10 of the service CIDR', () => {
  assert.equal(defaultClusterDns('10.43.0.0/16'), '10.43.0.10');
  assert.equal(defaultClusterDns('10.96.0.0/12'), '10.96.0.10');
  assert.equal(defaultClusterDns('192.168.7.0/24'), '192.168.7.10');
  assert.throws(() => defaultClusterDns('fd00::/108'), /invalid service CIDR/);
});

test('kube-dns: the cluster DNS IP, no selector, Local traffic policy, upstream kube-dns ports', () => {
  const svc = kubeDnsService('10.43.0.10');
  assert.equal(svc.metadata?.namespace, 'kube-system');
  assert.equal(svc.spec?.selector, undefined);
  assert.deepEqual([svc.spec?.clusterIP, svc.spec?.clusterIPs, svc.spec?.internalTrafficPolicy], ['10.43.0.10', ['10.43.0.10'], 'Local']);
  assert.deepEqual(svc.spec?.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}`), ['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP']);
  assert.equal(svc.metadata?.labels?.['k8s-app'], 'kube-dns');
});

test("a node's slice: its address and name, owned by the Service when known; drift ignores server defaults", () => {
  const svc: Service = { ...kubeDnsService('10.43.0.10'), metadata: { ...kubeDnsService('10.43.0.10').metadata, uid: 'u1' } };
  const want = nodeDnsSlice('n1', '10.42.3.1', svc);
  assert.equal(want.metadata?.name, 'kube-dns-n1');
  assert.equal(want.metadata?.labels?.['kubernetes.io/service-name'], 'kube-dns');
  assert.equal(want.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'node-dns.kubeling.io');
  assert.deepEqual(want.metadata?.ownerReferences?.map((o) => o.uid), ['u1']);
  assert.deepEqual(want.endpoints, [{ addresses: ['10.42.3.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1' }]);
  assert.equal(nodeDnsSlice('n1', '10.42.3.1').metadata?.ownerReferences, undefined);

  const stored = structuredClone(want) as EndpointSlice;
  stored.metadata = { ...stored.metadata, resourceVersion: '5', uid: 'x', labels: { ...stored.metadata?.labels, extra: 'kept' } };
  stored.endpoints![0]!.zone = 'a';
  stored.ports![0]!.appProtocol = 'dns';
  assert.equal(sliceUpToDate(stored, want), true);
  assert.equal(sliceUpToDate(stored, nodeDnsSlice('n1', '10.42.9.1', svc)), false, 'another address');
  assert.equal(sliceUpToDate(stored, nodeDnsSlice('n1', '10.42.3.1')), false, 'the owner went');
  const notReady = structuredClone(stored);
  notReady.endpoints![0]!.conditions = { ready: false };
  assert.equal(sliceUpToDate(notReady, want), false);
});

test('resolv.conf: nameservers in order, zones dropped, glibc default when none', () => {
  assert.deepEqual(parseResolvConf('# c\nsearch example.org\nnameserver 10.0.0.2\noptions ndots:2\nnameserver fe80::1%eth0\n nameserver 1.1.1.1\n'), [
    { host: '10.0.0.2', port: 53 }, { host: 'fe80::1', port: 53 }, { host: '1.1.1.1', port: 53 },
  ]);
  assert.deepEqual(parseResolvConf('search x\n'), [{ host: '127.0.0.1', port: 53 }]);
});
