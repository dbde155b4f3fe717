/**
 * exec and attach over SPDY/3.1 against real containers (`kubeling server --runtime oci`), with the real
 * kubectl forced onto client-go's SPDY executor (`KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`) and with a raw
 * spdy-transport client through the API server: stdout, stderr, the exit code on the error stream, stdin.
 * Also `kubectl debug -it` on a terminal (script(1)) attached to its ephemeral container, `kubectl debug
 * node/<node>` with the host's root at /host, `kubectl debug --copy-to`, and `setHostnameAsFQDN`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerHandle } from './helpers/server.ts';
import { KUBECTL } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { apply, getPod, nodeName, ociServerForFile, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';
import { spdyExec } from '../../src/kubelet/server/testing/spdy-client.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});
const skip = { skip: why };

/** kubectl with its SPDY executor (client-go's, as before kubectl 1.30), stdin piped. */
function kubectlSpdy(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...server.kubectlEnv, KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const cache = ['--cache-dir', path.join(env.HOME ?? os.tmpdir(), '.kube', 'cache')];
    const p = execFile(KUBECTL, [...cache, ...args], { env, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    p.stdin!.end(input);
  });
}

/** The raw SPDY client through the API server's pods/exec or pods/attach, as the admin. */
function rawSpdy(subresource: 'exec' | 'attach', pod: string, query: string, stdin?: string) {
  return spdyExec({
    host: '127.0.0.1',
    port: server.port,
    path: `/api/v1/namespaces/default/pods/${pod}/${subresource}?${query}`,
    headers: { authorization: `Bearer ${server.token}` },
    tls: { ca: server.caPem },
    ...(stdin !== undefined ? { stdin } : {}),
  });
}

const sleeper = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`;

test('kubectl exec over SPDY (websockets off): stdout, stderr, exit code, stdin', skip, async () => {
  await apply(server, sleeper('spdy-exec'));
  await waitForPod(server, 'spdy-exec', running, 'Running');
  const r = await kubectlSpdy(['exec', 'spdy-exec', '-v=6', '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 7']);
  // client-go's SPDY executor POSTs the upgrade (its WebSocket executor GETs).
  assert.match(r.stderr, /POST https:\/\/\S+\/pods\/spdy-exec\/exec\?\S+ 101 Switching Protocols/);
  assert.equal(r.stdout, 'to-out\n');
  assert.match(r.stderr, /to-err\n/);
  assert.match(r.stderr, /command terminated with exit code 7/);
  assert.equal(r.code, 7);
  const cat = await kubectlSpdy(['exec', '-i', 'spdy-exec', '--', 'sh', '-c', 'tr a-z A-Z'], 'piped through\n');
  assert.equal(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout, 'PIPED THROUGH\n');
  // Large output crosses SPDY's flow-control windows.
  const big = await kubectlSpdy(['exec', 'spdy-exec', '--', 'seq', '1', '100000']);
  assert.equal(big.code, 0, big.stderr);
  assert.equal(big.stdout.split('\n').length, 100001);
});

test('a raw spdy-transport client through the API server: exec streams and the v4 Status; attach with stdin', skip, async () => {
  await apply(server, sleeper('spdy-raw'));
  await waitForPod(server, 'spdy-raw', running, 'Running');
  const cmd = ['sh', '-c', 'read l; echo "out $l"; echo err >&2; exit 3'].map((c) => `command=${encodeURIComponent(c)}`).join('&');
  const r = await rawSpdy('exec', 'spdy-raw', `${cmd}&stdin=true&stdout=true&stderr=true`, 'line\n');
  assert.equal(r.protocol, 'v4.channel.k8s.io');
  assert.equal(r.stdout, 'out line\n');
  assert.equal(r.stderr, 'err\n');
  const status = JSON.parse(r.error);
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);

  await apply(server, `apiVersion: v1
kind: Pod
metadata:
  name: spdy-attach
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox:1.35
    stdin: true
    stdinOnce: true
    command: ["sh", "-c", "while read l; do echo \\"got $l\\"; done; echo bye"]
