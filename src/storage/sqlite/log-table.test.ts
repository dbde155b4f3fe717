import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { LogTable, prefixEnd, type Row } from './log-table.ts';

const v = (s: string) => new TextEncoder().encode(s);

/** Builds a table from a script of writes; ids are the revisions 1, 2, 3... */
function table(script: [op: 'put' | 'del', name: string][]): { db: DatabaseSync; log: LogTable } {
  const db = new DatabaseSync(':memory:');
  const log = new LogTable(db);
  for (const [i, [op, name]] of script.entries()) {
    const prev = log.latest(name);
    const live = prev && !prev.deleted ? prev : undefined;
    const row: Row = {
      id: i + 1,
      name,
      created: live ? 0 : 1,
      deleted: op === 'del' ? 1 : 0,
      create_revision: live ? live.create_revision : i + 1,
      prev_revision: prev?.id ?? 0,
      value: op === 'del' ? live!.value : v(`${name}@${i + 1}`),
      old_value: live ? live.value : null,
    };
    log.insert(row);
  }
  return { db, log };
}

test('compactRange deletes superseded rows and tombstones at or below the revision, nothing else', () => {
  const { db, log } = table([
    ['put', '/a'], // 1 superseded by 2
    ['put', '/a'], // 2 newest /a at or below 4: kept
    ['put', '/b'], // 3 superseded by tombstone 4
    ['del', '/b'], // 4 tombstone at or below 4: deleted
    ['put', '/a'], // 5 above the revision: kept
    ['put', '/c'], // 6 kept
  ]);
  const deleted = log.compactRange(0, 4, 4);
  assert.equal(deleted, 3);
  const ids = (db.prepare('SELECT id FROM log ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  assert.deepEqual(ids, [2, 5, 6]);
  assert.equal(log.latest('/a', 4)!.id, 2, 'the state at the compact revision is intact');
  assert.equal(log.latest('/b', 4), undefined);
  assert.equal(log.count('/', 6), 2);
  db.close();
});

test('list reads each key as of a revision, skipping deleted keys, in key order', () => {
  const { db, log } = table([
    ['put', '/x/b'],
    ['put', '/x/a'],
    ['put', '/x/b'],
    ['del', '/x/a'],
    ['put', '/y'],
  ]);
  assert.deepEqual(
    log.list('/x/', 5, '', -1).map((kv) => [kv.key, kv.modRevision]),
    [['/x/b', 3]],
  );
  assert.deepEqual(
    log.list('/x/', 2, '', -1).map((kv) => [kv.key, kv.modRevision]),
    [
      ['/x/a', 2],
      ['/x/b', 1],
    ],
  );
  assert.deepEqual(
    log.list('', 5, '/x/', 1).map((kv) => kv.key),
    ['/x/b'],
  );
  db.close();
});

test('prefixEnd bounds a prefix range', () => {
  assert.equal(prefixEnd('/pods/'), '/pods0');
  assert.equal(prefixEnd('a'), 'b');
  assert.equal(prefixEnd(''), undefined);
});
