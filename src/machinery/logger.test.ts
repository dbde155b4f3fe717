import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogging, createLogger, logLevelFromEnv } from './logger.ts';
import { defaultLogFormat, formatLogLine } from './log-text.ts';

test('log level: KUBELING_LOG wins, silent under node --test, info otherwise', () => {
  assert.equal(logLevelFromEnv({ KUBELING_LOG: 'debug', NODE_TEST_CONTEXT: 'child' }), 'debug');
  assert.equal(logLevelFromEnv({ NODE_TEST_CONTEXT: 'child' }), 'silent');
  assert.equal(logLevelFromEnv({}), 'info');
});

test('createLogger tags lines with the component', () => {
  const log = createLogger('storage');
  assert.deepEqual(log.bindings(), { component: 'storage' });
  if (!process.env.KUBELING_LOG) assert.equal(log.level, 'silent');
});

test('configureLogging text: one line per event with time, level, component and object', (t) => {
  const lines: string[] = [];
  const saved = process.env.KUBELING_LOG;
  process.env.KUBELING_LOG = 'info';
  t.after(() => {
    if (saved === undefined) delete process.env.KUBELING_LOG;
    else process.env.KUBELING_LOG = saved;
    configureLogging({ format: 'json' });
  });
  configureLogging({ format: 'text', write: (l) => lines.push(l) });
  createLogger('kubelet').warn({ pod: 'default/web', attempt: 2, err: new Error('no such image') }, 'pod worker failed');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}kubelet pod\/default\/web: pod worker failed attempt=2 err="no such image"\n$/);

  lines.length = 0;
  configureLogging({ format: 'json', write: (l) => lines.push(l) });
  createLogger('kubelet').info({ node: 'n1' }, 'kubelet running');
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(rec.component, 'kubelet');
  assert.equal(rec.node, 'n1');
  assert.equal(rec.msg, 'kubelet running');
});

test('formatLogLine: strings with spaces are quoted, lines that are not JSON pass through', () => {
  assert.equal(
    formatLogLine('{"level":30,"time":0,"component":"scheduler","msg":"pod not scheduled","key":"default/a","reason":"0/1 nodes"}'),
    '1970-01-01T00:00:00.000Z INFO  scheduler default/a: pod not scheduled reason="0/1 nodes"',
  );
  assert.equal(
    formatLogLine('{"level":30,"time":0,"component":"apiserver","kind":"ClusterRole","name":"admin","action":"create","msg":"rbac: reconciled bootstrap policy"}'),
    '1970-01-01T00:00:00.000Z INFO  apiserver ClusterRole/admin: rbac: reconciled bootstrap policy action=create',
  );
  assert.equal(formatLogLine('plain text\n'), 'plain text');
  assert.equal(defaultLogFormat(true), 'text');
  assert.equal(defaultLogFormat(false), 'json');
  assert.equal(defaultLogFormat(undefined), 'json');
});
