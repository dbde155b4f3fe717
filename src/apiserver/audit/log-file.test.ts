import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogFile, backupName, listBackups } from './log-file.ts';
import { buildEvent, type AuditEvent } from './event.ts';

function event(i: number): AuditEvent {
  return buildEvent({
    level: 'Metadata', auditID: `id-${i}`, stage: 'ResponseComplete', requestURI: `/api/v1/namespaces/default/pods/p${i}`, verb: 'get',
    user: { username: 'system:admin' }, sourceIPs: ['127.0.0.1'], userAgent: 'test', omitManagedFields: false, requestReceivedAt: 0, stageAt: 0, annotations: {},
  });
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeling-audit-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function linesOf(file: string): Promise<AuditEvent[]> {
  const text = await readFile(file, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEvent);
}

describe('audit log file', () => {
  test('appends one JSON line per event, in order, flushed on stop', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'sub', 'audit.log');
      const log = new AuditLogFile({ path });
      for (let i = 0; i < 50; i++) log.write(event(i));
      await log.stop();
      const events = await linesOf(path);
      assert.deepEqual(events.map((e) => e.auditID), Array.from({ length: 50 }, (_, i) => `id-${i}`));
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      // A second log on the same file appends.
      const again = new AuditLogFile({ path });
      again.write(event(50));
      await again.stop();
      assert.equal((await linesOf(path)).length, 51);
    });
  });

  test('rotates by size into timestamped backups, keeps maxBackups, never splits a line', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const lineBytes = JSON.stringify(event(0)).length + 1;
      let t = Date.parse('2026-12-07T05:00:00.000Z');
      const log = new AuditLogFile({ path, maxSizeBytes: lineBytes * 10 + 5, maxBackups: 2, now: () => (t += 1000) });
      for (let i = 0; i < 45; i++) {
        log.write(event(i));
        if (i % 7 === 0) await log.flush();
      }
      await log.stop();
      const backups = (await listBackups(path)).sort((a, b) => a.time - b.time);
      assert.equal(backups.length, 2, 'only the newest two backups are kept');
      const names = await readdir(dir);
      assert.equal(names.length, 3);
      for (const b of backups) assert.match(b.file, /audit-2026-12-07T05-\d{2}-\d{2}\.000\.log$/);
      const seen: string[] = [];
      for (const file of [...backups.map((b) => b.file), path]) {
        const size = (await stat(file)).size;
        assert.ok(size <= lineBytes * 10 + 5, `${file} is ${size} bytes`);
        seen.push(...(await linesOf(file)).map((e) => e.auditID));
      }
      // The kept files hold the newest events, in order, with nothing lost between them.
      const first = Number(seen[0]!.slice(3));
      assert.deepEqual(seen, Array.from({ length: 45 - first }, (_, i) => `id-${first + i}`));
    });
  });

  test('removes backups older than maxAge days (the age its name says)', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const now = Date.parse('2026-12-07T05:00:00.000Z');
      const old = backupName(path, now - 3 * 24 * 3600 * 1000);
      const recent = backupName(path, now - 12 * 3600 * 1000);
      await writeFile(old, 'old\n');
      await writeFile(recent, 'recent\n');
      await writeFile(join(dir, 'audit-notastamp.log'), 'other\n');
      const log = new AuditLogFile({ path, maxSizeBytes: 1, maxAgeDays: 1, now: () => now });
      log.write(event(1));
      log.write(event(2));
      await log.stop();
      const names = (await readdir(dir)).sort();
      assert.ok(!names.includes(old.slice(dir.length + 1)), 'the 3-day-old backup is gone');
      assert.ok(names.includes(recent.slice(dir.length + 1)), 'the 12-hour-old one stays');
      assert.ok(names.includes('audit-notastamp.log'), 'files that are not backups stay');
    });
  });

  test('write never waits: beyond the buffer, events are dropped and counted', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const log = new AuditLogFile({ path, bufferEvents: 5, onError: () => {} });
      for (let i = 0; i < 20; i++) log.write(event(i));
      // The pump takes the first line at once; the next five wait; the rest are dropped.
      assert.equal(log.dropped, 14);
      await log.stop();
      assert.deepEqual((await linesOf(path)).map((e) => e.auditID), ['id-0', 'id-1', 'id-2', 'id-3', 'id-4', 'id-5']);
    });
  });
});
