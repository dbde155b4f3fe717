import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseNetDev, treeUsage } from './usage.ts';

test('/proc/net/dev: bytes and errors each way, loopback left out', () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0
  eth0:   12345      40    3    0    0     0          0         0     6789      30    4    0    0     0       0          0
`;
  assert.deepEqual(parseNetDev(text), [{ name: 'eth0', rxBytes: 12345, rxErrors: 3, txBytes: 6789, txErrors: 4 }]);
});

test('a tree: allocated bytes and inodes, hard links once; undefined when missing', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc/big'), Buffer.alloc(64 * 1024, 1));
  fs.linkSync(path.join(dir, 'etc/big'), path.join(dir, 'etc/again'));
  const u = (await treeUsage(dir))!;
  assert.equal(u.inodes, 3); // dir, etc, big (its link once)
  assert.ok(u.bytes >= 64 * 1024 && u.bytes < 2 * 64 * 1024, `bytes ${u.bytes}`);
  assert.equal(await treeUsage(path.join(dir, 'gone')), undefined);
});
