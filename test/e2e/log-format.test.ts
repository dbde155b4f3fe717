/**
 * `kubeling server --log-format text|json`: with `text` every line the server and its node write to stderr
 * is `TIME LEVEL component ...` for a person to read (the default on a terminal); with stderr not a terminal
 * and no flag, every line is one JSON object with its component, for a machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';

const TEXT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) [\w-]+ /;

test('--log-format text: one readable line per event, with its component and object', async (t) => {
  const server = await startServer({ runtime: 'fake', storage: 'memory', args: ['--log-format', 'text'], env: { KUBELING_LOG: 'info' } });
  t.after(() => server.stop());
  await untilWith(async () => / INFO  scheduler scheduler started/.test(server.stderr()), 'the scheduler\'s line', { timeoutMs: 30_000, intervalMs: 200 });
  const lines = server.stderr().split('\n').filter(Boolean);
  assert.ok(lines.length > 3, server.stderr());
  for (const l of lines) assert.match(l, TEXT);
  assert.ok(lines.some((l) => /^\S+ INFO {2}apiserver ClusterRole\/cluster-admin: rbac: reconciled bootstrap policy action=create$/.test(l)), server.stderr());
});

test('no flag and stderr not a terminal: JSON lines with their component', async (t) => {
  const server = await startServer({ runtime: 'fake', storage: 'memory', env: { KUBELING_LOG: 'info' } });
  t.after(() => server.stop());
  await untilWith(async () => /"component":"scheduler"/.test(server.stderr()), 'the scheduler\'s line', { timeoutMs: 30_000, intervalMs: 200 });
  const lines = server.stderr().split('\n').filter(Boolean);
  for (const l of lines) {
    const rec = JSON.parse(l) as { component?: string; msg?: string };
    assert.equal(typeof rec.component, 'string', l);
  }
});
