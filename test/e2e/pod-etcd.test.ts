/**
 * The pod tier on etcd: `kubeling server --runtime oci --storage etcd://127.0.0.1:PORT` against a throwaway
 * etcd (Debian's etcd-server on loopback, stopped by PID and its data removed afterwards). The seeds'
 * two-containers pod (examples/two-containers.yaml) runs to Running on real containers, exec and logs reach
 * it, and its object is in etcd (not in a SQLite file). A restart of the server on the same etcd keeps every
 * object and adopts the running pod (same container ids, no restarts); a graceful delete then removes it and
 * leaves nothing on the machine, and a second restart still finds the other objects and not the pod.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { unmountUnder } from '../../src/runtime/oci/mounts.ts';
import { EtcdStore } from '../../src/storage/etcd/index.ts';
import { startEtcd } from '../fixtures/etcd.ts';
import { missingEtcd, missingRealContainers } from '../prerequisites.ts';
import { REPO_ROOT } from '../fixtures/busybox.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import {
  apply,
  deleteAllPods,
  deleteAndCheckClean,
  getPod,
  importBusybox,
  waitForPod,
} from './pod-helpers.ts';

const why = missingRealContainers() ?? missingEtcd();

const served = (p: IPod) => {
  const byName = new Map((p.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  return (
    p.status?.phase === 'Running' &&
    byName.get('nginx-container')?.state?.running !== undefined &&
    byName.get('debian-container')?.state?.terminated?.exitCode === 0
  );
};

test('the two-containers pod on a server with --storage etcd://, kept across restarts', { skip: why }, async (t) => {
  const etcd = await startEtcd();
  const storage = `etcd://${etcd.url.replace(/^http:\/\//, '')}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubeling-e2e-etcd-'));
  let server: ServerHandle | undefined;
  // One clean-up, in order: a failure midway leaves a running server with the pod, whose containers outlive a
  // stopped server (they would be adopted by the next): deleted through it first, while etcd still answers.
  t.after(async () => {
    if (server) await deleteAllPods(server).catch(() => {});
    await server?.stop();
    unmountUnder(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
    await etcd.stop();
  });
  server = await startServer({ runtime: 'oci', dataDir, args: ['--storage', storage] });
  await importBusybox(server);
  const store = new EtcdStore({ endpoints: [etcd.url] });
  t.after(() => store.close());

  await apply(server, await fs.readFile(path.join(REPO_ROOT, 'examples/two-containers.yaml'), 'utf8'));
  await apply(server, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\ndata:\n  a: b\n');
  const before = await waitForPod(server, 'two-containers', served, 'nginx serving, the writer done');

  // The objects live in etcd, where the apiserver keeps them (/registry/<resource>/<ns>/<name>), and no
  // SQLite store was made.
  const stored = await store.get('/registry/pods/default/two-containers');
  assert.ok(stored, 'the pod is in etcd');
  assert.equal((JSON.parse(Buffer.from(stored.value).toString()) as IPod).metadata?.uid, before.metadata?.uid);
  assert.ok(await store.get('/registry/configmaps/default/kept'), 'the configmap is in etcd');
  assert.equal(existsSync(path.join(dataDir, 'state.db')), false, 'no SQLite store beside etcd');

  const exec = await server.kubectl(['exec', 'two-containers', '-c', 'nginx-container', '--', 'wget', '-qO-', 'http://localhost/']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stdout, 'Hello from the debian container\n');
  const logs = await server.kubectl(['logs', 'two-containers', '-c', 'debian-container']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /Hello from the debian container/);

  // Restart on the same etcd: every object kept, the running pod adopted as it was.
  const port = server.port;
  assert.equal(await server.stop(), 0, server.stderr().slice(-3000));
  server = undefined;
  server = await startServer({ runtime: 'oci', dataDir, port, args: ['--storage', storage] });
  const cm = await server.kubectl(['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}']);
  assert.equal(cm.stdout, 'b', cm.stderr);
  const after = await waitForPod(server, 'two-containers', served, 'the adopted pod as before');
  assert.equal(after.metadata?.uid, before.metadata?.uid);
  const ids = (p: IPod) =>
    (p.status?.containerStatuses ?? []).map((c) => [c.name, c.containerID, c.restartCount]).sort();
  assert.deepEqual(ids(after), ids(before), 'same containers, no restarts');
  const again = await server.kubectl(['exec', 'two-containers', '-c', 'nginx-container', '--', 'wget', '-qO-', 'http://localhost/']);
  assert.equal(again.stdout, 'Hello from the debian container\n', again.stderr);

  // A graceful delete (the default grace period, preStop first) leaves nothing behind, in etcd or on the host.
  await deleteAndCheckClean(server, 'two-containers');
  assert.equal(await store.get('/registry/pods/default/two-containers'), undefined);

  // And a second restart on the same etcd keeps the deletion as well as the other objects.
  assert.equal(await server.stop(), 0, server.stderr().slice(-3000));
  server = undefined;
  server = await startServer({ runtime: 'oci', dataDir, port, args: ['--storage', storage] });
  assert.equal((await server.kubectl(['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}'])).stdout, 'b');
  assert.equal(await getPod(server, 'two-containers'), undefined);
});
