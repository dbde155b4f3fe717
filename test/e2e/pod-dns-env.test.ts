/**
 * The kubelet's side of Services on real containers (`kubeling server --runtime oci`, the real kubectl): what a
 * pod's containers see in /etc/resolv.conf per dnsPolicy and dnsConfig, the hostname.subdomain line of
 * /etc/hosts, and the service environment variables of the Services that existed when the pod started
 * (`WEB_SERVICE_HOST`, and `KUBERNETES_SERVICE_HOST` in every pod). Each pod prints what it sees and exits;
 * the test reads its log, then deletes it and checks nothing of it is left on the machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IService } from 'kubernetes-models/v1/Service';
import { addressIn, type ServerHandle } from './helpers/server.ts';
import { apply, deleteAndCheckClean, ociServerForFile, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});
const skip = { skip: why };


async function service(name: string, namespace = 'default'): Promise<IService | undefined> {
  const r = await server.kubectl(['get', 'service', name, '-n', namespace, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as IService) : undefined;
}

/** The `kubernetes` Service: the API server's job once it has one; made by hand on a branch without it. */
async function kubernetesService(): Promise<IService> {
  const existing = await service('kubernetes');
  if (existing) return existing;
  await apply(
    server,
    `apiVersion: v1
kind: Service
metadata:
  name: kubernetes
  namespace: default
spec:
  type: ClusterIP
  clusterIP: ${addressIn(server.serviceCidr, 1)}
  ports:
  - name: https
    port: 443
    protocol: TCP
    targetPort: 6443
`,
  );
  return (await service('kubernetes'))!;
}

/** Runs the pod to completion and returns its log. */
async function output(name: string, manifest: string): Promise<string> {
  await apply(server, manifest);
  await waitForPod(server, name, (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', 'the pod to finish', 90_000);
  const r = await server.kubectl(['logs', name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function section(log: string, name: string): string {
  const m = new RegExp(`--- ${name}\\n([\\s\\S]*?)(?=--- |$)`).exec(log);
  assert.ok(m, `no ${name} section in:\n${log}`);
  return m[1]!;
}

const PRINT = `echo '--- resolv'; cat /etc/resolv.conf; echo '--- hosts'; cat /etc/hosts; echo '--- env'; env | sort`;

test('ClusterFirst: cluster DNS, search domains, ndots:5; hostname.subdomain in /etc/hosts; service variables', skip, async () => {
  const kubernetes = await kubernetesService();
  await apply(
    server,
    `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: ClusterIP
  clusterIP: ${addressIn(server.serviceCidr, 80)}
  selector:
    app: web
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
`,
  );
  const log = await output(
    'dns-client',
    `apiVersion: v1
kind: Pod
metadata:
  name: dns-client
spec:
  restartPolicy: Never
  hostname: db-0
  subdomain: db
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", "${PRINT}"]
    env:
    - name: WEB_URL
      value: "http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT_HTTP)/"
`,
  );
  const resolv = section(log, 'resolv');
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local( |$)/m);
  assert.deepEqual(resolv.match(/^nameserver .*$/gm), [`nameserver ${server.clusterDns}`]);
  assert.match(resolv, /^options ndots:5$/m);

  const hosts = section(log, 'hosts');
  assert.match(hosts, /^# Kubernetes-managed hosts file\.$/m);
  assert.match(hosts, /^\d+\.\d+\.\d+\.\d+\tdb-0\.db\.default\.svc\.cluster\.local\tdb-0$/m);

  const env = new Map(
    section(log, 'env')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const web = addressIn(server.serviceCidr, 80);
  assert.equal(env.get('WEB_SERVICE_HOST'), web);
  assert.equal(env.get('WEB_SERVICE_PORT'), '80');
  assert.equal(env.get('WEB_PORT_80_TCP'), `tcp://${web}:80`);
  assert.equal(env.get('WEB_URL'), `http://${web}:80/`);
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), kubernetes.spec!.clusterIP);
  assert.equal(env.get('KUBERNETES_SERVICE_PORT'), String(kubernetes.spec!.ports![0]!.port));
  await deleteAndCheckClean(server, 'dns-client');
});

test('dnsPolicy None: exactly the dnsConfig lines; enableServiceLinks false: only the kubernetes variables', skip, async () => {
  await kubernetesService();
  const log = await output(
    'dns-none',
    `apiVersion: v1
kind: Pod
metadata:
  name: dns-none
spec:
  restartPolicy: Never
  enableServiceLinks: false
  dnsPolicy: None
  dnsConfig:
    nameservers: ["192.0.2.10", "192.0.2.11"]
    searches: ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"]
    options:
    - name: ndots
      value: "2"
    - name: edns0
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", "${PRINT}"]
`,
  );
  assert.equal(
    section(log, 'resolv'),
    'search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 192.0.2.10\nnameserver 192.0.2.11\noptions ndots:2 edns0\n',
  );
  const names = section(log, 'env')
    .split('\n')
    .map((l) => l.slice(0, l.indexOf('=')));
  assert.ok(names.includes('KUBERNETES_SERVICE_HOST'), names.join(' '));
  assert.ok(!names.some((n) => n.startsWith('WEB_')), names.join(' '));
  await deleteAndCheckClean(server, 'dns-none');
});