`);
  await waitForPod(server, 'spdy-attach', running, 'Running');
  const a = await rawSpdy('attach', 'spdy-attach', 'container=c&stdin=true&stdout=true&stderr=true', 'one\ntwo\n');
  assert.equal(a.stdout, 'got one\ngot two\nbye\n');
  assert.deepEqual(JSON.parse(a.error), { metadata: {}, status: 'Success' });
});

test('kubectl debug -it on a terminal attaches to the new ephemeral container (SPDY and WebSocket)', skip, async () => {
  await apply(server, sleeper('dbg-it'));
  await waitForPod(server, 'dbg-it', running, 'Running');
  for (const [i, websockets] of [['1', 'true'], ['2', 'false']] as const) {
    // script(1) gives kubectl a pseudo-terminal, so -t is honoured; the shell reads what is typed there.
    const line = `${KUBECTL} --cache-dir ${path.join(server.kubectlEnv.HOME ?? '', '.kube', 'cache')} debug -it dbg-it --image=busybox:1.35 -c dbg${i} --target=c -- sh`;
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      const p = execFile('script', ['-qec', line, '/dev/null'], { env: { ...server.kubectlEnv, KUBECTL_REMOTE_COMMAND_WEBSOCKETS: websockets }, timeout: 90_000 }, (err, stdout) => {
        resolve({ code: err ? 1 : 0, stdout: String(stdout) });
      });
      // Typed once kubectl is attaching (its hint; the shell's first prompt came before the attach), then exit.
      let typed = false;
      let seen = '';
      p.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (typed || !seen.includes("If you don't see a command prompt, try pressing enter.")) return;
        typed = true;
        p.stdin!.write('echo tty-$((6*7)); tty; exit\n');
      });
    });
    assert.match(r.stdout, /tty-42/);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    await until(
      async () => (await getPod(server, 'dbg-it'))?.status?.ephemeralContainerStatuses?.find((c) => c.name === `dbg${i}` && c.state?.terminated),
      `dbg${i} terminated`,
    );
  }
});

test('kubectl debug node/<node>: a pod on the node with host namespaces and the host root at /host, attached', skip, async () => {
  const node = await nodeName(server);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubeling-nodedebug-'));
  try {
    await fs.writeFile(path.join(dir, 'marker'), 'from the host\n');
    const r = await kubectlSpdy(['debug', `node/${node}`, '-i', '--image=busybox:1.35', '--', 'sh'], `cat /host${dir}/marker\nexit\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /from the host\n/);
    const name = /Creating debugging pod (\S+) with container/.exec(r.stdout + r.stderr)?.[1];
    assert.ok(name, r.stdout + r.stderr);
    const pod = (await getPod(server, name))!;
    assert.equal(pod.spec!.nodeName, node);
    assert.equal(pod.spec!.hostPID, true);
    assert.equal(pod.spec!.hostNetwork, true);
    assert.equal(pod.spec!.hostIPC, true);
    const vol = pod.spec!.volumes!.find((v) => v.hostPath?.path === '/');
    assert.ok(vol);
    assert.equal(pod.spec!.containers[0]!.volumeMounts!.find((m) => m.name === vol.name)?.mountPath, '/host');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('kubectl debug --copy-to: a copy of the pod with the container changed', skip, async () => {
  await apply(server, sleeper('dbg-orig'));
  await waitForPod(server, 'dbg-orig', running, 'Running');
  const r = await server.kubectl(['debug', 'dbg-orig', '--copy-to=dbg-copy', '--container=c', '--image=busybox:1.35', '--', 'sh', '-c', 'echo in the copy; sleep 3600']);
  assert.equal(r.code, 0, r.stderr);
  await waitForPod(server, 'dbg-copy', running, 'Running');
  const logs = await until(async () => {
    const l = await server.kubectl(['logs', 'dbg-copy', '-c', 'c']);
    return l.stdout.includes('in the copy') ? l.stdout : undefined;
  }, 'the copy logs');
  assert.equal(logs, 'in the copy\n');
  assert.deepEqual((await getPod(server, 'dbg-orig'))!.spec!.containers[0]!.command, ['sleep', '3600']);
});

test('setHostnameAsFQDN: hostname in the container is <hostname>.<subdomain>.<ns>.svc.<domain>', skip, async () => {
  await apply(server, `apiVersion: v1
kind: Pod
metadata:
  name: fqdn
spec:
  hostname: db
  subdomain: backends
  setHostnameAsFQDN: true
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata:
  name: short
spec:
  hostname: db
  subdomain: backends
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`);
  await waitForPod(server, 'fqdn', running, 'Running');
  await waitForPod(server, 'short', running, 'Running');
  const fqdn = await server.kubectl(['exec', 'fqdn', '--', 'hostname']);
  assert.equal(fqdn.stdout, 'db.backends.default.svc.cluster.local\n', `kubectl exec fqdn: ${JSON.stringify(fqdn)}`);
  const short = await server.kubectl(['exec', 'short', '--', 'hostname']);
  assert.equal(short.stdout, 'db\n', `kubectl exec short: ${JSON.stringify(short)}`);
  assert.match((await server.kubectl(['exec', 'short', '--', 'cat', '/etc/hosts'])).stdout, /\tdb\.backends\.default\.svc\.cluster\.local\tdb\n/);
});
