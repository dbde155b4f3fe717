/**
 * The service proxy inside `kubeling server --runtime oci`, driven by the real kubectl: a Service (with a
 * cluster IP given by hand and an EndpointSlice written by hand, until the allocator and the slice
 * controller land) reaches a real pod from the node; the rules stay while the pod runs, also across a
 * stopped and restarted server (the pod keeps answering at its cluster IP meanwhile); a deleted Service's
 * rules go; the table goes when the server stops with no pod left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unmountUnder } from '../../src/runtime/oci/mounts.ts';
import { tableName } from '../../src/proxy/index.ts';
import { addressIn, startServer, type ServerHandle } from './helpers/server.ts';
import { missingRealContainers, missingServiceProxy } from '../prerequisites.ts';
import { apply, deleteAllPods, importBusybox, nodeName, running, waitForPod } from './pod-helpers.ts';

const run = promisify(execFile);
const why = missingRealContainers() ?? missingServiceProxy();


async function tables(): Promise<string> {
  return (await run('nft', ['list', 'tables'])).stdout;
}

async function until<T>(get: () => Promise<T | undefined | false>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}

test('the proxy serves a Service from the node, keeps its rules while pods run and removes them when none is left', { skip: why }, async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'proxy-lifecycle-'));
  let server: ServerHandle | undefined = await startServer({ runtime: 'oci', dataDir });
  let table = '';
  // A cluster IP given by hand, in the service CIDR the helper picked for this server (its own).
  const clusterIP = addressIn(server.serviceCidr, 250);
  t.after(async () => {
    if (server) {
      await deleteAllPods(server);
      await server.stop();
    }
    // Whatever happened above, leave no table behind.
    if (table) spawnSync('nft', ['delete', 'table', 'ip', table], { stdio: 'ignore' });
    unmountUnder(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  table = tableName(await nodeName(server), server.podCidr);
  await until(async () => (await tables()).includes(`table ip ${table}`), `table ${table}`);

  await importBusybox(server);
  await apply(server, `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"]
`);
  const pod = await waitForPod(server, 'web', running, 'Running');
  const podIP = pod.status!.podIP!;
  await apply(server, `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
  clusterIP: ${clusterIP}
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-manual
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [${podIP}]
  conditions: {ready: true}
ports:
- {name: http, port: 8080, protocol: TCP}
`);
  const url = `http://${clusterIP}/`;
  assert.equal(await until(() => get(url), `${url} to answer`), 'hello-from-web\n');

  // Stopped with the pod still running: the rules stay, and the pod keeps answering at its cluster IP.
  const port = server.port;
  assert.equal(await server.stop(), 0);
  server = undefined;
  assert.match(await tables(), new RegExp(`table ip ${table}\\b`));
  assert.equal(await get(url), 'hello-from-web\n');

  // Restarted: the pod is adopted and the table re-synced in place.
  server = await startServer({ runtime: 'oci', dataDir, port });
  assert.equal(await get(url), 'hello-from-web\n');

  // A deleted Service leaves no rule.
  assert.equal((await server.kubectl(['delete', 'service', 'web'])).code, 0);
  await until(async () => !(await run('nft', ['list', 'table', 'ip', table])).stdout.includes(clusterIP), `no rule for ${clusterIP}`);

  // Stopped with no pod left: no table.
  await deleteAllPods(server);
  assert.equal(await server.stop(), 0);
  server = undefined;
  assert.doesNotMatch(await tables(), new RegExp(`table ip ${table}\\b`));
});
