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

test('a database made with the (name, id) index is opened with (name, id, deleted) instead, and reads the same', () => {
  const db = new DatabaseSync(':memory:');
  db.exec(`CREATE TABLE log (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created INTEGER NOT NULL, deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL, value BLOB NOT NULL, old_value BLOB);
    CREATE INDEX log_name_id ON log (name, id);`);
  const insert = db.prepare('INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  insert.run(1, '/p/a', 1, 0, 1, 0, v('a1'), null);
  insert.run(2, '/p/a', 0, 0, 1, 1, v('a2'), v('a1'));
  insert.run(3, '/p/b', 1, 0, 3, 0, v('b3'), null);
  insert.run(4, '/p/b', 0, 1, 3, 3, v('b3'), v('b3'));
  const log = new LogTable(db);
  assert.equal(log.upgradedIndex, true);
  assert.equal(new LogTable(db).upgradedIndex, false, 'once');
  const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'log'").all() as { name: string }[]).map((r) => r.name);
  assert.deepEqual(indexes, ['log_name_id_deleted']);
  assert.deepEqual(log.list('/p/', 4, '', -1).map((kv) => [kv.key, kv.modRevision, new TextDecoder().decode(kv.value)]), [['/p/a', 2, 'a2']]);
  assert.deepEqual(log.list('/p/', 3, '', -1).map((kv) => [kv.key, kv.modRevision]), [['/p/a', 2], ['/p/b', 3]]);
  assert.equal(log.latest('/p/b')!.deleted, 1);
  db.close();
});
