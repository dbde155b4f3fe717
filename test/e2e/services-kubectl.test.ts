/**
 * Services through the real kubectl against `kubeling server` (fake runtime, local node): `create service
 * clusterip|nodeport|externalname`, `expose deployment`, `get svc,ep,endpointslices -o wide` columns, `describe
 * svc`, the `default/kubernetes` Service and its endpoints, kubectl's error line for an invalid Service,
 * `explain svc.spec`, and the `services/proxy` subresource through `get --raw` and `kubectl proxy` (503 without
 * endpoints; with a hand-made EndpointSlice pointing at an HTTP server on loopback, the answer comes through).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake', args: ['--service-node-port-range', '30000-30999'] }, (s) => ({ server, client } = s));

async function ok(args: string[], input?: string) {
  const r = await server.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The row of a `kubectl get` table whose first cell is `name`, split on runs of spaces. */
function row(table: string, name: string): string[] {
  const line = table.split('\n').find((l) => l.split(/\s+/)[0] === name);
  assert.ok(line, `no row ${name} in:\n${table}`);
  return line.trim().split(/\s{2,}/);
}

test('create service clusterip|nodeport|externalname, expose, get -o wide, describe', async () => {
  await ok(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
  await ok(['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080']);
  await ok(['create', 'service', 'externalname', 'ext', '--external-name', 'db.example.com']);
  await ok(['create', 'deployment', 'app', '--image=busybox:1.35', '--replicas=1']);
  await ok(['expose', 'deployment', 'app', '--port=80', '--target-port=8080', '--name=app']);

  const svcs = await ok(['get', 'svc', '-o', 'wide']);
  assert.deepEqual(svcs.split('\n')[0]!.trim().split(/\s{2,}/), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
  const web = row(svcs, 'web');
  assert.equal(web[1], 'ClusterIP');
  assert.match(web[2]!, /^10\.43\.\d+\.\d+$/);
  assert.deepEqual([web[3], web[4], web[6]], ['<none>', '80/TCP', 'app=web']);
  const np = row(svcs, 'np');
  assert.deepEqual([np[1], np[3], np[4]], ['NodePort', '<none>', '80:30080/TCP']);
  const ext = row(svcs, 'ext');
  assert.deepEqual([ext[1], ext[2], ext[3], ext[4]], ['ExternalName', '<none>', 'db.example.com', '<none>']);
  const app = row(svcs, 'app');
  assert.deepEqual([app[1], app[4], app[6]], ['ClusterIP', '80/TCP', 'app=app']);
  const k = row(svcs, 'kubernetes');
  assert.deepEqual([k[1], k[2], k[3], k[4], k[6]], ['ClusterIP', '10.43.0.1', '<none>', '443/TCP', '<none>']);

  const described = await ok(['describe', 'svc', 'web']);
  assert.match(described, /^Name:\s+web$/m);
  assert.match(described, /^Type:\s+ClusterIP$/m);
  assert.match(described, /^IP Family Policy:\s+SingleStack$/m);
  assert.match(described, /^IP Families:\s+IPv4$/m);
  assert.match(described, new RegExp(`^IP:\\s+${web[2]!.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(described, /^Port:\s+80-8080\s+80\/TCP$/m);
  assert.match(described, /^TargetPort:\s+8080\/TCP$/m);
  assert.match(described, /^Session Affinity:\s+None$/m);
  assert.match(described, /^Internal Traffic Policy:\s+Cluster$/m);
});

test('the kubernetes Service has its Endpoints and EndpointSlice; get svc,ep,endpointslices -o wide', async () => {
  const out = await ok(['get', 'svc,ep,endpointslices', '-o', 'wide']);
  assert.match(out, /^service\/kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP\s+\S+\s+<none>$/m);
  const ep = /^endpoints\/kubernetes\s+(\d+\.\d+\.\d+\.\d+):(\d+)\s+\S+$/m.exec(out);
  assert.ok(ep, out);
  assert.equal(ep[2], String(server.port));
  assert.notEqual(ep[1], '127.0.0.1');
  assert.match(out, new RegExp(`^endpointslice\\.discovery\\.k8s\\.io/kubernetes\\s+IPv4\\s+${server.port}\\s+${ep[1]!.replace(/\./g, '\\.')}\\s+\\S+$`, 'm'));
  assert.match(out, /^NAME\s+ENDPOINTS\s+AGE$/m);
  assert.match(out, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/m);
});

test('an invalid Service gets kubectl error line; explain svc.spec works', async () => {
  const bad = await server.kubectl(['create', '-f', '-'], {
    input: 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  type: ExternalName\n',
  });
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), 'The Service "bad" is invalid: spec.externalName: Required value');
  const taken = await server.kubectl(['create', 'service', 'nodeport', 'np2', '--tcp=80:8080', '--node-port=30080']);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /Service "np2" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
  const explained = await ok(['explain', 'svc.spec']);
  assert.match(explained, /^KIND:\s+Service$/m);
  assert.match(explained, /^\s+clusterIP\s+<string>$/m);
});

test('services/proxy through kubectl get --raw: 503 without endpoints, then the endpoint answers', async () => {
  const none = await server.kubectl(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Error from server \(ServiceUnavailable\): no endpoints available for service "web"/);
  const backend = http.createServer((req, res) => res.end(`served ${req.url}`));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  try {
    const port = (backend.address() as AddressInfo).port;
    await client.resource('endpointslices.discovery.k8s.io', 'default').create({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'web-manual', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: '80-8080', port, protocol: 'TCP' }],
    } as never);
    assert.equal(await ok(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/hello?x=1']), 'served /hello?x=1');
    assert.equal(await ok(['get', '--raw', '/api/v1/namespaces/default/services/http:web:80-8080/proxy/']), 'served /');
    const eps = await ok(['get', 'endpointslices', 'web-manual']);
    assert.match(eps, new RegExp(`^web-manual\\s+IPv4\\s+${port}\\s+127\\.0\\.0\\.1\\s+\\S+$`, 'm'));
    // The same path through `kubectl proxy`.
    const proxy = server.spawnKubectl(['proxy', '--port=0']);
    try {
      const proxyPort = await new Promise<number>((resolve, reject) => {
        let out = '';
        proxy.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        proxy.once('exit', (code) => reject(new Error(`kubectl proxy exited ${code}: ${out}`)));
      });
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: proxyPort, path: '/api/v1/namespaces/default/services/web:80/proxy/via-kubectl-proxy' }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      assert.equal(body, 'served /via-kubectl-proxy');
    } finally {
      proxy.kill('SIGTERM');
    }
  } finally {
    backend.close();
  }
});
