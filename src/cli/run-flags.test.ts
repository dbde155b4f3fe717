import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseRunFlags } from './run.ts';

test('parseDuration reads kubectl-style durations and plain seconds', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('15'), 15_000);
  for (const bad of ['', 's', '10x', '1m 2s', '-5s']) assert.equal(parseDuration(bad), undefined, bad);
});

test('kubeling run flags: --timeout is parsed, bad values are one-line errors', () => {
  assert.deepEqual(parseRunFlags(['pod.yaml', '--timeout', '20s']), {
    file: 'pod.yaml',
    runtime: 'oci',
    storage: 'memory',
    timeoutMs: 20_000,
  });
  assert.equal(parseRunFlags(['pod.yaml', '--timeout=0s']), 'invalid value for --timeout: "0s" (want a duration such as 30s or 2m)');
  assert.equal(parseRunFlags(['pod.yaml', '--timeout']), 'invalid value for --timeout: "" (want a duration such as 30s or 2m)');
  assert.equal(parseRunFlags(['pod.yaml', '--runtime', 'docker']), 'invalid value for --runtime: "docker" (want oci or fake)');
});
