/**
 * A kubelet restart (here: the whole `kubeling server` process) adopts the pods that kept running: the same
 * containers, no restarts, restartCount unchanged, and exec/logs still work; the pod is then deleted cleanly.
 * "The same" is checked on the machine, not only in the stored status (which a restarted server could simply
 * serve again): every process of the pod (found by its cgroup) and each container's conmon are the same
 * processes (pid and start time) before the stop, while no server runs, and after the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { unmountUnder } from '../../src/runtime/oci/mounts.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import {
  apply,
  deleteAllPods,
  deleteAndCheckClean,
  getPod,
  importBusybox,
  podLeftovers,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();

/** A process as `pid@starttime` (field 22 of /proc/PID/stat, in clock ticks since boot): a reused pid differs. */
function identity(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `${pid}@${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

/** Every process in the pod's cgroups, as identities, sorted. */
function podProcesses(uid: string): string[] {
  return podLeftovers(uid)
    .filter((l) => l.startsWith('process '))
    .map((l) => identity(Number(l.slice('process '.length))))
    .sort();
}

/** A container's main process and its conmon, from the runtime's state dir (conmon checked by its command line). */
function containerProcesses(dataDir: string, containerId: string): { main: string; conmon: string } {
  const dir = `${dataDir}/runtime/run/containers/${containerId}`;
  const main = Number(readFileSync(`${dir}/pid`, 'utf8').trim());
  const conmon = Number(readFileSync(`${dir}/conmon.pid`, 'utf8').trim());
  const cmdline = readFileSync(`/proc/${conmon}/cmdline`, 'utf8').split('\0');
  assert.match(cmdline[0]!, /conmon$/, `pid ${conmon} is a conmon`);
  assert.ok(cmdline.includes(containerId), `conmon ${conmon} monitors ${containerId}`);
  return { main: identity(main), conmon: identity(conmon) };
}

test('restarting the kubelet adopts running pods without restarting their containers', { skip: why }, async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubelet-restart-'));
  let server: ServerHandle | undefined = await startServer({ runtime: 'oci', dataDir });
  const port = server.port;
  t.after(async () => {
    // A failure while no server runs would leave the pod's containers running with their state deleted
    // below: a server on the same data dir adopts them first, so they are deleted properly.
    server ??= await startServer({ runtime: 'oci', dataDir, port }).catch(() => undefined);
    if (server) {
      await deleteAllPods(server);
      await server.stop();
    }
    unmountUnder(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  await importBusybox(server);
  // Long-lived processes only (no sleep loop), so the pod's process set is the same whenever it is looked at.
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
    command: ["sh", "-c", "echo up; trap 'exit 0' TERM; sleep 3600 & wait"]
  - name: web
    image: busybox:1.35
    command: ["httpd", "-f", "-p", "8080"]
`,
  );
  const before = await waitForPod(server, 'survivor', running, 'Running');
  const uid = before.metadata!.uid!;
  const ids = before.status!.containerStatuses!.map((c) => c.containerID!.replace(/^[^:]+:\/\//, ''));
  const processesBefore = podProcesses(uid);
  const containersBefore = ids.map((id) => containerProcesses(dataDir, id));
  for (const c of containersBefore) assert.ok(processesBefore.includes(c.main), `${c.main} is one of the pod's processes`);
  assert.equal(await server.stop(), 0);
  server = undefined;

  // The containers outlive the kubelet: the same processes while no server runs.
  assert.deepEqual(podProcesses(uid), processesBefore, 'the pod processes survive the server stop');
  assert.deepEqual(ids.map((id) => containerProcesses(dataDir, id)), containersBefore, 'conmons survive the server stop');
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
  assert.equal((await getPod(server, 'survivor'))!.metadata!.uid, uid);
  assert.equal(ids.length, 2);
  // Adopted, not restarted: the very same container processes and conmons as before the restart.
  assert.deepEqual(ids.map((id) => containerProcesses(dataDir, id)), containersBefore, 'same container and conmon processes');
  assert.deepEqual(podProcesses(uid), processesBefore, 'same pod processes (pause and containers)');
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
