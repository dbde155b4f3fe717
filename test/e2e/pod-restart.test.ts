/**
 * A kubelet restart (here: the whole `kubeling server` process) adopts the pods that kept running: the same
 * containers, no restarts, restartCount unchanged, and exec/logs still work; the pod is then deleted cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unmountUnder } from '../../src/runtime/oci/mounts.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import {
  apply,
  deleteAllPods,
  deleteAndCheckClean,
  getPod,
  importBusybox,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();

test('restarting the kubelet adopts running pods without restarting their containers', { skip: why }, async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubelet-restart-'));
  let server: ServerHandle | undefined = await startServer({ runtime: 'oci', dataDir });
  t.after(async () => {
    if (server) {
      await deleteAllPods(server);
      await server.stop();
    }
    unmountUnder(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  await importBusybox(server);
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: survivor
spec:
  containers:
  - name: app
    image: busybox:1.35
    command: ["sh", "-c", "echo up; trap 'exit 0' TERM; while true; do sleep 0.2; done"]
  - name: web
    image: busybox:1.35
    command: ["httpd", "-f", "-p", "8080"]
`,
  );
  const before = await waitForPod(server, 'survivor', running, 'Running');
  const port = server.port;
  assert.equal(await server.stop(), 0);
  server = undefined;

  // The containers outlive the kubelet.
  const ids = before.status!.containerStatuses!.map((c) => c.containerID!.replace(/^[^:]+:\/\//, ''));
  server = await startServer({ runtime: 'oci', dataDir, port });
  const after = await waitForPod(
    server,
    'survivor',
    (p) => running(p) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    'Running and Ready after the restart',
  );
  for (const name of ['app', 'web']) {
    const b = before.status!.containerStatuses!.find((c) => c.name === name)!;
    const a = after.status!.containerStatuses!.find((c) => c.name === name)!;
    assert.equal(a.containerID, b.containerID, `${name}: same container`);
    assert.equal(a.restartCount, 0, `${name}: no restart`);
    assert.equal(a.state?.running?.startedAt, b.state?.running?.startedAt, `${name}: same start time`);
  }
  assert.equal((await getPod(server, 'survivor'))!.metadata!.uid, before.metadata!.uid);
  assert.ok(ids.length === 2);
  assert.equal((await server.kubectl(['logs', 'survivor', '-c', 'app'])).stdout, 'up\n');
  const exec = await server.kubectl([
    'exec',
    'survivor',
    '-c',
    'app',
    '--',
    'wget',
    '-q',
    '-O',
    '-',
    'http://localhost:8080/',
  ]);
  assert.equal(exec.code, 1, 'httpd answers (404 for a missing index page), reached over localhost');
  assert.match(exec.stderr, /404 Not Found/);
  await deleteAndCheckClean(server, 'survivor', ['--grace-period=5']);
});
