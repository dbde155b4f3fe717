/**
 * Child process for sqlite-durability.test.ts: creates keys /d/0, /d/1, ... in the given database as fast as
 * it can and prints each key's number once its create resolved (was acknowledged). It never exits on its own;
 * the test kills it with SIGKILL.
 */
import { writeSync } from 'node:fs';
import { SqliteStore } from '../sqlite-store.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: durability-writer.ts DB_PATH');
const store = new SqliteStore({ path });
const value = new TextEncoder().encode('x'.repeat(512));
for (let i = 0; ; i++) {
  const r = await store.create(`/d/${i}`, value);
  if (!r.ok) throw new Error(`create /d/${i} lost`);
  // writeSync: the line leaves this process before the next write starts, so a printed key was acknowledged.
  writeSync(1, `${i}\n`);
}
