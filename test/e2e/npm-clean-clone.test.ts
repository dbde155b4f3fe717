/**
 * The first minutes of a user with the machine's own node and npm (here Node 20, older than the Node 24 kubeling
 * runs on): a fresh `git clone` of this repository's committed HEAD, then what the README's set-up commands run
 * through npm: `npm ci` (both `npm ci && npm run demo` and `.ci/run` start with it), `npm run` (as `npm run demo`
 * does; here on `kubeling --help`, the demo itself needs root and containers) and `npx kubeling --help`. None of
 * them may print an npm warning: npm checks `engines` against its own node, not the Node 24 the clone installs
 * and runs on, so without the project's .npmrc every one of them prints EBADENGINE blocks. The clone reuses the
 * machine's npm cache; nothing it installs outlives the test (the clone, and npx's link to it in the cache).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { which } from '../prerequisites.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const npm = which('npm', SYSTEM_PATH);
const npx = which('npx', SYSTEM_PATH);
const why = npm === undefined || npx === undefined ? `no npm and npx on ${SYSTEM_PATH} (the machine's own: apt-get install npm)` : undefined;

/** A user's shell: the system PATH, their HOME (and npm cache), none of the npm_* variables `npm test` sets. */
const userEnv: NodeJS.ProcessEnv = { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? homedir(), LANG: 'C.UTF-8' };

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, env: userEnv, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** npx links the clone into `<cache>/_npx/<hash>/node_modules/kubeling`; those links go with the clone. */
function removeNpxLinksTo(clone: string): void {
  const npxDir = join(userEnv.HOME!, '.npm', '_npx');
  if (!existsSync(npxDir)) return;
  for (const entry of readdirSync(npxDir)) {
    const link = join(npxDir, entry, 'node_modules', 'kubeling');
    try {
      if (resolve(join(npxDir, entry, 'node_modules'), readlinkSync(link)) === clone) rmSync(join(npxDir, entry), { recursive: true, force: true });
    } catch {
      // not a link of ours
    }
  }
}

test('a clean clone: npm ci, npm run and npx kubeling print no npm warning on the system node', { skip: why, timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-clone-'));
  const clone = join(dir, 'kubeling');
  t.after(() => {
    removeNpxLinksTo(clone);
    rmSync(dir, { recursive: true, force: true });
  });
  const systemNode = (await run('node', ['--version'], dir)).stdout.trim();
  t.diagnostic(`system node ${systemNode}`);

  const cloned = await run('git', ['clone', '--quiet', ROOT, clone], dir);
  assert.equal(cloned.code, 0, cloned.stderr);

  const ci = await run(npm!, ['ci'], clone);
  assert.equal(ci.code, 0, ci.stderr);
  assert.doesNotMatch(ci.stdout + ci.stderr, /npm warn/i);
  assert.match(ci.stdout, /^added \d+ packages/m);

  const script = await run(npm!, ['run', 'kubeling', '--', '--help'], clone, 60_000);
  assert.equal(script.code, 0, script.stderr);
  assert.doesNotMatch(script.stdout + script.stderr, /npm warn/i);
  assert.match(script.stdout, /^usage: kubeling COMMAND/m);

  const exec = await run(npx!, ['kubeling', '--help'], clone, 60_000);
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stderr, '', 'nothing from npm');
  assert.match(exec.stdout, /^usage: kubeling COMMAND/);
});
