/**
 * `kubectl exec -it` through a real pseudo-terminal (a tmux session): an interactive shell in a real container
 * on a pty of its own, typed into, resized (`stty size` follows the tmux window), and left with an exit code
 * that kubectl passes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KUBECTL, startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import {
  apply,
  deleteAllPods,
  deleteAndCheckClean,
  importBusybox,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers, missingTmux } from '../prerequisites.ts';

const why = missingRealContainers() ?? missingTmux();

test('kubectl exec -it from a terminal (tmux): an interactive shell and its exit code', { skip: why }, async (t) => {
  const server: ServerHandle = await startServer({ runtime: 'oci', storage: 'memory' });
  const session = `kubelet-e2e-${process.pid}`;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'kubelet-tty-'));
  t.after(async () => {
    try {
      execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    await deleteAllPods(server);
    await server.stop();
    await fs.rm(work, { recursive: true, force: true });
  });
  await importBusybox(server);
  await apply(
    server,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: tty\nspec:\n  containers:\n  - name: sh\n    image: busybox:1.35\n    command: ["sleep", "3600"]\n`,
  );
  await waitForPod(server, 'tty', running, 'Running');

  const exitFile = path.join(work, 'exit');
  const env = server.kubectlEnv;
  const cmd = `env KUBECONFIG=${env.KUBECONFIG} HOME=${env.HOME} ${KUBECTL} --cache-dir ${env.HOME}/.kube/cache exec -it tty -- sh; echo "EXIT=$?" > ${exitFile}; sleep 30`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', cmd]);
  const pane = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
  const waitPane = async (re: RegExp) => {
    let text = '';
    return untilWith(
      () => {
        text = pane();
        return re.test(text) && text;
      },
      `the pane to match ${re}`,
      { timeoutMs: 30_000, retryErrors: false, detail: () => text },
    );
  };
  await waitPane(/^\/ [#$]\s*$/m);
  execFileSync('tmux', ['send-keys', '-t', session, 'echo answer=$((6*7))', 'Enter']);
  await waitPane(/^answer=42\s*$/m);
  // A real pseudo-terminal (the oci runtime's conmon exec -t), sized as the terminal kubectl runs in (kubectl
  // sends the size on channel 4 at start), and following it when the terminal is resized (SIGWINCH in kubectl
  // → another resize message → the pty's winsize).
  const paneSize = () =>
    execFileSync('tmux', ['display-message', '-p', '-t', session, '#{pane_height} #{pane_width}'], {
      encoding: 'utf8',
    }).trim();
  const initial = paneSize(); // 100 columns; 30 rows less tmux's status line
  execFileSync('tmux', ['send-keys', '-t', session, 'echo tty=$(tty) size=$(stty size)', 'Enter']);
  await waitPane(new RegExp(`^tty=/dev/pts/\\d+ size=${initial}\\s*$`, 'm'));
  execFileSync('tmux', ['resize-window', '-t', session, '-x', '120', '-y', '40']);
  const after = paneSize();
  assert.notEqual(after, initial);
  // The resize travels asynchronously; ask until the new size shows (each answer on its own line).
  // Each ask types the command again (the poll's interval lets its answer arrive before the next look).
  await untilWith(
    () => {
      const shown = pane()
        .split('\n')
        .some((l) => l.trim() === `now=${after}`);
      if (!shown) execFileSync('tmux', ['send-keys', '-t', session, 'clear; echo now=$(stty size)', 'Enter']);
      return shown;
    },
    `stty size to show ${after} after the resize`,
    { timeoutMs: 20_000, intervalMs: 500, retryErrors: false, detail: pane },
  );
  execFileSync('tmux', ['send-keys', '-t', session, 'exit 5', 'Enter']);
  const exit = await untilWith(() => fs.readFile(exitFile, 'utf8'), `kubectl's exit status in ${exitFile}`, {
    timeoutMs: 30_000,
  });
  assert.equal(exit.trim(), 'EXIT=5');
  await deleteAndCheckClean(server, 'tty', ['--grace-period=1']);
});
