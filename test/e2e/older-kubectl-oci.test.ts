/**
 * The streams of older kubectl clients on real containers (`kubeling server --runtime oci`): kubectl 1.22 and
 * 1.29 speak SPDY/3.1 for exec, attach and port-forward (1.22 offers the remote-command protocols up to
 * v4.channel.k8s.io). `exec -i` pipes stdin through a command and returns its exit code, `attach -i` feeds a
 * container's stdin (stdinOnce: its EOF ends the container) and prints what it answers, and `port-forward`
 * reaches busybox httpd in the pod from a local port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerHandle } from './helpers/server.ts';
import { waitForOutput } from './helpers/server.ts';
import { OLDER_KUBECTL_MINORS, olderKubectl } from './helpers/older-kubectl.ts';
import { apply, ociServerForFile, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});

const pods = (minor: number) => `apiVersion: v1
kind: Pod
metadata:
  name: web-${minor}
spec:
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo served to 1.${minor} > /www/index.html && exec httpd -f -p 8080 -h /www"]
---
apiVersion: v1
kind: Pod
metadata:
  name: reader-${minor}
spec:
  restartPolicy: Never
  containers:
  - name: reader
    image: busybox:1.35
    stdin: true
    stdinOnce: true
    command: ["sh", "-c", "while read l; do echo \\"got $l\\"; done; echo bye"]
`;

for (const minor of OLDER_KUBECTL_MINORS) {
  test(`kubectl 1.${minor} on real containers: exec -i, attach -i and port-forward over SPDY`, { skip: why }, async (t) => {
    const kubectl = await olderKubectl(server, minor);
    await apply(server, pods(minor));
    await waitForPod(server, `web-${minor}`, running, 'httpd Running');
    await waitForPod(server, `reader-${minor}`, running, 'the reader Running');

    const exec = await kubectl.run(['exec', '-i', `web-${minor}`, '--', 'sh', '-c', 'tr a-z A-Z; echo err >&2; exit 5'], { input: 'piped through\n' });
    assert.equal(exec.stdout, 'PIPED THROUGH\n');
    assert.match(exec.stderr, /^err$/m);
    assert.match(exec.stderr, /command terminated with exit code 5/);
    assert.equal(exec.code, 5);

    const attach = await kubectl.run(['attach', '-i', `reader-${minor}`], { input: 'one\ntwo\n' });
    assert.equal(attach.code, 0, attach.stderr);
    assert.equal(attach.stdout, 'got one\ngot two\nbye\n');

    const forward = kubectl.spawn(['port-forward', `pod/web-${minor}`, ':8080']);
    const stopped = once(forward, 'exit');
    t.after(async () => {
      if (forward.exitCode === null && forward.signalCode === null) forward.kill('SIGTERM');
      await stopped;
    });
    const out = await waitForOutput(forward.stdout!, /Forwarding from 127\.0\.0\.1:\d+ -> 8080/, 30_000);
    const local = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)![1]);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${local}/index.html`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), `served to 1.${minor}\n`);
    }
  });
}
