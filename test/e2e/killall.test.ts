/**
 * `kubeling killall --data-dir DIR` after a server on real containers stopped with a pod running (pods
 * outlive it by design): the pod's containers, pause and conmon processes, its network namespace, every
 * mount under DIR, the node's CNI bridge and its nftables tables are gone, and it says what it removed.
 * While the server runs it refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBELING_BIN, startServer } from './helpers/server.ts';
import { conmonsUnder } from './helpers/conmon.ts';
import { untilWith } from './helpers/until.ts';
import { apply, importBusybox, podLeftovers, podSandboxes, running, waitForPod, getPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';
import { unmountUnder } from '../../src/runtime/oci/index.ts';

const why = missingRealContainers();

function killall(dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [KUBELING_BIN, 'killall', '--data-dir', dataDir], { timeout: 120_000 }, (err, stdout, stderr) =>
      done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' });
  } catch {
    return '';
  }
};

test('killall after a server stopped with a pod running leaves nothing of the node behind', { skip: why }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-killall-'));
  t.after(() => {
    unmountUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const server = await startServer({ runtime: 'oci', storage: 'memory', dataDir });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await server.stop();
  });
  await importBusybox(server);
  await apply(server, `apiVersion: v1
kind: Pod
metadata:
  name: stays
spec:
  containers:
  - name: app
    image: busybox:1.35
    command: ["sleep", "3600"]
`);
  await waitForPod(server, 'stays', running, 'Running', 90_000);
  const uid = (await getPod(server, 'stays'))!.metadata!.uid!;
  const [sandbox] = podSandboxes(dataDir, uid);
  assert.ok(sandbox, 'the pod has a sandbox');
  const record = JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')) as { bridge: string; tables: string[] };

  const refused = await killall(dataDir);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^kubeling killall: kubeling still runs on .* \(pid \d+\); stop it first\n$/);

  await server.stop();
  stopped = true;
  // By design the pod outlives the server.
  assert.ok(podLeftovers(uid).some((l) => l.startsWith('process')), 'the pod still runs after the server stopped');
  assert.ok(conmonsUnder(dataDir).length > 0);

  const res = await killall(dataDir);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^stopped pod default\/stays \(sandbox \w+\)$/m);
  assert.match(res.stdout, new RegExp(`^removed bridge ${record.bridge}$`, 'm'));

  // Killed processes are reparented to this machine's init, which reaps them in its own time: wait for that
  // (a zombie is dead already).
  await untilWith(async () => podLeftovers(uid).length === 0 && conmonsUnder(dataDir).length === 0, 'the pod\'s processes reaped', { timeoutMs: 30_000, intervalMs: 200 })
    .catch(() => assert.deepEqual([...podLeftovers(uid), ...conmonsUnder(dataDir).map((p) => `conmon ${p}`)], []));
  assert.doesNotMatch(sh('ip', ['netns', 'list']), new RegExp(`^${sandbox.netns}\\b`, 'm'));
  assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dataDir)).length, 0);
  assert.equal(sh('ip', ['link', 'show', record.bridge]), '');
  const tables = sh('nft', ['list', 'tables']);
  for (const table of record.tables) assert.doesNotMatch(tables, new RegExp(`\\b${table}\\b`));
});
