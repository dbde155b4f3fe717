/**
 * A restart of `kubeling server --runtime oci` (sqlite, its own data dir) with pods running, driven by the real
 * kubectl: a TCP connection the node opened to a Service's cluster IP (busybox `nc -ll -e cat`, an echo
 * server) keeps echoing while the server is down and after it is back (the proxy's table stays, its first
 * sync rewrites it atomically, the flow's conntrack entry carries on), and a pod resolves the Service by
 * name again through the node's DNS once the server is back. At the end, with no pod left, the table goes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { IService } from 'kubernetes-models/v1/Service';
import { unmountUnder } from '../../src/runtime/oci/mounts.ts';
import { tableName } from '../../src/proxy/index.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until, untilWith } from './helpers/until.ts';
import { idlePodYaml } from './helpers/services.ts';
import { apply, deleteAllPods, importBusybox, nodeName, ready, waitForPod } from './pod-helpers.ts';
import { missingRealContainers, missingServiceProxy } from '../prerequisites.ts';

const run = promisify(execFile);
const why = missingRealContainers() ?? missingServiceProxy();

/** Writes `line` and resolves with what comes back up to the next newline. */
function echo(socket: Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.includes('\n')) done(() => resolve(got));
    };
    const onEnd = () => done(() => reject(new Error(`connection closed (got ${JSON.stringify(got)})`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no echo of ${line}`))), 10_000);
    const done = (then: () => void) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('error', onEnd);
      then();
    };
    socket.on('data', onData).on('end', onEnd).on('error', onEnd);
    socket.write(`${line}\n`);
  });
}

test('a server restart keeps an established connection through a Service, and DNS answers again', { skip: why, timeout: 600_000 }, async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'services-restart-'));
  let server: ServerHandle | undefined = await startServer({ runtime: 'oci', dataDir });
  const open: { socket?: Socket } = {};
  t.after(async () => {
    open.socket?.destroy();
    if (server) {
      await server.kubectl(['delete', 'deployments', '--all']);
      await deleteAllPods(server);
      await server.stop();
    }
    unmountUnder(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  const table = tableName(await nodeName(server), server.podCidr);
  await importBusybox(server);
  await apply(server, `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 1
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: nc
        image: busybox:1.35
        command: ["nc", "-ll", "-p", "9000", "-e", "cat"]
        readinessProbe: {tcpSocket: {port: 9000}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{port: 9000}]
---
${idlePodYaml('client')}`);
  await waitForPod(server, 'client', ready, 'the client ready', 90_000);
  const svc = JSON.parse((await server.kubectl(['get', 'svc', 'echo', '-o', 'json'])).stdout) as IService;
  const clusterIP = svc.spec!.clusterIP!;
  let last = '';
  const resolves = async (s: ServerHandle) => {
    const r = await s.kubectl(['exec', 'client', '--', 'nslookup', 'echo']);
    last = r.stdout + r.stderr;
    // busybox's nslookup tries every search domain and exits 1 when one of them is NXDOMAIN.
    return new RegExp(`^Address:\\s+${clusterIP.replace(/\./g, '\\.')}$`, 'm').test(r.stdout);
  };
  assert.ok(await untilWith(() => resolves(server!), 'echo resolved before the restart', { timeoutMs: 60_000, detail: () => last }));

  const socket = await until(() => new Promise<Socket | undefined>((resolve) => {
    const s = connect(9000, clusterIP);
    s.once('connect', () => resolve(s)).once('error', () => resolve(undefined));
  }), `a connection to ${clusterIP}:9000`, 60_000);
  open.socket = socket;
  assert.equal(await echo(socket, 'one'), 'one\n');

  const port = server.port;
  assert.equal(await server.stop(), 0);
  server = undefined;
  assert.match((await run('nft', ['list', 'tables'])).stdout, new RegExp(`table ip ${table}\\b`));
  assert.equal(await echo(socket, 'two'), 'two\n');

  server = await startServer({ runtime: 'oci', dataDir, port });
  assert.ok(await untilWith(() => resolves(server!), 'echo resolved after the restart', { timeoutMs: 90_000, detail: () => last }));
  // A Service made after the restart answers: the new process has synced (its first sync rewrites the whole
  // table) ...
  await apply(server, `apiVersion: v1
kind: Service
metadata: {name: echo2}
spec:
  selector: {app: echo}
  ports: [{port: 9000}]
`);
  const echo2 = (JSON.parse((await server.kubectl(['get', 'svc', 'echo2', '-o', 'json'])).stdout) as IService).spec!.clusterIP!;
  // Until the new rules are in, a connection to the new cluster IP may reach whatever answers unrouted
  // addresses on this host (an intercepting proxy here), so it counts only once our echo server answers.
  let lastFresh = '';
  await untilWith(async () => {
    const fresh = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(9000, echo2);
      s.once('connect', () => resolve(s)).once('error', () => resolve(undefined));
    });
    if (!fresh) return false;
    try {
      lastFresh = await echo(fresh, 'fresh').catch((e: Error) => e.message);
      return lastFresh === 'fresh\n';
    } finally {
      fresh.destroy();
    }
  }, `an echo through ${echo2}:9000`, { timeoutMs: 60_000, detail: () => lastFresh });
  // ... and the connection made before the restart still echoes.
  assert.equal(await echo(socket, 'three'), 'three\n');
  socket.end();

  await server.kubectl(['delete', 'deployment', 'echo']);
  await until(async () => (await server!.kubectl(['get', 'replicasets', '-o', 'name'])).stdout.trim() === '', 'the ReplicaSet gone');
  await deleteAllPods(server);
  assert.equal(await server.stop(), 0);
  server = undefined;
  assert.doesNotMatch((await run('nft', ['list', 'tables'])).stdout, new RegExp(`table ip ${table}\\b`));
});
