/**
 * Services end to end on real containers (issue 9's must-show), driven by the real kubectl against one
 * `kubeling server --runtime oci` for the file: the API with its allocators, the EndpointSlice controller, the
 * node's nftables proxy, its cluster DNS and the kubelet's resolv.conf and service environment working
 * together. A 3-replica Deployment of busybox httpd (each pod serves its hostname, ready while /tmp/ready
 * exists) sits behind the ClusterIP Service `web`; a client pod reaches it by name, a pod whose readiness
 * fails leaves the answers and comes back, hairpin and ClusterIP from the node, NodePort and LoadBalancer answer
 * on the node's address, ClientIP affinity keeps a client on one replica, headless and ExternalName
 * Services resolve, a pod lists pods through the `kubernetes` Service with its service account token, and
 * `kubectl expose`, `port-forward svc/` and the services proxy subresource reach the real pods. At the end no
 * rule of a deleted Service remains, and no kubeling table once the server stops with no pod left.
 *
 * The pod that talks to the API uses kubectl itself (a static Go binary, the project's own 1.32, mounted
 * from the host by hostPath) with its in-cluster config: busybox's wget cannot do TLS with the API server
 * (its built-in TLS sends no signature_algorithms, so the server would have to accept SHA-1 signatures).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:http';
import type { IService } from 'kubernetes-models/v1/Service';
import type { INode } from 'kubernetes-models/v1/Node';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { tableName } from '../../src/proxy/index.ts';
import { KUBECTL, startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { until, untilWith } from './helpers/until.ts';
import { idlePodYaml } from './helpers/services.ts';
import { apply, deleteAllPods, importBusybox, nodeName, ready, waitForPod } from './pod-helpers.ts';
import { missingRealContainers, missingServiceProxy } from '../prerequisites.ts';

const run = promisify(execFile);
const why = missingRealContainers() ?? missingServiceProxy();
const skip = { skip: why };

let server: ServerHandle;
let table: string;
let stopped = false;

test.before(async () => {
  if (why) return;
  server = await startServer({ runtime: 'oci', storage: 'memory' });
  await importBusybox(server);
  table = tableName(await nodeName(server), server.podCidr);
});

test.after(async () => {
  if (!server || stopped) return;
  await server.kubectl(['delete', 'deployments', '--all']);
  // A failed test may leave the client in namespace other (deleteAllPods sees only default's).
  await server.kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1'], { timeoutMs: 120_000 });
  await deleteAllPods(server);
  await server.stop();
});

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox:1.35
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          exec: {command: ["test", "-f", "/tmp/ready"]}
          periodSeconds: 1
          failureThreshold: 1
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

/** A pod that idles, to run clients in with `kubectl exec`. */
const client = idlePodYaml;

