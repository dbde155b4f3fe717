/**
 * `kubectl port-forward` and `kubectl debug` against real containers (`kubeling server --runtime oci`, the real
 * kubectl): an HTTP GET through a forwarded local port reaches a busybox httpd in the pod (one port, then two at
 * once), and an ephemeral container added by `kubectl debug` runs inside the pod: it shares the pod's network
 * (reaches the app on localhost), with `--target` sees the target container's processes, takes piped stdin
 * (`-i`), and its status shows in the pod. After every pod: nothing of it left on the machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { ServerHandle } from './helpers/server.ts';
import { waitForOutput } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import {
  apply,
  deleteAndCheckClean,
  getPod,
  ociServerForFile,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});
const skip = { skip: why };

/** A pod whose two containers serve different files on 8080 and 8081 (one port space: the pod's). */
const webPod = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo served by web on 8080 > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
    - containerPort: 8080
  - name: other
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo served by other on 8081 > /www/index.html && exec httpd -f -p 8081 -h /www"]
    ports:
    - containerPort: 8081
`;

async function stopKubectl(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** The local ports kubectl picked, in the order of `remotes`, from its `Forwarding from 127.0.0.1:L -> R` lines. */
async function forwardedPorts(child: ChildProcess, remotes: number[]): Promise<number[]> {
  const pattern = new RegExp(remotes.map((r) => `Forwarding from 127\\.0\\.0\\.1:\\d+ -> ${r}`).join('[^]*'));
  const out = await waitForOutput(child.stdout!, pattern, 30_000);
  return remotes.map((r) => Number(new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${r}\\b`).exec(out)![1]));
}

async function httpGet(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/index.html`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  return res.text();
}

test('kubectl port-forward pod/X :8080 serves the pod httpd file on a local port; two ports at once', skip, async (t) => {
  await apply(server, webPod('fwd'));
  await waitForPod(server, 'fwd', running, 'both httpd containers Running');

  const one = server.spawnKubectl(['port-forward', 'pod/fwd', ':8080']);
  t.after(() => stopKubectl(one));
  const [local] = await forwardedPorts(one, [8080]);
  assert.equal(await httpGet(local!), 'served by web on 8080\n');
  // A second request through the same forward opens a new stream to the pod.
  assert.equal(await httpGet(local!), 'served by web on 8080\n');
  await stopKubectl(one);

  const two = server.spawnKubectl(['port-forward', 'fwd', ':8080', ':8081']);
  t.after(() => stopKubectl(two));
  const [a, b] = await forwardedPorts(two, [8080, 8081]);
  const [fromA, fromB] = await Promise.all([httpGet(a!), httpGet(b!)]);
  assert.equal(fromA, 'served by web on 8080\n');
  assert.equal(fromB, 'served by other on 8081\n');
  await stopKubectl(two);

  await deleteAndCheckClean(server, 'fwd', ['--grace-period=1']);
});

test('kubectl port-forward to a port nothing listens on: kubectl prints the kubelet error and ends the forward', skip, async (t) => {
  await apply(server, webPod('fwd-closed'));
  await waitForPod(server, 'fwd-closed', running, 'Running');
  const uid = (await getPod(server, 'fwd-closed'))!.metadata!.uid!;
  const child = server.spawnKubectl(['port-forward', 'pod/fwd-closed', ':9999']);
  t.after(() => stopKubectl(child));
  // kubectl 1.32 prints the kubelet's error from the error stream, then gives up on the whole forward.
  const failed = waitForOutput(child.stderr!, /error: lost connection to pod/, 60_000);
  const [local] = await forwardedPorts(child, [9999]);
  await assert.rejects(fetch(`http://127.0.0.1:${local}/`, { signal: AbortSignal.timeout(30_000) }));
  // The kubelet's words are upstream's: "error forwarding port P to pod NAME_NAMESPACE, uid UID: <dial error>".
  assert.match(
    await failed,
    new RegExp(`an error occurred forwarding ${local} -> 9999: error forwarding port 9999 to pod fwd-closed_default, uid ${uid}: failed to connect to localhost:9999 inside namespace \\\\"/run/netns/[^"]+\\\\": nc: can't connect to remote host \\(127\\.0\\.0\\.1\\): Connection refused`),
  );
  await stopKubectl(child);
  await deleteAndCheckClean(server, 'fwd-closed', ['--grace-period=1']);
});

