/**
 * The official `@kubernetes/client-node` (2.x) against `kubeling server` (fake runtime) on pods: an informer
 * sees a pod added, updated as the kubelet runs it, and deleted; `Exec` runs a command over its WebSocket
 * (v5.channel.k8s.io) with the output and the exit status on its status callback; `PortForward` carries a
 * local connection to a pod port over its WebSocket port-forward protocol (v4.channel.k8s.io, each channel's
 * first frame naming the port; the fake runtime's port echoes).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';

let server: ServerHandle;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
const namespace = 'default';

before(async () => {
  server = await startServer({ runtime: 'fake', storage: 'memory' });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
after(async () => {
  await server?.stop();
});

const pod = (name: string): k8s.V1Pod => ({
  metadata: { name },
  spec: { containers: [{ name: 'web', image: 'busybox:1.35', command: ['sleep', '3600'], ports: [{ containerPort: 8080 }] }] },
});

async function runningPod(name: string): Promise<void> {
  await core.createNamespacedPod({ namespace, body: pod(name) });
  await untilWith(async () => (await core.readNamespacedPod({ name, namespace })).status?.phase === 'Running', `${name} Running`, {
    timeoutMs: 60_000,
  });
}

test('an informer on pods sees the add, the kubelet\'s updates and the delete', async () => {
  const seen: string[] = [];
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace }));
  informer.on('add', (p) => seen.push(`add ${p.metadata?.name} ${p.status?.phase ?? '-'}`));
  informer.on('update', (p) => seen.push(`update ${p.metadata?.name} ${p.status?.phase ?? '-'}`));
  informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
  await informer.start();
  try {
    await core.createNamespacedPod({ namespace, body: pod('watched') });
    await untilWith(() => seen.includes('update watched Running'), 'an update with the pod Running', { timeoutMs: 60_000 });
    assert.equal(seen[0], 'add watched Pending', 'the add comes first, before the kubelet ran it');
    assert.equal(informer.get('watched', namespace)?.status?.phase, 'Running', 'the cache holds the newest pod');
    await core.deleteNamespacedPod({ name: 'watched', namespace, gracePeriodSeconds: 0 });
    await untilWith(() => seen.includes('delete watched'), 'the delete', { timeoutMs: 60_000 });
    assert.equal(seen.at(-1), 'delete watched');
    assert.equal(informer.get('watched', namespace), undefined);
  } finally {
    await informer.stop();
  }
});

/** Runs `command` in pod `name` with client-node's Exec; resolves with stdout, stderr and the final Status. */
async function exec(name: string, command: string[]): Promise<{ stdout: string; stderr: string; status: k8s.V1Status }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const status = await new Promise<k8s.V1Status>((resolve, reject) => {
    new k8s.Exec(kc).exec(namespace, name, 'web', command, stdout, stderr, null, false, resolve).catch(reject);
  });
  return { stdout: out, stderr: err, status };
}

test('Exec runs a command: its output, then Success or the non-zero exit code in the Status', async () => {
  await runningPod('exec-target');
  const good = await exec('exec-target', ['sh', '-c', 'echo hello']);
  assert.equal(good.stdout, 'hello\n');
  assert.equal(good.status.status, 'Success');
  const bad = await exec('exec-target', ['sh', '-c', 'echo before; exit 3']);
  assert.equal(bad.stdout, 'before\n');
  assert.equal(bad.status.status, 'Failure');
  assert.equal(bad.status.reason, 'NonZeroExitCode');
  assert.deepEqual(bad.status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('PortForward carries a local connection to a pod port', async (t) => {
  await runningPod('forward-target');
  const forward = new k8s.PortForward(kc);
  // What client-node's documentation does: a local server whose every connection is forwarded.
  const local = createServer((socket) => {
    void forward.portForward(namespace, 'forward-target', [8080], socket, null, socket).catch((e: unknown) => socket.destroy(e as Error));
  });
  local.listen(0, '127.0.0.1');
  await once(local, 'listening');
  t.after(() => local.close());
  const { port } = local.address() as AddressInfo;
  for (const text of ['ping\n', 'a second connection\n']) {
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    socket.write(text);
    let got = '';
    for await (const chunk of socket) {
      got += String(chunk);
      if (got.length >= text.length) break;
    }
    assert.equal(got, text);
    socket.destroy();
  }
});