async function json<T>(args: string[]): Promise<T> {
  const r = await server.kubectl([...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

/**
 * `kubectl exec` (args after `exec`); run again when kubectl 1.32's WebSocket client dropped the result
 * (`Unknown stream id`, kubernetes#131189; every command here may run twice).
 */
async function kexec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  for (let attempt = 1; ; attempt++) {
    const r = await server.kubectl(['exec', ...args], { timeoutMs: 60_000 });
    if (attempt === 3 || !r.stderr.includes('Unknown stream id')) return r;
  }
}

async function exec(pod: string, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return kexec([pod, '--', 'sh', '-c', command]);
}

/** Service `name`'s cluster IP and first port's node port. */
async function service(name: string): Promise<{ clusterIP: string; nodePort?: number }> {
  const svc = await json<IService>(['get', 'svc', name]);
  return { clusterIP: svc.spec!.clusterIP!, ...(svc.spec!.ports?.[0]?.nodePort ? { nodePort: svc.spec!.ports[0].nodePort } : {}) };
}

/** The web pods: name -> IP, of those Ready. */
async function webPods(): Promise<Map<string, string>> {
  const list = await json<{ items: IPod[] }>(['get', 'pods', '-l', 'app=web']);
  return new Map(list.items.filter((p) => ready(p) && !p.metadata!.deletionTimestamp).map((p) => [p.metadata!.name!, p.status!.podIP!]));
}

/**
 * Sends `n` requests to `url` from pod `from`; the hostnames that answered (one per line). (busybox 1.35's
 * `wget -T` crashes, so `timeout` bounds each request.)
 */
async function answers(url: string, n = 20, from = 'client'): Promise<string[]> {
  const r = await exec(from, `for i in $(seq ${n}); do timeout 5 wget -qO- ${url} || echo FAILED; done`);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

/** The endpoints of Service `svc`'s slices: address -> ready. */
async function sliceEndpoints(svc: string): Promise<Map<string, boolean>> {
  const list = await json<{ items: IEndpointSlice[] }>(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`]);
  return new Map(list.items.flatMap((s) => (s.endpoints ?? []).map((e): [string, boolean] => [e.addresses[0]!, e.conditions?.ready === true])));
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}

async function nftTable(): Promise<string> {
  return (await run('nft', ['list', 'table', 'ip', table])).stdout;
}

test('a 3-replica Deployment behind ClusterIP Service web: slices list the 3 pod IPs, a client reaches it by name from more than one replica', skip, async () => {
  await apply(server, WEB);
  const pods = await until(async () => {
    const p = await webPods();
    return p.size === 3 && p;
  }, '3 ready web pods', 120_000);
  // kubectl's ENDPOINTS column lists up to three addresses.
  await until(async () => {
    const r = await server.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    return r.code === 0 && [...pods.values()].every((ip) => r.stdout.includes(ip)) && r.stdout;
  }, 'the slice lists the 3 pod IPs');
  const slice = await sliceEndpoints('web');
  assert.deepEqual([...slice.keys()].sort(), [...pods.values()].sort());
  assert.ok([...slice.values()].every(Boolean));

  await apply(server, client('client'));
  await waitForPod(server, 'client', ready, 'the client ready', 90_000);
  const names = new Set(pods.keys());
  for (const host of ['web', 'web.default', 'web.default.svc.cluster.local']) {
    const got = await untilWith(async () => {
      const a = await answers(`http://${host}/`, 12);
      return a.every((h) => names.has(h)) && new Set(a).size > 1 && a;
    }, `answers from more than one replica at http://${host}/`, { timeoutMs: 60_000, intervalMs: 500 });
    assert.ok(got.length === 12);
    // busybox's nslookup applies the search list only to names without a dot (`web.default` it asks as is,
    // and gets NXDOMAIN, as from CoreDNS); wget above resolved it through the search list.
    if (host === 'web.default') continue;
    const ns = await exec('client', `nslookup ${host}`);
    const svc = await service('web');
    assert.match(ns.stdout, new RegExp(`Name:\\s+web\\.default\\.svc\\.cluster\\.local\\s+Address:\\s+${svc.clusterIP.replace(/\./g, '\\.')}`), ns.stdout + ns.stderr);
  }
});

test('a pod in another namespace reaches web.default through its search list', skip, async () => {
  const ns = await server.kubectl(['create', 'namespace', 'other']);
  assert.equal(ns.code, 0, ns.stderr);
  await apply(server, client('client').replace('metadata: {name: client}', 'metadata: {name: client, namespace: other}'));
  await until(async () => {
    const r = await server.kubectl(['get', 'pod', 'client', '-n', 'other', '-o', 'json']);
    return r.code === 0 && ready(JSON.parse(r.stdout) as IPod);
  }, 'the client in namespace other ready', 90_000);
  const names = new Set((await webPods()).keys());
  const r = await kexec(['-n', 'other', 'client', '--', 'sh', '-c', 'timeout 5 wget -qO- http://web.default/; timeout 5 wget -qO- http://web/ || echo NONE']);
  const [first, second] = r.stdout.trim().split('\n');
  assert.ok(names.has(first!), r.stdout + r.stderr);
  // `web` alone is other.svc.cluster.local's first: no such Service there.
  assert.equal(second, 'NONE', r.stdout);
  // The pod first (deleteAllPods at the end sees only default's), then its namespace.
  const p = await server.kubectl(['delete', 'pod', 'client', '-n', 'other', '--grace-period=1'], { timeoutMs: 120_000 });
  assert.equal(p.code, 0, p.stderr);
  const d = await server.kubectl(['delete', 'namespace', 'other', '--wait=false']);
  assert.equal(d.code, 0, d.stderr);
});

test('a pod whose readiness fails leaves the ready set and the answers, and comes back when it passes again', skip, async () => {
  const pods = await webPods();
  assert.equal(pods.size, 3);
  const [victim, ip] = [...pods][0]!;
  const rm = await kexec([victim, '--', 'rm', '-f', '/tmp/ready']);
  assert.equal(rm.code, 0, rm.stderr);
  await until(async () => (await sliceEndpoints('web')).get(ip) === false && true, `${victim} not ready in the slice`);
  const without = await until(async () => {
    const a = await answers('http://web/', 20);
    return a.every((h) => h !== victim && h !== 'FAILED') && a;
  }, `answers without ${victim}`);
  assert.equal(new Set(without).size, 2, without.join(' '));

  const touch = await kexec([victim, '--', 'touch', '/tmp/ready']);
  assert.equal(touch.code, 0, touch.stderr);
  await until(async () => (await sliceEndpoints('web')).get(ip) === true, `${victim} ready again in the slice`);
  await until(async () => (await answers('http://web/', 20)).includes(victim), `answers from ${victim} again`);
});

