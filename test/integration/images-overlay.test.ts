/**
 * Unpacked layers stack correctly under a real overlay mount: a two-layer image whose second layer deletes
 * files (OCI whiteouts) and makes a directory opaque, plus the file kinds a layer may hold (hard links,
 * symlinks, devices, owners, setuid, xattrs). Mounts overlayfs over `imageLayers()`' directories, checks
 * what a container would see, unmounts and cleans up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciImageService } from '../../src/runtime/images/index.ts';
import { isRuntimeError } from '../../src/runtime/runtime.ts';
import { buildImage, writeOciArchive, type LayerEntry } from '../fixtures/oci-image.ts';
import { missingOverlay } from '../prerequisites.ts';

const lower: LayerEntry[] = [
  { type: 'dir', path: 'etc' },
  { type: 'file', path: 'etc/keep', content: 'keep' },
  { type: 'file', path: 'etc/gone', content: 'gone' },
  { type: 'dir', path: 'etc/subdir' },
  { type: 'file', path: 'etc/subdir/deep', content: 'deep' },
  { type: 'dir', path: 'opaque' },
  { type: 'file', path: 'opaque/old', content: 'old' },
  { type: 'dir', path: 'opaque/olddir' },
  { type: 'file', path: 'top-file', content: 'top' },
  { type: 'file', path: 'bin/tool', content: 'tool', mode: 0o4755, uid: 0, gid: 0 },
  { type: 'link', path: 'bin/tool-hardlink', target: 'bin/tool' },
  { type: 'symlink', path: 'bin/abs-link', target: '/etc/keep' },
  { type: 'char', path: 'dev/null', major: 1, minor: 3 },
  { type: 'file', path: 'home/user/file', content: 'mine', uid: 1000, gid: 1001, mode: 0o600 },
  { type: 'file', path: 'xattr-file', content: 'x', xattrs: { 'user.kubeling': 'yes' } },
];
const upper: LayerEntry[] = [
  { type: 'whiteout', path: 'etc/gone' },
  { type: 'whiteout', path: 'etc/subdir' },
  { type: 'whiteout', path: 'top-file' },
  { type: 'dir', path: 'opaque', mode: 0o750 },
  { type: 'opaque', path: 'opaque' },
  { type: 'file', path: 'opaque/new', content: 'new' },
  // Recreated in the same layer as its whiteout: the whiteout applies to lower layers only.
  { type: 'whiteout', path: 'etc/again' },
  { type: 'file', path: 'etc/again', content: 'again' },
  { type: 'file', path: 'added', content: 'added' },
];

describe('layers under a real overlay mount', { skip: missingOverlay() }, () => {
  let work: string;
  let mnt: string | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kubeling-overlay-'));
  });

  after(async () => {
    if (mnt && isMounted(mnt)) execFileSync('umount', [mnt]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const compression of ['gzip', 'none', 'zstd'] as const) {
    test(`whiteouts and opaque directories stack correctly (${compression} layers)`, async () => {
      const image = await buildImage({ layers: [lower, upper], compression });
      const archive = join(work, `wh-${compression}.tar`);
      await writeOciArchive(archive, [{ image, name: `example.com/test/whiteouts:${compression}` }]);
      const svc = new OciImageService({ root: join(work, `store-${compression}`) });
      const [img] = await svc.importArchive(archive);
      const { layerDirs } = await svc.imageLayers(img!.id);
      assert.equal(layerDirs.length, 2);

      // The upper layer holds overlay whiteouts, not OCI marker files.
      const up = layerDirs[1]!;
      assert.deepEqual(readdirSync(up).filter((n) => n.startsWith('.wh.')), []);
      const wh = lstatSync(join(up, 'etc/gone'));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'etc/gone is a 0/0 char device');
      assert.ok(lstatSync(join(up, 'etc/subdir')).isCharacterDevice());
      assert.equal(readFileSync(join(up, 'etc/again'), 'utf8'), 'again');
      assert.match(execFileSync('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', join(up, 'opaque')], { encoding: 'utf8' }), /trusted\.overlay\.opaque="y"/);
      assert.equal(statSync(join(up, 'opaque')).mode & 0o777, 0o750);

      // The lower layer keeps every file kind.
      const low = layerDirs[0]!;
      assert.equal(statSync(join(low, 'bin/tool')).mode & 0o7777, 0o4755);
      assert.equal(statSync(join(low, 'bin/tool')).ino, statSync(join(low, 'bin/tool-hardlink')).ino);
      assert.equal(readlinkSync(join(low, 'bin/abs-link')), '/etc/keep');
      const dev = lstatSync(join(low, 'dev/null'));
      assert.ok(dev.isCharacterDevice() && dev.rdev === (1 << 8) + 3);
      const owned = statSync(join(low, 'home/user/file'));
      assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o777], [1000, 1001, 0o600]);
      assert.match(execFileSync('getfattr', ['--absolute-names', '-n', 'user.kubeling', join(low, 'xattr-file')], { encoding: 'utf8' }), /user\.kubeling="yes"/);

      // Stacked as a container root filesystem would be.
      const base = join(work, `mnt-${compression}`);
      mnt = join(base, 'merged');
      for (const d of ['upper', 'work', 'merged']) mkdirSync(join(base, d), { recursive: true });
      const lowerdir = [...layerDirs].reverse().join(':');
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerdir},upperdir=${base}/upper,workdir=${base}/work`, mnt]);
      try {
        assert.equal(readFileSync(join(mnt, 'etc/keep'), 'utf8'), 'keep');
        assert.ok(!existsSync(join(mnt, 'etc/gone')), 'whited-out file is gone');
        assert.ok(!existsSync(join(mnt, 'etc/subdir')), 'whited-out directory is gone');
        assert.ok(!existsSync(join(mnt, 'top-file')));
        assert.equal(readFileSync(join(mnt, 'etc/again'), 'utf8'), 'again');
        assert.deepEqual(readdirSync(join(mnt, 'opaque')), ['new'], 'opaque directory hides the lower contents');
        assert.equal(readFileSync(join(mnt, 'added'), 'utf8'), 'added');
        assert.deepEqual(readdirSync(join(mnt, 'etc')).sort(), ['again', 'keep']);
        assert.equal(statSync(join(mnt, 'bin/tool')).mode & 0o7777, 0o4755);
      } finally {
        execFileSync('umount', [mnt]);
      }
      assert.ok(!isMounted(mnt));
      await rm(base, { recursive: true, force: true });
    });
  }

  test('a layer cannot write outside its directory', async () => {
    const outside = join(work, 'outside');
    mkdirSync(outside, { recursive: true });
    const hostile: [string, LayerEntry[]][] = [
      ['absolute symlink', [{ type: 'symlink', path: 'x', target: outside }, { type: 'file', path: 'x/pwned', content: 'p' }]],
      ['relative symlink', [{ type: 'symlink', path: 'y', target: '../../../../outside' }, { type: 'file', path: 'y/pwned', content: 'p' }]],
      ['dot-dot path', [{ type: 'file', path: '../../../outside/pwned', content: 'p' }]],
    ];
    const svc = new OciImageService({ root: join(work, 'store-hostile') });
    for (const [what, entries] of hostile) {
      const image = await buildImage({ layers: [entries] });
      const archive = join(work, 'hostile.tar');
      await writeOciArchive(archive, [{ image, name: 'example.com/hostile:1' }]);
      await assert.rejects(svc.importArchive(archive), (e) => isRuntimeError(e, 'InvalidArgument') && /failed to unpack/.test(e.message), what);
    }
    assert.deepEqual(readdirSync(outside), []);
    assert.deepEqual(await svc.listImages(), []);
    assert.deepEqual(readdirSync(join(work, 'store-hostile/layers')), []);
  });
});

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === path);
}