test('kubectl debug adds an ephemeral container that runs in the pod: localhost, --target processes, stdin, status', skip, async () => {
  await apply(server, webPod('dbg'));
  const before = await waitForPod(server, 'dbg', running, 'Running');

  // Non-interactive: the debug container reaches the app over the pod's localhost.
  const add = await server.kubectl([
    'debug', 'dbg', '--image=busybox:1.35', '-c', 'dbg', '--',
    'wget', '-q', '-O', '-', 'http://localhost:8080/index.html',
  ]);
  assert.equal(add.code, 0, add.stderr);
  const exited = await waitForPod(
    server,
    'dbg',
    (p) => p.status?.ephemeralContainerStatuses?.find((c) => c.name === 'dbg')?.state?.terminated !== undefined,
    'the ephemeral container dbg to terminate',
  );
  const dbg = exited.status!.ephemeralContainerStatuses!.find((c) => c.name === 'dbg')!;
  assert.equal(dbg.state!.terminated!.exitCode, 0);
  assert.equal(dbg.state!.terminated!.reason, 'Completed');
  assert.equal(dbg.image, 'docker.io/library/busybox:1.35');
  assert.match(dbg.containerID ?? '', /^kubeling-oci:\/\//);
  assert.equal((await server.kubectl(['logs', 'dbg', '-c', 'dbg'])).stdout, 'served by web on 8080\n');
  // The app containers were not touched.
  for (const c of exited.status!.containerStatuses!) {
    assert.equal(c.restartCount, 0);
    assert.equal(c.containerID, before.status!.containerStatuses!.find((b) => b.name === c.name)!.containerID);
  }
  const yaml = await server.kubectl(['get', 'pod', 'dbg', '-o', 'yaml']);
  assert.match(yaml.stdout, /\n {2}ephemeralContainerStatuses:\n {2}- containerID: kubeling-oci:\/\/\w+\n[^]*? {4}name: dbg\n/);
  assert.match(yaml.stdout, /\n {2}ephemeralContainers:\n {2}- command:\n {4}- wget\n/);

  // --target: the debug container joins the web container's PID namespace and sees its httpd.
  const target = await server.kubectl([
    'debug', 'dbg', '--image=busybox:1.35', '-c', 'dbg-target', '--target=web', '--', 'ps', '-o', 'pid,args',
  ]);
  assert.equal(target.code, 0, target.stderr);
  await waitForPod(
    server,
    'dbg',
    (p) => p.status?.ephemeralContainerStatuses?.find((c) => c.name === 'dbg-target')?.state?.terminated !== undefined,
    'dbg-target to terminate',
  );
  const ps = (await server.kubectl(['logs', 'dbg', '-c', 'dbg-target'])).stdout;
  assert.match(ps, /httpd -f -p 8080/);
  assert.doesNotMatch(ps, /httpd -f -p 8081/, 'only the target container processes, not the other container');

  // Interactive with stdin piped (-i, attached): the shell reads its commands from kubectl's stdin.
  const interactive = await server.kubectl(
    ['debug', '-i', 'dbg', '--image=busybox:1.35', '-c', 'dbg-shell', '--target=web', '--', 'sh'],
    { input: 'wget -q -O - http://localhost:8081/index.html\nps -o args | grep -c "[h]ttpd -f -p 8080"\nexit 3\n', timeoutMs: 90_000 },
  );
  assert.match(interactive.stdout, /served by other on 8081\n1\n/);
  // An attach (unlike exec) reports no exit code to kubectl, upstream as here; the pod status holds it.
  assert.equal(interactive.code, 0, interactive.stderr);
  const shell = await until(
    async () => (await getPod(server, 'dbg'))?.status?.ephemeralContainerStatuses?.find((c) => c.name === 'dbg-shell' && c.state?.terminated),
    'dbg-shell terminated in the pod status',
  );
  assert.equal(shell.state!.terminated!.exitCode, 3);
  assert.equal(shell.state!.terminated!.reason, 'Error');

  const names = (await getPod(server, 'dbg'))!.spec!.ephemeralContainers!.map((c) => c.name);
  assert.deepEqual(names, ['dbg', 'dbg-target', 'dbg-shell']);
  await deleteAndCheckClean(server, 'dbg', ['--grace-period=1']);
});
