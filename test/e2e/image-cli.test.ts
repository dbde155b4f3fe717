/**
 * `kubeling image` end to end: the real binary against a temp data dir. Imports the busybox test archive,
 * lists it with crictl's columns, removes it, and checks that bad input gets one line and a non-zero exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBELING_BIN } from './helpers/server.ts';
import { ensureBusyboxArchive } from '../fixtures/busybox.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubeling(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KUBELING_BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test('kubeling image import, ls, rm on a data dir', async (t) => {
  // A failed build fails the test (its error names what is missing): the image CLI must be proven here.
  const archive = await ensureBusyboxArchive();
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-image-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const empty = await kubeling(['image', 'ls', '--data-dir', dir]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.deepEqual(empty.stdout.trim().split('\n'), ['IMAGE   TAG   IMAGE ID   SIZE'], empty.stderr);

  const imported = await kubeling(['image', 'import', archive, '--data-dir', dir]);
  assert.equal(imported.code, 0, imported.stderr);
  const id = /\((sha256:[0-9a-f]{64})\)/.exec(imported.stdout)?.[1];
  assert.ok(id, imported.stdout);
  assert.match(imported.stdout, /docker\.io\/library\/busybox:1\.35/);
  assert.ok(existsSync(join(dir, 'images')), 'the store lives in DIR/images, where the node looks');

  // --data-dir=DIR form, and the columns of `crictl images`.
  const ls = await kubeling(['image', 'ls', `--data-dir=${dir}`]);
  assert.equal(ls.code, 0, ls.stderr);
  const lines = ls.stdout.trim().split('\n');
  assert.match(lines[0]!, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
  assert.equal(lines.length, 2, ls.stdout);
  const cells = lines[1]!.split(/\s{2,}/);
  assert.deepEqual(cells.slice(0, 3), ['docker.io/library/busybox', '1.35', id.slice(7, 20)]);
  assert.match(cells[3]!, /^\d+(\.\d+)?[kM]B$/);

  const quiet = await kubeling(['image', 'ls', '-q', '--data-dir', dir]);
  assert.equal(quiet.stdout.trim(), id, `${quiet.stdout}\n${quiet.stderr}`);

  // Removing an image that is not there: one line, exit 1, nothing else touched.
  const missing = await kubeling(['image', 'rm', 'nope:1', '--data-dir', dir]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.match(missing.stderr, /nope:1/);

  // The short name resolves to the docker.io name, as in a pod's `image:`.
  const rm = await kubeling(['image', 'rm', 'busybox:1.35', '--data-dir', dir]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout.trim(), 'Deleted: docker.io/library/busybox:1.35', rm.stderr);
  const after = await kubeling(['image', 'ls', '-q', '--data-dir', dir]);
  assert.equal(after.stdout.trim(), '', after.stderr);
});

test('kubeling image: bad input is one line and a non-zero exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-image-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const junk = join(dir, 'junk.tar');
  writeFileSync(junk, 'this is not a tar archive');

  const cases: { args: string[]; code: number; stderr: RegExp }[] = [
    { args: ['image'], code: 2, stderr: /^usage: kubeling image/ },
    { args: ['image', 'frob'], code: 2, stderr: /^usage: kubeling image/ },
    { args: ['image', 'import'], code: 2, stderr: /^usage: kubeling image/ },
    { args: ['image', 'import', join(dir, 'missing.tar')], code: 1, stderr: /missing\.tar/ },
    { args: ['image', 'import', junk], code: 1, stderr: /./ },
    { args: ['image', 'pull', 'BAD REF'], code: 1, stderr: /invalid reference format/ },
    { args: ['image', 'ls', '--data-dir'], code: 2, stderr: /--data-dir needs a value/ },
  ];
  for (const c of cases) {
    const r = await kubeling([...c.args, ...(c.args.includes('--data-dir') ? [] : ['--data-dir', dir])]);
    assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, c.stderr, c.args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length <= 2, true, `${c.args.join(' ')} printed:\n${r.stderr}`);
    assert.equal(r.stdout, '', c.args.join(' '));
  }
});
