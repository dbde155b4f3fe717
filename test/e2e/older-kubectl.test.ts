/**
 * Older kubectl clients against `kubeling server` (fake runtime): kubectl 1.22, the oldest on npm, which reads
 * legacy discovery and OpenAPI v2 (gnostic protobuf) for apply's validation and patches, explain and edit, and
 * 1.29, the last whose exec, attach and port-forward speak SPDY/3.1 by default. Each runs the commands a user
 * of that version types: version, apply (create, then a changed file: client-side apply's three-way patch from
 * the last-applied annotation), get (the server's Table, -o wide, -o yaml), describe, explain, edit (a
 * KUBE_EDITOR script), logs, exec (SPDY, exit code), attach (SPDY), port-forward (SPDY; the fake runtime's port
 * echoes), wait, auth can-i and delete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { OLDER_KUBECTL_MINORS, olderKubectl, type OlderKubectl } from './helpers/older-kubectl.ts';
import type { ChildProcess } from 'node:child_process';

let server: ServerHandle;
before(async () => {
  server = await startServer({ runtime: 'fake', storage: 'memory' });
});
after(async () => {
  await server?.stop();
});

const pod = (name: string, labels: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "echo hello from ${name}"]
    stdin: true
    ports:
    - containerPort: 8080
`;

async function ok(kubectl: OlderKubectl, args: string[], options?: Parameters<OlderKubectl['run']>[1]): Promise<string> {
  const r = await kubectl.run(args, options);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** Sends `text` through local port `port` and resolves with what comes back once `text.length` bytes have. */
async function echoThrough(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(text);
  let got = '';
  for await (const chunk of socket) {
    got += String(chunk);
    if (got.length >= text.length) break;
  }
  socket.destroy();
  return got;
}

