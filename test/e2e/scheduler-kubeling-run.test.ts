/**
 * `kubeling run FILE.yaml` end to end on the fake runtime: it starts its own server, creates the file's
 * objects, prints status rows and container logs, exits 0 when every pod succeeded (1 when one failed), and
 * on Ctrl-C deletes its pods, stops the server and exits 130, leaving no process or temp dir behind. Pods of
 * the file's workloads are followed too: Jobs end the run when Complete or Failed; StatefulSets, DaemonSets
 * and ReplicationControllers (like Deployments) run until Ctrl-C.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBELING_BIN, waitForOutput } from './helpers/server.ts';

function manifest(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function run(args: string[]) {
  const child = spawn(process.execPath, [KUBELING_BIN, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('runs a pod to completion, with its status rows and logs, and exits 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = manifest(dir, 'job.yaml', `apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  restartPolicy: Never
  containers:
  - name: say
    image: busybox:1.35
    command: ["sh", "-c", "echo hello from kubeling; exit 0"]
`);
  const r = run([file, '--runtime', 'fake']);
  const code = await r.exited;
  assert.equal(code, 0, r.err());
  const lines = r.out().split('\n');
  assert.equal(lines[0], 'pod/hello created');
  assert.match(lines[1]!, /^NAME\s+READY\s+STATUS\s+RESTARTS$/);
  // The first row shows the pod before it runs: Pending, or ContainerCreating when it was bound before the
  // first row printed.
  assert.match(lines[2]!, /^hello\s+0\/1\s+(Pending|ContainerCreating)\s+0$/, r.out());
  assert.ok(lines.some((l) => /^hello\s+0\/1\s+Completed\s+0$/.test(l)), r.out());
  assert.ok(lines.includes('[hello/say] hello from kubeling'), r.out());
  assert.ok(lines.includes('all pods completed'));
});

test('a failing pod makes it exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = manifest(dir, 'fail.yaml', `apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", "exit 3"]
`);
  const r = run([file, '--runtime', 'fake']);
  assert.equal(await r.exited, 1, r.err());
  assert.match(r.out(), /^broken\s+0\/1\s+Error\s+0$/m);
  assert.match(r.out(), /1 pod\(s\) failed: broken/);
});

test('Ctrl-C deletes the pods, stops the embedded server and exits 130', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  const data = join(dir, 'data');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = manifest(dir, 'long.yaml', `apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: Pod
metadata:
  name: server
  namespace: demo
spec:
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "echo serving; sleep 3600"]
`);
  const r = run([file, '--runtime', 'fake', '--data-dir', data]);
  await waitForOutput(r.child.stdout, /\[server\/web\] serving/, 60_000);
  assert.match(r.out(), /^namespace\/demo created$/m);
  assert.match(r.out(), /^server\s+1\/1\s+Running\s+0$/m);
  r.child.kill('SIGINT');
  assert.equal(await r.exited, 130, r.err());
  assert.match(r.out(), /deleted 1 pod\(s\)/);
  // --data-dir given: kept, and the server wrote its log there; no server process is left (it was awaited).
  assert.ok(existsSync(join(data, 'server.log')));
});

test('a pod that cannot be scheduled shows why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = manifest(dir, 'picky.yaml', `apiVersion: v1
kind: Pod
metadata:
  name: picky
spec:
  nodeSelector: {disktype: ssd}
  containers:
  - name: c
    image: busybox:1.35
`);
  const r = run([file, '--runtime', 'fake']);
  await waitForOutput(r.child.stdout, /picky: Unschedulable: /, 60_000);
  assert.match(r.out(), /^ {2}picky: Unschedulable: 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector\. preemption: /m);
  r.child.kill('SIGINT');
  assert.equal(await r.exited, 130, r.err());
});

test('a Deployment: its pods are shown until Ctrl-C, then go with it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = manifest(dir, 'deploy.yaml', `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "echo up; sleep 3600"]
`);
  const r = run([file, '--runtime', 'fake']);
  await waitForOutput(r.child.stdout, /(\[web-[a-z0-9]+-[a-z0-9]{5}\/c\] up[\s\S]*){2}/, 60_000);
  const running = r.out().match(/^web-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0$/gm) ?? [];
  assert.equal(running.length, 2, r.out());
  r.child.kill('SIGINT');
  assert.equal(await r.exited, 130, r.err());
  assert.match(r.out(), /deleted 2 pod\(s\)/);
});

test('Jobs: their pods are shown, the run ends when both are finished, and the failed one makes it exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const job = (name: string, spec: string, command: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "${command}"]
`;
  const file = manifest(dir, 'jobs.yaml', `${job('twice', '  completions: 2', 'echo once more; exit 0')}---\n${job('doomed', '  backoffLimit: 0', 'exit 4')}`);
  const r = run([file, '--runtime', 'fake']);
  assert.equal(await r.exited, 1, r.err());
  const out = r.out();
  assert.match(out, /^job\/twice created$/m);
  assert.equal((out.match(/^\[twice-[a-z0-9]{5}\/c\] once more$/gm) ?? []).length, 2, out);
  assert.match(out, /^twice-[a-z0-9]{5}\s+0\/1\s+Completed\s+0$/m);
  assert.match(out, /^doomed-[a-z0-9]{5}\s+0\/1\s+Error\s+0$/m);
  assert.match(out, /^job\/twice Complete$/m);
  assert.match(out, /^job\/doomed Failed \(BackoffLimitExceeded\)$/m);
  assert.match(out, /^1 job\(s\) failed: job\/doomed$/m);
  assert.doesNotMatch(out, /pod\(s\) failed/, "the Job's failed pod counts through its Job only");
});

test('a StatefulSet, a DaemonSet and a ReplicationController: their pods are shown until Ctrl-C', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const template = (app: string) => `  template:
    metadata:
      labels: {app: ${app}}
    spec:
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "echo ${app} up; sleep 3600"]`;
  const file = manifest(dir, 'serving.yaml', `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
${template('db')}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
${template('agent')}
---
apiVersion: v1
kind: ReplicationController
metadata:
  name: legacy
spec:
  replicas: 1
  selector: {app: legacy}
${template('legacy')}
`);
  const r = run([file, '--runtime', 'fake']);
  await waitForOutput(r.child.stdout, /(?=[\s\S]*\[db-1\/c\] db up)(?=[\s\S]*\[agent-[a-z0-9]{5}\/c\] agent up)(?=[\s\S]*\[legacy-[a-z0-9]{5}\/c\] legacy up)/, 90_000);
  const out = r.out();
  assert.match(out, /^db-0\s+1\/1\s+Running\s+0$/m);
  assert.match(out, /^db-1\s+1\/1\s+Running\s+0$/m);
  assert.match(out, /^agent-[a-z0-9]{5}\s+1\/1\s+Running\s+0$/m);
  assert.match(out, /^legacy-[a-z0-9]{5}\s+1\/1\s+Running\s+0$/m);
  r.child.kill('SIGINT');
  assert.equal(await r.exited, 130, r.err());
  assert.match(r.out(), /deleted 4 pod\(s\)/);
  // The ReplicationController is deleted as kubectl deletes it (Background): with v1's default (orphan) its pod
  // would outlive the run and the node would stop holding its volume.
  assert.doesNotMatch(r.err(), /still holds/);
});

test('bad input: a missing file and an unknown kind are one-line errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = run([join(dir, 'nope.yaml')]);
  assert.equal(await missing.exited, 1);
  assert.match(missing.err(), /kubeling run: .*nope\.yaml: no such file/);
  const widget = run([manifest(dir, 'w.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n')]);
  assert.equal(await widget.exited, 1);
  assert.match(widget.err(), /no resource serves example\.com\/v1 Widget/);
  const usage = run([]);
  assert.equal(await usage.exited, 2);
  assert.match(usage.err(), /a manifest file is required/);
});
