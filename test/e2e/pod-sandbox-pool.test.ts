/**
 * `kubeling server --runtime oci --sandbox-pool-size 2`, driven with the real kubectl: the node keeps two
 * ready sandboxes; pods that fit take them and are what a pod with a sandbox of its own is (the pod IP the
 * API shows is the pooled sandbox's, the hostname is the pod's, the cluster DNS resolves a Service that the
 * service proxy routes to the other pooled pod); the pool refills; a hostNetwork pod is built as before;
 * deleting the pods leaves nothing of them; stopping the server leaves nothing of the pool (no netns, cgroup
 * or pause process). Then a server killed with the pool full: `kubeling killall` removes the pooled
 * sandboxes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBELING_BIN, startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { idlePodYaml } from './helpers/services.ts';
import { apply, deleteAndCheckClean, getPod, importBusybox, podSandboxes, ready, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';
import { unmountUnder } from '../../src/runtime/oci/index.ts';

const why = missingRealContainers();

interface SandboxState {
  id: string;
  netns: string;
  cgroupPath: string;
  pausePid: number;
  pooled?: boolean;
}

function sandboxRecords(dataDir: string): SandboxState[] {
  const dir = join(dataDir, 'runtime/run/sandboxes');
  const out: SandboxState[] = [];
  for (const id of existsSync(dir) ? readdirSync(dir) : []) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, id, 'state.json'), 'utf8')) as SandboxState);
    } catch {
      // being written or removed
    }
  }
  return out;
}

const pooledNow = (dataDir: string) => sandboxRecords(dataDir).filter((r) => r.pooled);

async function fullPool(server: ServerHandle, size: number): Promise<SandboxState[]> {
  return untilWith(() => {
    const p = pooledNow(server.dataDir);
    return p.length === size && p.every((r) => r.pausePid > 0) && p;
  }, `${size} pooled sandboxes`, { timeoutMs: 60_000, intervalMs: 100, detail: () => server.stderr().slice(-2000) });
}

/** What of pooled sandboxes is still on the host: netns, cgroup directories, pause processes. */
function poolLeftovers(pooled: SandboxState[]): string[] {
  const left: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const r of pooled) {
    if (new RegExp(`^${r.netns}\\b`, 'm').test(netns)) left.push(`netns ${r.netns}`);
    for (const h of ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids', '/sys/fs/cgroup']) if (existsSync(join(h, r.cgroupPath))) left.push(`cgroup ${h}/${r.cgroupPath}`);
    try {
      if (!readFileSync(`/proc/${r.pausePid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) left.push(`pause ${r.pausePid}`);
    } catch {
      // gone
    }
  }
  return left;
}

const webYaml = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

test('pods take pooled sandboxes and are pods like any other; the pool refills and leaves nothing when the node stops', { skip: why, timeout: 300_000 }, async (t) => {
  const server = await startServer({ runtime: 'oci', storage: 'memory', args: ['--sandbox-pool-size', '2'] });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await server.stop();
  });
  await importBusybox(server);
  const pooled = await fullPool(server, 2);
  const pooledIds = new Set(pooled.map((r) => r.id));

  await apply(server, webYaml);
  await apply(server, idlePodYaml('client'));
  await waitForPod(server, 'web', ready, 'web Ready', 90_000);
  await waitForPod(server, 'client', running, 'client Running', 90_000);
  const web = (await getPod(server, 'web'))!;
  const client = (await getPod(server, 'client'))!;
  const [webSandbox] = podSandboxes(server.dataDir, web.metadata!.uid!);
  const [clientSandbox] = podSandboxes(server.dataDir, client.metadata!.uid!);
  assert.ok(webSandbox && pooledIds.has(webSandbox.id), 'web runs in a pooled sandbox');
  assert.ok(clientSandbox && pooledIds.has(clientSandbox.id), 'client runs in a pooled sandbox');

  // The pod IP users see is the pooled sandbox's, on its eth0.
  const eth0 = await server.kubectl(['exec', 'web', '--', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
  assert.ok(eth0.stdout.includes(` ${web.status!.podIP}/`), `${web.status?.podIP} on eth0: ${eth0.stdout}`);
  const hostname = await server.kubectl(['exec', 'web', '--', 'hostname']);
  assert.equal(hostname.stdout.trim(), 'web');
  const resolv = await server.kubectl(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
  assert.match(resolv.stdout, new RegExp(`^nameserver ${server.clusterDns.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(resolv.stdout, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
  // Cluster DNS and the service proxy: the client reaches web by its Service name.
  const body = await untilWith(async () => {
    const r = await server.kubectl(['exec', 'client', '--', 'sh', '-c', 'timeout 5 wget -qO- http://web.default.svc.cluster.local/']);
    return r.code === 0 && r.stdout.trim();
  }, 'web through its Service', { timeoutMs: 60_000, intervalMs: 500 });
  assert.equal(body, 'web');

  // Refilled, with sandboxes no pod has.
  const refilled = await fullPool(server, 2);
  assert.ok(refilled.every((r) => !pooledIds.has(r.id)));

  // A pod a pooled sandbox cannot be (the node's network namespace) gets a sandbox built for it.
  await apply(server, idlePodYaml('on-host').replace('spec:\n', 'spec:\n  hostNetwork: true\n'));
  await waitForPod(server, 'on-host', running, 'on-host Running', 90_000);
  const [hostSandbox] = podSandboxes(server.dataDir, (await getPod(server, 'on-host'))!.metadata!.uid!);
  assert.ok(hostSandbox && !refilled.some((r) => r.id === hostSandbox.id));
  assert.equal(pooledNow(server.dataDir).length, 2, 'the pool was left alone');

  for (const name of ['web', 'client', 'on-host']) await deleteAndCheckClean(server, name, ['--grace-period=1']);
  assert.deepEqual(poolLeftovers(pooled), [], 'the pods that took pooled sandboxes left nothing');

  assert.equal(await server.stop(), 0);
  stopped = true;
  assert.deepEqual(poolLeftovers(refilled), [], 'a stopped node leaves nothing of its pool');
});

test('killall removes the pool of a node that was killed', { skip: why, timeout: 300_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-pool-killall-'));
  t.after(() => {
    unmountUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const server = await startServer({ runtime: 'oci', storage: 'memory', dataDir, args: ['--sandbox-pool-size', '3'] });
  const pooled = await fullPool(server, 3).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  await server.kill();
  assert.equal(poolLeftovers(pooled).length > 0, true, 'a killed node leaves its pool');
  const res = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, [KUBELING_BIN, 'killall', '--data-dir', dataDir], { timeout: 120_000 }, (err, stdout, stderr) =>
      done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^removed 3 pooled sandboxes$/m);
  // A killed pause is reparented to init, which reaps it in its own time.
  await untilWith(() => poolLeftovers(pooled).length === 0, 'the pool gone', { timeoutMs: 30_000, intervalMs: 200 }).catch(() =>
    assert.deepEqual(poolLeftovers(pooled), []),
  );
});
