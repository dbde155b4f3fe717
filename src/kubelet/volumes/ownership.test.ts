import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { requiresPermissionChange, setVolumeOwnership } from './ownership.ts';
import { missingRoot } from '../../../test/prerequisites.ts';

test('fsGroup ownership: group, group rw, setgid dirs; OnRootMismatch skips a matching root', { skip: missingRoot('chown') }, async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fsgroup-'));
  try {
    await fs.chmod(dir, 0o755);
    await fs.mkdir(path.join(dir, 'sub'), { mode: 0o700 });
    await fs.writeFile(path.join(dir, 'sub', 'f'), 'x', { mode: 0o600 });
    assert.equal(await requiresPermissionChange(dir, 2000, false), true);
    await setVolumeOwnership(dir, 2000, false, 'OnRootMismatch');
    for (const p of [dir, path.join(dir, 'sub')]) {
      const st = await fs.stat(p);
      assert.equal(st.gid, 2000);
      assert.equal(st.mode & 0o2070, 0o2070, p);
    }
    const f = await fs.stat(path.join(dir, 'sub', 'f'));
    assert.equal(f.gid, 2000);
    assert.equal(f.mode & 0o777, 0o660);
    assert.equal(await requiresPermissionChange(dir, 2000, false), false);
    // A file added later with the root already matching: OnRootMismatch leaves it, Always fixes it.
    await fs.writeFile(path.join(dir, 'late'), 'y', { mode: 0o600 });
    await fs.chown(path.join(dir, 'late'), 0, 0);
    await setVolumeOwnership(dir, 2000, false, 'OnRootMismatch');
    assert.equal((await fs.stat(path.join(dir, 'late'))).gid, 0);
    await setVolumeOwnership(dir, 2000, false, 'Always');
    assert.equal((await fs.stat(path.join(dir, 'late'))).gid, 2000);
    assert.equal(await requiresPermissionChange(dir, 3000, false), true);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
