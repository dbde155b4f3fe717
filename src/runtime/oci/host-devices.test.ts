import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostDevices, splitDevice } from './host-devices.ts';
import { missingRoot } from '../../../test/prerequisites.ts';

test('splitDevice decodes Linux dev_t numbers', () => {
  assert.deepEqual(splitDevice(0x10bn), { major: 1, minor: 11 }); // /dev/kmsg
  assert.deepEqual(splitDevice(0x0700n), { major: 7, minor: 0 }); // /dev/loop0
  // major 259, minor 300: the high bits of both live above bit 19 / bit 8.
  const dev = (259n & 0xfffn) << 8n | (300n & 0xffn) | ((300n & ~0xffn) << 12n);
  assert.deepEqual(splitDevice(dev), { major: 259, minor: 300 });
});

test('hostDevices lists char and block devices, skips pts/shm and the defaults', { skip: missingRoot('mknod') }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devs-'));
  try {
    execFileSync('mknod', ['-m', '0640', path.join(dir, 'kmsg'), 'c', '1', '11']);
    execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3']);
    fs.mkdirSync(path.join(dir, 'pts'));
    execFileSync('mknod', [path.join(dir, 'pts', '0'), 'c', '136', '0']);
    fs.mkdirSync(path.join(dir, 'disk'));
    execFileSync('mknod', [path.join(dir, 'disk', 'loop9'), 'b', '7', '9']);
    fs.writeFileSync(path.join(dir, 'plain'), '');
    assert.deepEqual(hostDevices(dir), [
      { path: '/dev/disk/loop9', type: 'b', major: 7, minor: 9, fileMode: 0o644 & ~process.umask(), uid: 0, gid: 0 },
      { path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o640, uid: 0, gid: 0 },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
