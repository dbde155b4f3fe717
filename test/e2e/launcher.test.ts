/**
 * `bin/kubeling`, the launcher for machines whose own node is older than 24: run with only the system's
 * PATH (its node is whatever Debian ships) and through a symlink, as a user who linked it into
 * /usr/local/bin would, it prints no npm warning, and `kubeling server` started through it is the Node 24
 * process itself (the launcher execs it: no `npm exec` stays resident beside the server).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(ROOT, 'bin/kubeling');
const NODE24 = realpathSync(join(ROOT, 'node_modules/node/bin/node'));
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

test('through a symlink on the system PATH: usage on stdout, nothing on stderr', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-launcher-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(LAUNCHER, join(dir, 'kubeling'));
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile('kubeling', ['--help'], { env: { PATH: `${dir}:${SYSTEM_PATH}`, HOME: dir } }, (err, out, errOut) =>
      done({ code: err ? Number(err.code ?? 1) : 0, stdout: out, stderr: errOut }),
    );
  });
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
  assert.match(stdout, /^usage: kubeling COMMAND/);
});

test('kubeling server through the launcher is the Node 24 process itself, with no npm warning', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-launcher-'));
  const child = spawn(LAUNCHER, ['server', '--runtime', 'fake', '--storage', 'memory', '--no-agent', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
    env: { PATH: SYSTEM_PATH, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let stdout = '';
  await new Promise<void>((done, fail) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (/^ready/m.test(stdout)) done();
    });
    child.once('exit', (code) => fail(new Error(`server exited ${code} before ready: ${stderr}`)));
  });
  // The pid we started runs node 24's binary: the shell exec'd it, nothing sits between.
  assert.equal(realpathSync(readlinkSync(`/proc/${child.pid}/exe`)), NODE24);
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /npm warn|EBADENGINE/i);
});
