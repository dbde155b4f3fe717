import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureTmpfs, filesystemType, mountTable, unmountUnder } from './mounts.ts';

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
});
