import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { formatCriLine } from './cri-log.ts';
import { readLogs, type LogOptions } from './read-logs.ts';
import { ContainerLogManager } from './log-manager.ts';
import { poll } from '../../machinery/testing/poll.ts';
import { FakeClock } from '../../machinery/clock.ts';

const lines = [
  formatCriLine({ timestamp: '2026-01-01T00:00:01.000000001Z', stream: 'stdout', text: 'one' }),
  formatCriLine({ timestamp: '2026-01-01T00:00:02.000000002Z', stream: 'stderr', text: 'two' }),
  formatCriLine({ timestamp: '2026-01-01T00:00:03.000000003Z', stream: 'stdout', partial: true, text: 'thr' }),
  formatCriLine({ timestamp: '2026-01-01T00:00:03.500000000Z', stream: 'stdout', text: 'ee' }),
  formatCriLine({ timestamp: '2026-01-01T00:00:04.000000004Z', stream: 'stdout', text: 'four' }),
].join('');

async function collect(file: string, opts: LogOptions, follow?: Parameters<typeof readLogs>[4]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await readLogs(file, opts, out, AbortSignal.timeout(10_000), follow);
  return Buffer.concat(chunks).toString();
}

test('readLogs: all, tail, since, timestamps, limitBytes, streams', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'logs-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, '0.log');
  await fs.writeFile(file, lines);
  assert.equal(await collect(file, {}), 'one\ntwo\nthree\nfour\n');
  assert.equal(await collect(file, { tailLines: 2 }), 'ee\nfour\n');
  assert.equal(await collect(file, { tailLines: 0 }), '');
  assert.equal(await collect(file, { tailLines: 100 }), 'one\ntwo\nthree\nfour\n');
  assert.equal(await collect(file, { sinceTime: Date.parse('2026-01-01T00:00:02Z') }), 'two\nthree\nfour\n');
  assert.equal(await collect(file, { timestamps: true, tailLines: 1 }), '2026-01-01T00:00:04.000000004Z four\n');
  assert.equal(await collect(file, { limitBytes: 6 }), 'one\ntw');
  // conmon's +00:00 offset comes out as Go's RFC3339Nano in UTC.
  const conmon = path.join(dir, 'conmon.log');
  await fs.writeFile(
    conmon,
    '2026-11-21T15:07:17.050784010+00:00 stdout F x\n2026-11-21T17:07:17.5+02:00 stdout F y\n',
  );
  assert.equal(
    await collect(conmon, { timestamps: true }),
    '2026-11-21T15:07:17.05078401Z x\n2026-11-21T15:07:17.5Z y\n',
  );
  assert.equal(await collect(file, { stderr: false }), 'one\nthree\nfour\n');
});

test('readLogs: follow reads new lines, survives rotation, ends when the container stops', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'logs-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, '0.log');
  await fs.writeFile(file, formatCriLine({ timestamp: '2026-01-01T00:00:01Z', stream: 'stdout', text: 'first' }));
  let running = true;
  let rotations = 0;
  const reopen = async () => {
    rotations++;
    await fs.writeFile(
      file,
      formatCriLine({ timestamp: '2026-01-01T00:00:03Z', stream: 'stdout', text: 'after-rotation' }),
    );
  };
  // The rotated files' names carry the clock's second: a fake clock gives the second rotation a later one.
  const clock = new FakeClock();
  const manager = new ContainerLogManager({
    clock,
    maxSize: 10,
    maxFiles: 2,
    runtime: {
      listContainers: async () => [],
      containerStatus: async () => {
        throw new Error('unused');
      },
      reopenContainerLog: reopen,
    },
  });
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const done = readLogs(file, { follow: true }, out, AbortSignal.timeout(10_000), {
    isRunning: async () => running,
    pollMs: 10,
  });
  const waitFor = async (s: string) => {
    await poll(() => text.includes(s), JSON.stringify(s), { intervalMs: 10, timeoutMs: 2000, detail: () => JSON.stringify(text) });
  };
  await waitFor('first\n');
  await fs.appendFile(file, formatCriLine({ timestamp: '2026-01-01T00:00:02Z', stream: 'stdout', text: 'second' }));
  await waitFor('second\n');
  assert.equal(await manager.rotateIfNeeded('c1', file), true);
  assert.equal(rotations, 1);
  await waitFor('after-rotation\n');
  running = false;
  await done;
  assert.equal(text, 'first\nsecond\nafter-rotation\n');
  // Rotated files beyond maxFiles - 1 are deleted.
  await clock.step(1000);
  await fs.appendFile(file, 'x'.repeat(20));
  await manager.rotateIfNeeded('c1', file);
  assert.equal((await fs.readdir(dir)).filter((f) => f.startsWith('0.log.')).length, 1);
});
