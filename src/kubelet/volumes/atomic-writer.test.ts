import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeAtomically, type Payload } from './atomic-writer.ts';

function payload(entries: Record<string, string>, mode = 0o644): Payload {
  return new Map(Object.entries(entries).map(([k, v]) => [k, { data: Buffer.from(v), mode }]));
}

test('writeAtomically swaps a ..data symlink and keeps user-visible links stable', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aw-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));

  assert.equal(await writeAtomically(dir, payload({ a: '1', 'sub/b': '2' })), true);
  const first = await fs.readlink(path.join(dir, '..data'));
  assert.match(first, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+/);
  assert.equal(await fs.readlink(path.join(dir, 'a')), '..data/a');
  assert.equal(await fs.readFile(path.join(dir, 'sub/b'), 'utf8'), '2');
  assert.equal((await fs.stat(path.join(dir, 'a'))).mode & 0o777, 0o644);

  // Same contents: nothing changes.
  assert.equal(await writeAtomically(dir, payload({ a: '1', 'sub/b': '2' })), false);
  assert.equal(await fs.readlink(path.join(dir, '..data')), first);

  // New contents: new version dir, old one gone, removed keys gone.
  assert.equal(await writeAtomically(dir, payload({ a: 'new' }, 0o400)), true);
  const second = await fs.readlink(path.join(dir, '..data'));
  assert.notEqual(second, first);
  assert.equal(await fs.readFile(path.join(dir, 'a'), 'utf8'), 'new');
  assert.equal((await fs.stat(path.join(dir, 'a'))).mode & 0o777, 0o400);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['..data', second, 'a'].sort());
});

test('writeAtomically rejects escaping paths', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aw-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  await assert.rejects(writeAtomically(dir, payload({ '../x': '1' })), /must not contain '\.\.'/);
  await assert.rejects(writeAtomically(dir, payload({ '/etc/x': '1' })), /must be relative/);
});
