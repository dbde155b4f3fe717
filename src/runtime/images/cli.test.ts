import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize, imageTable } from './cli.ts';

test('sizes print like Docker\'s HumanSize', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1055251), '1.06MB');
  assert.equal(humanSize(4_400_000_000), '4.4GB');
});

test('the image table has crictl\'s columns, one row per tag', () => {
  const id = 'sha256:52c47786486fca450d955a97e0767b6baf5e45d78d831995527792db7f864de4';
  const lines = imageTable([
    { id, repoTags: ['docker.io/library/busybox:1.35', '127.0.0.1:5000/library/busybox:1.35'], repoDigests: [`docker.io/library/busybox@sha256:${'7'.repeat(64)}`], size: 1055251, config: {} },
    { id: `sha256:${'a'.repeat(64)}`, repoTags: [], repoDigests: [], size: 10, config: {} },
  ], { digests: true });
  assert.deepEqual(lines.map((l) => l.split(/\s{2,}/)), [
    ['IMAGE', 'TAG', 'DIGEST', 'IMAGE ID', 'SIZE'],
    ['docker.io/library/busybox', '1.35', '7777777777777', '52c47786486fc', '1.06MB'],
    ['127.0.0.1:5000/library/busybox', '1.35', '<none>', '52c47786486fc', '1.06MB'],
    ['<none>', '<none>', '<none>', 'aaaaaaaaaaaaa', '10B'],
  ]);
});
