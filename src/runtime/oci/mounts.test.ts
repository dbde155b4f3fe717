import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureTmpfs, filesystemType, mountTable, readOnlyBinary, unmountUnder } from './mounts.ts';

const root = process.getuid?.() === 0;

describe('mounts', () => {
  it('tells the filesystem a path is on', () => {
    assert.equal(filesystemType('/proc/self'), 'proc');
    assert.equal(filesystemType('/sys/fs/cgroup'), mountTable().findLast((m) => m.mountPoint === '/sys/fs/cgroup')?.fsType);
  });

  it('mounts a tmpfs once, and unmounts everything under a directory', { skip: root ? false : 'needs root' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-mounts-'));
    try {
      const state = join(dir, 'run');
      const wasTmpfs = filesystemType(dir) === 'tmpfs';
      assert.equal(ensureTmpfs(state), !wasTmpfs);
      assert.equal(filesystemType(state), 'tmpfs');
      assert.equal(ensureTmpfs(state), false, 'already a tmpfs: nothing mounted twice');
      mkdirSync(join(state, 'inner'));
      if (!wasTmpfs) {
        assert.equal(mountTable().filter((m) => m.mountPoint === state).length, 1);
        unmountUnder(dir);
        assert.deepEqual(mountTable().filter((m) => m.mountPoint.startsWith(`${dir}/`)), []);
      }
    } finally {
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a binary a read-only view once, and a new one when the binary is replaced', { skip: root ? false : 'needs root' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-robin-'));
    try {
      const binary = join(dir, 'crun');
      copyFileSync('/bin/true', binary);
      const view = readOnlyBinary(binary, join(dir, 'bin'));
      assert.equal(view, join(dir, 'bin', 'crun'));
      assert.deepEqual(readFileSync(view!), readFileSync(binary));
      assert.throws(() => openSync(view!, 'r+'), { code: 'EROFS' }, 'no process can write the runtime through it');
      const mounts = () => mountTable().filter((m) => m.mountPoint === view).length;
      assert.equal(mounts(), 1);
      assert.equal(readOnlyBinary(binary, join(dir, 'bin')), view);
      assert.equal(mounts(), 1, 'not mounted twice');
      // An upgrade replaces the file (a new inode): the view follows it.
      copyFileSync('/bin/false', `${binary}.new`);
      renameSync(`${binary}.new`, binary);
      assert.equal(readOnlyBinary(binary, join(dir, 'bin')), view);
      assert.deepEqual(readFileSync(view!), readFileSync('/bin/false'));
      assert.equal(mounts(), 1, 'the old view is gone');
      assert.equal(readOnlyBinary(join(dir, 'missing'), join(dir, 'bin')), undefined);
    } finally {
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
