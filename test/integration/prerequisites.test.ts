/**
 * The prerequisites module and what CI does with a skip: with crun taken out of PATH the real-container
 * prerequisites name crun, and scripts/test.ts on a file that skips for that reason passes normally but
 * fails under CI=true, printing the skipped test and its reason. Which skips CI accepts (scripts/skips.ts) is
 * checked directly: only the cgroup v2 suite, and only for the cgroup v1 host reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CGROUP_V1_HOST, which } from '../prerequisites.ts';
import { judgeSkips } from '../../scripts/skips.ts';
import type { SkipRecord } from '../../scripts/skip-records.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = 'test/fixtures/prerequisite-skip.fixture.ts';

/** A PATH directory holding the tools the real-container check looks for, except crun. */
function pathWithoutCrun(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-nocrun-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const bin of ['conmon', 'catatonit', 'ip', 'mount', 'nsenter', 'busybox', 'runc']) {
    const found = which(bin);
    if (found) symlinkSync(found, join(dir, bin));
  }
  return dir;
}

function envWith(path: string, ci: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: path };
  delete env.KUBELING_OCI_RUNTIME;
  delete env.NODE_TEST_CONTEXT; // set for us by our own runner: a nested run would report to it instead
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  return env;
}

test('with crun removed from PATH the real-container prerequisites name crun', (t) => {
  const path = pathWithoutCrun(t);
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { missingRealContainers } from ${JSON.stringify(join(ROOT, 'test/prerequisites.ts'))}; console.log(missingRealContainers() ?? 'nothing missing');`,
    ],
    { encoding: 'utf8', env: envWith(path, undefined) },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /needs (\S+, )*crun(, \S+)* in PATH \(Debian (\S+, )*crun\b.*scripts\/setup-host\.sh\)/);
});

test('scripts/test.ts: a prerequisite skip passes the run, but under CI=true fails it naming crun', (t) => {
  const path = pathWithoutCrun(t);
  const run = (ci: string | undefined) =>
    spawnSync(process.execPath, ['scripts/test.ts', FIXTURE], { cwd: ROOT, encoding: 'utf8', env: envWith(path, ci) });

  const local = run(undefined);
  assert.equal(local.status, 0, local.stdout + local.stderr);
  assert.match(local.stdout, /^ℹ skipped 1$/m, "node's closing summary is kept");
  assert.doesNotMatch(local.stdout, /^CI:/m);

  const ci = run('true');
  assert.equal(ci.status, 1, ci.stdout + ci.stderr);
  assert.match(ci.stdout, /^ℹ skipped 1$/m, "node's closing summary is kept");
  assert.match(ci.stdout, /^CI: 1 test\(s\) skipped or todo; under CI=true only the listed exceptions/m);
  assert.match(
    ci.stdout,
    /^CI: skipped: a test on real containers \(test\/fixtures\/prerequisite-skip\.fixture\.ts:\d+\): needs (\S+, )*crun\b/m,
  );
});

test('CI accepts only the cgroup v2 suite skipped for the cgroup v1 host reason; never a todo', () => {
  const rec = (over: Partial<SkipRecord>): SkipRecord => ({
    kind: 'skip',
    name: 'oci cgroup v2 (real containers)',
    file: join(ROOT, 'test/integration/oci-cgroup-v2.test.ts'),
    line: 1,
    reason: CGROUP_V1_HOST,
    ...over,
  });
  const v1Host = rec({});
  const noCrun = rec({ reason: 'needs crun in PATH (Debian crun: bash scripts/setup-host.sh)' });
  const otherFile = rec({ file: join(ROOT, 'test/integration/oci-pod.test.ts') });
  const todo = rec({ kind: 'todo' });
  const { accepted, refused } = judgeSkips([v1Host, noCrun, otherFile, todo], ROOT);
  assert.deepEqual(
    accepted.map((a) => a.record),
    [v1Host],
  );
  assert.deepEqual(refused, [noCrun, otherFile, todo]);
});
