/**
 * Cluster DNS in `kubeling server --runtime oci`, driven with the real kubectl: the server makes the
 * `kube-system/kube-dns` Service, its node publishes `kube-dns-<node>` (its bridge's gateway), and a pod on
 * real containers resolves Services (ClusterIP, headless from an EndpointSlice, ExternalName) by asking the
 * gateway directly. (Reaching it through the kube-dns ClusterIP needs the service proxy, and the pod's
 * resolv.conf the kubelet's part: both come with their branches.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressIn, startServer, type ServerHandle } from './helpers/server.ts';
import { apply, nodeName, ociServerForFile, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';
import { idlePodYaml } from './helpers/services.ts';

const why = missingRealContainers();
let server: ServerHandle;
let node: string;
let gateway: string;

ociServerForFile(why, async (started) => {
  server = started;
  node = await nodeName(server);
  gateway = server.podCidr.replace(/0\/24$/, '1');
});

const skip = { skip: why };

/** nslookup's answer line for `ip`. */
const address = (ip: string) => new RegExp(`Address:\\s+${ip.replace(/\./g, '\\.')}`);

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

test('the kube-dns Service and the node DNS EndpointSlice', skip, async () => {
  const svc = await eventually('kube-dns service', async () => {
    const r = await server.kubectl(['get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  });
  assert.equal(svc.spec.clusterIP, server.clusterDns);
  assert.equal(svc.spec.internalTrafficPolicy, 'Local');
  assert.equal(svc.spec.selector, undefined);
  assert.equal(svc.metadata.labels['k8s-app'], 'kube-dns');
  assert.deepEqual(svc.spec.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name} ${p.port}/${p.protocol}`), [
    'dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP',
  ]);
  const slice = await eventually('node DNS slice', async () => {
    const r = await server.kubectl(['get', 'endpointslices', '-n', 'kube-system', `kube-dns-${node}`, '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  });
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
  assert.equal(slice.metadata.ownerReferences[0].uid, svc.metadata.uid);
  assert.deepEqual(slice.endpoints.map((e: { addresses: string[]; nodeName: string }) => [e.addresses, e.nodeName]), [[[gateway], node]]);
});

test('a pod resolves Services at its node gateway: ClusterIP, headless, ExternalName, NXDOMAIN', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: ${addressIn(server.serviceCidr, 99)}
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-manual
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
endpoints:
- addresses: [10.42.250.7]
  hostname: db-0
  conditions: {ready: true}
ports: [{name: pg, port: 5432, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec:
  type: ExternalName
  externalName: web.default.svc.cluster.local
---
${idlePodYaml('dnsclient')}`,
  );
  await waitForPod(server, 'dnsclient', running, 'dnsclient Running');
  const lookup = async (name: string) => {
    const r = await server.kubectl(['exec', 'dnsclient', '--', 'nslookup', '-type=a', name, gateway]);
    return r.stdout + r.stderr;
  };
  const web = await eventually('web resolved', async () => {
    const out = await lookup('web.default.svc.cluster.local');
    return address(addressIn(server.serviceCidr, 99)).test(out) ? out : undefined;
  });
  assert.match(web, /Name:\s+web\.default\.svc\.cluster\.local/);
  assert.match(await lookup('db.default.svc.cluster.local'), /Address:\s+10\.42\.250\.7/);
  assert.match(await lookup('db-0.db.default.svc.cluster.local'), /Address:\s+10\.42\.250\.7/);
  const alias = await lookup('alias.default.svc.cluster.local');
  assert.match(alias, /canonical name = web\.default\.svc\.cluster\.local/);
  assert.match(alias, address(addressIn(server.serviceCidr, 99)));
  assert.match(await lookup('nope.default.svc.cluster.local'), /NXDOMAIN/);
  assert.match(await lookup('kube-dns.kube-system.svc.cluster.local'), address(server.clusterDns));
});

test('a server stopped with no pod left removes its node DNS slice', skip, async () => {
  const own = await startServer({ runtime: 'oci', storage: 'memory', env: { KUBELING_LOG: 'info' } });
  let stopped = false;
  try {
    const name = await nodeName(own);
    await eventually('node DNS slice', async () => {
      const r = await own.kubectl(['get', 'endpointslices', '-n', 'kube-system', `kube-dns-${name}`]);
      return r.code === 0 ? true : undefined;
    });
    assert.equal(await own.stop(), 0);
    stopped = true;
    assert.match(own.stderr(), /removed the node DNS endpoint \(no pod left on the node\)/);
  } finally {
    if (!stopped) await own.stop();
  }
});