test('hairpin: a pod reaches itself through its Service; the node reaches the cluster IP', skip, async () => {
  const [self] = [...(await webPods()).keys()];
  await until(async () => (await answers('http://web/', 12, self)).includes(self!), `${self} answering itself through web`);
  const names = new Set((await webPods()).keys());
  const body = (await httpGet(`http://${(await service('web')).clusterIP}/`)).trim();
  assert.ok(names.has(body), body);
});

test('NodePort: reachable from the node on its address', skip, async () => {
  await apply(server, `apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`);
  const { nodePort } = await service('web-np');
  const node = await json<INode>(['get', 'node', await nodeName(server)]);
  const address = node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
  const names = new Set((await webPods()).keys());
  const body = await until(async () => (await httpGet(`http://${address}:${nodePort}/`)).trim(), `http://${address}:${nodePort}/`);
  assert.ok(names.has(body), body);
  // And from a pod, to the node's address.
  const fromPod = await answers(`http://${address}:${nodePort}/`, 3);
  assert.ok(fromPod.every((h) => names.has(h)), fromPod.join(' '));
});

test('LoadBalancer: the node addresses as its ingress, reachable there from the node', skip, async () => {
  // A port of this process's own: another server's LoadBalancer on the same host address would share it.
  const port = 20_000 + (process.pid % 10_000);
  await apply(server, `apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: ${port}, targetPort: 8080}]
`);
  const node = await json<INode>(['get', 'node', await nodeName(server)]);
  const address = node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
  await until(async () => {
    const svc = await json<IService>(['get', 'svc', 'web-lb']);
    return svc.status?.loadBalancer?.ingress?.some((i) => i.ip === address);
  }, `web-lb's ingress ${address}`);
  const names = new Set((await webPods()).keys());
  const body = await until(async () => (await httpGet(`http://${address}:${port}/`)).trim(), `http://${address}:${port}/`);
  assert.ok(names.has(body), body);
  const r = await server.kubectl(['delete', 'svc', 'web-lb']);
  assert.equal(r.code, 0, r.stderr);
});

test('sessionAffinity ClientIP: every request of a client goes to one replica', skip, async () => {
  await apply(server, `apiVersion: v1
kind: Service
metadata: {name: web-sticky}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  ports: [{port: 80, targetPort: 8080}]
`);
  const names = new Set((await webPods()).keys());
  const a = await until(async () => {
    const got = await answers('http://web-sticky/', 15);
    return got.every((h) => names.has(h)) && got;
  }, 'answers at web-sticky');
  assert.equal(new Set(a).size, 1, a.join(' '));
});

