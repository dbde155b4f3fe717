import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from './memory/index.ts';
import { openStore } from './open-store.ts';
import { SqliteStore } from './sqlite/index.ts';

test('openStore picks the backend named by --storage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-open-'));
  try {
    const mem = await openStore('memory', { dataDir: dir });
    assert.ok(mem instanceof MemoryStore);
    await mem.close();
    const sql = await openStore('sqlite', { dataDir: join(dir, 'data') });
    assert.ok(sql instanceof SqliteStore);
    assert.ok(existsSync(join(dir, 'data', 'state.db')));
    await sql.close();
    await assert.rejects(openStore('postgres', { dataDir: dir }), /want sqlite, memory or etcd/);
    await assert.rejects(openStore('etcd://', { dataDir: dir }), /no etcd endpoints/);
    await assert.rejects(openStore('etcd://host', { dataDir: dir }), /bad etcd endpoint "host"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
