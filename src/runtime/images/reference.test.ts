import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, isLoopbackRegistry, normalizeReference, parseImageId, parseReference, registryEndpoint } from './reference.ts';

test('normalises references like Docker', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.35', 'docker.io/library/busybox:1.35'],
    ['docker.io/library/busybox:1.35', 'docker.io/library/busybox:1.35'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['127.0.0.1:5000/x:tag', '127.0.0.1:5000/x:tag'],
    ['localhost/a/b', 'localhost/a/b:latest'],
    ['quay.io/org/img:v1.2-rc_3', 'quay.io/org/img:v1.2-rc_3'],
    ['host:5000/x@sha256:' + 'a'.repeat(64), 'host:5000/x@sha256:' + 'a'.repeat(64)],
    ['busybox:1.35@sha256:' + 'b'.repeat(64), 'docker.io/library/busybox:1.35@sha256:' + 'b'.repeat(64)],
    ['a__b-c/e---f.g', 'docker.io/a__b-c/e---f.g:latest'],
    ['[::1]:5000/x', '[::1]:5000/x:latest'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeReference(input), want, input);
});

test('rejects bad references with Docker\'s reasons', () => {
  const bad: [string, RegExp][] = [
    ['', /invalid reference format/],
    ['Busybox', /repository name must be lowercase/],
    ['busybox:', /invalid reference format/],
    ['busybox:bad/tag', /invalid reference format/],
    ['busybox@sha256:abc', /invalid reference format/],
    ['busybox@sha256:' + 'z'.repeat(64), /invalid checksum digest format/],
    ['a b', /invalid reference format/],
    ['-x', /invalid reference format/],
    ['x//y', /invalid reference format/],
    ['a'.repeat(64), /image id/],
    ['host:5000/UPPER', /must be lowercase/],
  ];
  for (const [input, want] of bad) assert.throws(() => parseReference(input), want, input);
});

test('image ids, display names, endpoints', () => {
  assert.equal(parseImageId('a'.repeat(64)), 'sha256:' + 'a'.repeat(64));
  assert.equal(parseImageId('sha256:' + 'a'.repeat(64)), 'sha256:' + 'a'.repeat(64));
  assert.equal(parseImageId('busybox'), undefined);
  assert.equal(familiarName(parseReference('busybox:1.35')), 'busybox:1.35');
  assert.equal(familiarName(parseReference('user/app')), 'user/app:latest');
  assert.equal(familiarName(parseReference('127.0.0.1:5000/x:1')), '127.0.0.1:5000/x:1');
  assert.ok(isLoopbackRegistry('127.0.0.1:5000'));
  assert.ok(isLoopbackRegistry('localhost'));
  assert.ok(isLoopbackRegistry('[::1]:5000'));
  assert.ok(!isLoopbackRegistry('quay.io'));
  assert.equal(registryEndpoint('docker.io'), 'https://registry-1.docker.io');
  assert.equal(registryEndpoint('127.0.0.1:5000'), 'http://127.0.0.1:5000');
});