for (const minor of OLDER_KUBECTL_MINORS) {
  test(`kubectl 1.${minor}: apply, get, describe, explain, edit, logs, exec, attach, port-forward, wait, can-i, delete`, async (t) => {
    const kubectl = await olderKubectl(server, minor);
    const name = `web-${minor}`;

    const version = await kubectl.run(['version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, new RegExp(`Client Version: .*v1\\.${minor}\\.`));
    assert.match(version.stdout, /Server Version: .*v1\.32\.0\+kubeling/);

    // apply: create, then a changed file. The three-way patch drops a label the file no longer has, which it
    // can only know from the last-applied annotation of the first apply.
    assert.match(await ok(kubectl, ['apply', '-f', '-'], { input: pod(name, 'app: web, tier: one, old: x') }), new RegExp(`pod/${name} created`));
    await ok(kubectl, ['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=60s']);
    assert.match(await ok(kubectl, ['apply', '-f', '-'], { input: pod(name, 'app: web, tier: two') }), new RegExp(`pod/${name} configured`));
    const applied = JSON.parse(await ok(kubectl, ['get', 'pod', name, '-o', 'json'])) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    assert.deepEqual(applied.metadata.labels, { app: 'web', tier: 'two' });
    const last = JSON.parse(applied.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']!) as { metadata: { labels: unknown } };
    assert.deepEqual(last.metadata.labels, { app: 'web', tier: 'two' });

    // apply validates on the client against OpenAPI v2 (1.22) or has the server validate strictly (1.29).
    const bad = await kubectl.run(['apply', '-f', '-'], { input: pod('bad', 'app: web').replace('image: busybox', 'imagee: x\n    image: busybox') });
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      minor === 22
        ? /ValidationError\(Pod\.spec\.containers\[0\]\): unknown field "imagee" in io\.k8s\.api\.core\.v1\.Container/
        : /strict decoding error: unknown field "spec\.containers\[0\]\.imagee"/,
    );

    // get: the server's Table (the columns come from the server; kubectl has no printer of its own for them).
    const table = await ok(kubectl, ['get', 'pods', name]);
    assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(table, new RegExp(`^${name}\\s+1/1\\s+Running\\s+0\\s+\\S+$`, 'm'));
    assert.match(await ok(kubectl, ['get', 'pods', name, '-o', 'wide']), /NOMINATED NODE\s+READINESS GATES\n/);
    assert.match(await ok(kubectl, ['get', 'nodes']), /\sReady\s+control-plane\s/);
    assert.match(await ok(kubectl, ['get', 'pod', name, '-o', 'yaml']), new RegExp(`^  name: ${name}$`, 'm'));

    const described = await ok(kubectl, ['describe', 'pod', name]);
    assert.match(described, new RegExp(`^Name:\\s+${name}$`, 'm'));
    assert.match(described, /^Status:\s+Running$/m);
    assert.match(described, /^\s+tier=two$/m);

    // explain: 1.22 reads OpenAPI v2, 1.29 v3.
    const explained = await ok(kubectl, ['explain', 'pod.spec.containers']);
    assert.match(explained, /^KIND:\s+Pod$/m);
    assert.match(explained, /^\s+image\s+<string>/m);

    // edit: kubectl writes the object to a file, runs the editor on it and patches what changed.
    const editor = join(server.dataDir, `editor-${minor}.sh`);
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/tier: two/tier: edited/' "$1"\n`, { mode: 0o755 });
    assert.match(await ok(kubectl, ['edit', `pod/${name}`], { env: { KUBE_EDITOR: editor } }), new RegExp(`pod/${name} edited`));
    assert.match(await ok(kubectl, ['get', 'pod', name, '--show-labels']), /app=web,tier=edited/);

    assert.equal(await ok(kubectl, ['logs', name]), `hello from ${name}\n`);

    // exec over SPDY (these versions' default): output and the exit code from the v4 error stream.
    // -v=6 shows the upgrade; the exit code is checked without it (1.22 at -v=6 turns an error into a stack
    // dump and exit 255).
    const upgrade = await kubectl.run(['exec', name, '-v=6', '--', 'sh', '-c', 'echo out']);
    assert.match(upgrade.stderr, new RegExp(`POST \\S+/pods/${name}/exec\\?\\S+ 101 Switching Protocols`));
    assert.equal(upgrade.stdout, 'out\n');
    const exec = await kubectl.run(['exec', name, '--', 'sh', '-c', 'echo out; exit 3']);
    assert.equal(exec.stdout, 'out\n');
    assert.match(exec.stderr, /command terminated with exit code 3/);
    assert.equal(exec.code, 3);

    // port-forward over SPDY: one data stream per local connection.
    const forward = kubectl.spawn(['port-forward', `pod/${name}`, ':8080']);
    t.after(() => forward.kill('SIGKILL'));
    const forwarding = await waitForOutput(forward.stdout!, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/, 30_000);
    const local = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(forwarding)![1]);
    assert.equal(await echoThrough(local, 'ping\n'), 'ping\n');
    assert.equal(await echoThrough(local, 'second connection\n'), 'second connection\n');
    forward.kill('SIGTERM');
    await exited(forward);

    // attach over SPDY: the session holds until the container stops (here: its pod is deleted).
    const attach = kubectl.spawn(['attach', '-i', name, '-v=6']);
    t.after(() => attach.kill('SIGKILL'));
    await waitForOutput(attach.stderr!, new RegExp(`POST \\S+/pods/${name}/attach\\?\\S+ 101 Switching Protocols`), 30_000);

    assert.equal((await ok(kubectl, ['auth', 'can-i', 'create', 'pods'])).trim(), 'yes');
    assert.match(await ok(kubectl, ['auth', 'can-i', '--list']), /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);

    assert.match(await ok(kubectl, ['delete', 'pod', name, '--wait=false']), new RegExp(`pod "${name}" deleted`));
    await ok(kubectl, ['wait', '--for=delete', `pod/${name}`, '--timeout=60s']);
    assert.equal(await exited(attach), 0, 'attach ends cleanly with its container');
    const gone = await kubectl.run(['get', 'pod', name]);
    assert.match(gone.stderr, new RegExp(`pods "${name}" not found`));
  });
}
