import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, logLevelFromEnv } from './logger.ts';

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
