/**
 * The OCI tier on runc (the other OCI runtime the README names beside crun): the runtime conformance suite
 * and a real two-container pod on OciRuntime with `runtime: 'runc'`. The pod's containers share localhost,
 * the hostname and IPC, answer exec and write their logs; runc's own state (`runc state`, under the
 * runtime's --root) shows that runc, not crun, runs them; a graceful stop reports the exit codes, and the
 * sandbox removal leaves nothing in runc's state. The other oci integration files run on runc too with
 * KUBELING_OCI_RUNTIME=runc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRuntimeConformance } from '../../src/runtime/runtime.conformance.ts';
import { containerConfig, makeOciEnv, pollUntil, sandboxConfig, type OciTestEnv } from './oci-helpers.ts';
import { missingBinaries, missingRealContainers } from '../prerequisites.ts';

const skip = missingRealContainers() ?? missingBinaries(['runc']);

let env: OciTestEnv | undefined;
runRuntimeConformance(
  'oci (runc)',
  async () => {
    env = await makeOciEnv('runc', { runtime: 'runc' });
    return env.runtime;
  },
  { skip, cleanup: () => env?.cleanup() },
);

interface RuncState {
  id: string;
  status: string;
  pid: number;
}

test('a real pod on runc: shared localhost, hostname and IPC, exec, logs, graceful stop', { skip: skip || undefined }, async (t) => {
  const e = await makeOciEnv('runcpod', { runtime: 'runc' });
  t.after(() => e.cleanup());
  const runcRoot = join(e.root, 'runtime', 'run', 'crun');
  const runcState = (id: string) =>
    JSON.parse(execFileSync('runc', [`--root=${runcRoot}`, 'state', id], { encoding: 'utf8' })) as RuncState;
  const rt = e.runtime;
  const cfg = sandboxConfig(e, { name: 'runc-pod' });
  const sb = await rt.runPodSandbox(cfg);
  const web = await rt.createContainer(
    sb,
    containerConfig('web', [
      'sh',
      '-c',
      'mkdir -p /tmp/www && echo "hello from $(hostname)" > /tmp/www/index.html && echo web up && exec httpd -f -p 8080 -h /tmp/www',
    ]),
    cfg,
  );
  const client = await rt.createContainer(
    sb,
    containerConfig('client', ['sh', '-c', "trap 'echo client bye; exit 3' TERM; echo client up; while true; do sleep 0.2; done"]),
    cfg,
  );
  await Promise.all([rt.startContainer(web), rt.startContainer(client)]);

  // runc runs them: its state under the runtime's --root knows both, running, with the pids we report.
  for (const id of [web, client]) {
    const st = runcState(id);
    assert.equal(st.status, 'running');
    assert.equal(st.id, id);
    assert.ok(existsSync(join(runcRoot, id, 'state.json')), 'runc keeps state.json (crun does not)');
  }

  const body = await pollUntil(async () => {
    const r = await rt.execSync(client, ['wget', '-qO-', 'http://127.0.0.1:8080/'], 5000);
    return r.exitCode === 0 && r.stdout.toString();
  }, 'httpd on localhost from the other container');
  assert.equal(body, 'hello from runc-pod\n');
  const nsOf = async (c: string, ns: string) =>
    (await rt.execSync(c, ['readlink', `/proc/self/ns/${ns}`], 5000)).stdout.toString().trim();
  for (const ns of ['net', 'ipc', 'uts']) assert.equal(await nsOf(web, ns), await nsOf(client, ns), `one ${ns} namespace`);
  assert.notEqual(await nsOf(web, 'mnt'), await nsOf(client, 'mnt'), 'each its own mount namespace');
  const failed = await rt.execSync(client, ['sh', '-c', 'echo to-stderr >&2; exit 7'], 5000);
  assert.equal(failed.exitCode, 7);
  assert.equal(failed.stderr.toString(), 'to-stderr\n');

  // Graceful stop: the client's TERM trap runs and its exit code is reported; its log holds both lines.
  await rt.stopContainer(client, 10);
  const stopped = await rt.containerStatus(client);
  assert.equal(stopped.state, 'CONTAINER_EXITED');
  assert.equal(stopped.exitCode, 3);
  const logLines = readFileSync(stopped.logPath, 'utf8').trimEnd().split('\n').map((l) => l.split(' ').slice(3).join(' '));
  assert.deepEqual(logLines, ['client up', 'client bye']);
  assert.match(readFileSync((await rt.containerStatus(web)).logPath, 'utf8'), / stdout F web up\n/);

  await rt.removePodSandbox(sb);
  const left = execFileSync('runc', [`--root=${runcRoot}`, 'list', '-q'], { encoding: 'utf8' }).trim();
  assert.equal(left, '', 'runc has no container left');
});