test('a headless Service resolves to the pod IPs; an ExternalName Service resolves as a CNAME', skip, async () => {
  await apply(server, `apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec:
  type: ExternalName
  externalName: web.default.svc.cluster.local
`);
  const ips = [...(await webPods()).values()].sort();
  await until(async () => {
    const r = await exec('client', 'nslookup web-headless');
    // The answers after the Name line (busybox prints the server as `Address: IP:53`, which the $ skips).
    const got = [...r.stdout.matchAll(/^Address:\s+(\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]!).sort();
    return JSON.stringify(got) === JSON.stringify(ips);
  }, `web-headless resolves to ${ips.join(', ')}`);
  const alias = await exec('client', 'nslookup alias.default.svc.cluster.local');
  assert.match(alias.stdout, /alias\.default\.svc\.cluster\.local\s+canonical name = web\.default\.svc\.cluster\.local/, alias.stdout);
  assert.ok(alias.stdout.includes((await service('web')).clusterIP), alias.stdout);
});

test('a pod created after the Service sees WEB_SERVICE_HOST', skip, async () => {
  const svc = await service('web');
  const r = await kexec(['client', '--', 'env']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^WEB_SERVICE_HOST=${svc.clusterIP.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(r.stdout, /^WEB_SERVICE_PORT=80$/m);
});

test('a pod lists pods through KUBERNETES_SERVICE_HOST with its service account token', skip, async () => {
  const kubernetes = await service('kubernetes');
  // With RBAC a service account may do nothing beyond discovery: grant it read access, as a user would.
  const grant = await server.kubectl(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=default:default']);
  assert.equal(grant.code, 0, grant.stderr);
  await apply(server, `apiVersion: v1
kind: Pod
metadata: {name: lister}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", "echo host=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT; /opt/kubectl/kubectl get pods -o name && echo user=$(/opt/kubectl/kubectl auth whoami -o jsonpath='{.status.userInfo.username}')"]
    volumeMounts: [{name: kubectl, mountPath: /opt/kubectl, readOnly: true}]
  volumes:
  - name: kubectl
    hostPath: {path: ${dirname(KUBECTL)}, type: Directory}
`);
  const pod = await waitForPod(server, 'lister', (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', 'lister to finish', 90_000);
  const log = await server.kubectl(['logs', 'lister']);
  assert.equal(pod.status?.phase, 'Succeeded', log.stdout + log.stderr);
  assert.match(log.stdout, new RegExp(`^host=${kubernetes.clusterIP.replace(/\./g, '\\.')}:443$`, 'm'));
  assert.match(log.stdout, /^pod\/client$/m);
  assert.match(log.stdout, /^pod\/lister$/m);
  // Who the API server took it for: the pod's service account, from its token.
  assert.match(log.stdout, /^user=system:serviceaccount:default:default$/m);
});

test('kubectl expose deployment, port-forward svc/web and the services proxy reach the real pods', skip, async () => {
  const names = new Set((await webPods()).keys());
  const exposed = await server.kubectl(['expose', 'deployment', 'web', '--name', 'web-exposed', '--port', '8081', '--target-port', '8080']);
  assert.equal(exposed.code, 0, exposed.stderr);
  assert.match(exposed.stdout, /^service\/web-exposed exposed$/m);
  await until(async () => (await answers('http://web-exposed:8081/', 3)).every((h) => names.has(h)), 'answers at web-exposed:8081');

  const forward = server.spawnKubectl(['port-forward', 'svc/web', ':80']);
  try {
    const out = await waitForOutput(forward.stdout!, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/, 60_000);
    const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)![1];
    const body = (await httpGet(`http://127.0.0.1:${port}/`)).trim();
    assert.ok(names.has(body), body);
  } finally {
    forward.kill();
  }

  const raw = await until(async () => {
    const r = await server.kubectl(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/']);
    return r.code === 0 && r.stdout.trim();
  }, 'the services proxy answers');
  assert.ok(names.has(raw), raw);
});

test('after a Service is deleted none of its rules remain', skip, async () => {
  const svc = await service('web-np');
  const before = await nftTable();
  assert.ok(before.includes(svc.clusterIP) && before.includes('default/web-np/'), before);
  const r = await server.kubectl(['delete', 'svc', 'web-np']);
  assert.equal(r.code, 0, r.stderr);
  await until(async () => {
    const t = await nftTable();
    return !t.includes(svc.clusterIP) && !t.includes('default/web-np/') && !t.includes(` ${svc.nodePort} `);
  }, `no rule of web-np left in table ${table}`);
  // The other Services' rules are still there.
  assert.ok((await nftTable()).includes((await service('web')).clusterIP));
});

test('after the server stops with no pod left no kubeling table remains', skip, async () => {
  assert.match((await run('nft', ['list', 'tables'])).stdout, new RegExp(`^table ip ${table}$`, 'm'));
  const d = await server.kubectl(['delete', 'deployment', 'web']);
  assert.equal(d.code, 0, d.stderr);
  await until(async () => (await server.kubectl(['get', 'replicasets', '-o', 'name'])).stdout.trim() === '', 'the ReplicaSet gone');
  await deleteAllPods(server);
  assert.equal((await server.kubectl(['get', 'pods', '-o', 'name'])).stdout.trim(), '');
  stopped = true;
  assert.equal(await server.stop(), 0);
  assert.doesNotMatch((await run('nft', ['list', 'tables'])).stdout, new RegExp(`table ip ${table}\\b`));
  // Nor any rule naming its pods' or Services' addresses (the CNI plugins' iptables-nft rules included).
  const ruleset = (await run('nft', ['list', 'ruleset'], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  for (const cidr of [server.clusterCidr, server.serviceCidr]) {
    const prefix = cidr.split('.').slice(0, cidr.endsWith('/16') ? 2 : 3).join('\\.');
    assert.doesNotMatch(ruleset, new RegExp(`\\b${prefix}\\.`), `a rule for ${cidr} is left`);
  }
});
