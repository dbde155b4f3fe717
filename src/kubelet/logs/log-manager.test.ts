import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ContainerLogManager } from './log-manager.ts';

test("rotation keeps maxFiles - 1 rotated files, oldest removed first (.10 after .9), and leaves conmon's reopen file alone", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kubeling-log-manager-'));
  try {
    const log = path.join(dir, '0.log');
    const runtime = {
      listContainers: async () => [],
      containerStatus: async () => { throw new Error('unused'); },
      // conmon reopens through `<file>.tmp`, renamed over the file: here it is caught in between.
      reopenContainerLog: async () => writeFile(`${log}.tmp`, ''),
    };
    // Every rotation in the same second: the names differ by their `.N`.
    const clock = { now: () => Date.UTC(2026, 11, 7, 22, 23, 29), sleep: async () => {} };
    const manager = new ContainerLogManager({ runtime: runtime as never, maxSize: 10, maxFiles: 3, clock });
    for (let i = 0; i < 11; i++) {
      await writeFile(log, `rotation ${i} of a log past its size\n`);
      assert.equal(await manager.rotateIfNeeded('c', log), true);
    }
    const left = (await readdir(dir)).sort();
    assert.deepEqual(left, ['0.log.20261207-222329.10', '0.log.20261207-222329.9', '0.log.tmp']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
