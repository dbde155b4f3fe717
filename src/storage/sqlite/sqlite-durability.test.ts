import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.ts';

test('every acknowledged create survives SIGKILL of the writing process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-durability-'));
  const path = join(dir, 'state.db');
  const child = spawn(process.execPath, [join(import.meta.dirname, 'testdata', 'durability-writer.ts'), path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Kill it mid-stream, once it has acknowledged a good number of writes.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.split('\n').length > 3000) resolve();
      });
      child.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const lines = out.split('\n');
    lines.pop(); // a partial last line was not fully acknowledged
    const acked = lines.map(Number);
    assert.ok(acked.length >= 3000);

    const store = new SqliteStore({ path });
    try {
      const keys = new Set((await store.list('/d/')).kvs.map((kv) => kv.key));
      const missing = acked.filter((i) => !keys.has(`/d/${i}`));
      assert.deepEqual(missing, [], 'acknowledged keys lost');
      assert.equal(await store.count('/d/'), keys.size);
      assert.ok((await store.currentRevision()) >= acked.length);
      const more = await store.create('/after-crash', new Uint8Array([1]));
      assert.equal(more.ok, true, 'the reopened store takes writes');
    } finally {
      await store.close();
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
