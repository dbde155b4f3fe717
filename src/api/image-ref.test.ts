import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageReference, imageTag, normalizeImageReference } from './image-ref.ts';

const D = 'sha256:' + 'a'.repeat(64);

test('parseImageReference normalizes like ParseNormalizedNamed', () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ['busybox', 'docker.io/library/busybox', undefined, undefined],
    ['busybox:1.35', 'docker.io/library/busybox', '1.35', undefined],
    ['library/nginx:latest', 'docker.io/library/nginx', 'latest', undefined],
    ['myuser/app:v1', 'docker.io/myuser/app', 'v1', undefined],
    ['localhost:5000/app', 'localhost:5000/app', undefined, undefined],
    ['127.0.0.1:5000/a/b:c', '127.0.0.1:5000/a/b', 'c', undefined],
    ['localhost/app', 'localhost/app', undefined, undefined],
    [`nginx@${D}`, 'docker.io/library/nginx', undefined, D],
    [`nginx:1.2@${D}`, 'docker.io/library/nginx', '1.2', D],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause', '3.9', undefined],
  ];
  for (const [image, name, tag, digest] of cases) {
    const r = parseImageReference(image);
    assert.equal(r.name, name, image);
    assert.equal(r.tag, tag, image);
    assert.equal(r.digest, digest, image);
  }
});

test('parseImageReference rejects malformed references', () => {
  for (const bad of ['', 'Busybox', 'busy box', 'a'.repeat(64), 'nginx:', 'nginx@sha256:xyz', 'foo//bar', ':tag']) {
    assert.throws(() => parseImageReference(bad), /couldn't parse image name/, bad);
  }
});

test('imageTag and normalizeImageReference', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('nginx:latest'), 'latest');
  assert.equal(imageTag('nginx:1.27'), '1.27');
  assert.equal(imageTag(`nginx@${D}`), '');
  assert.equal(imageTag('Bad Image'), '');
  assert.equal(normalizeImageReference('busybox:1.35'), 'docker.io/library/busybox:1.35');
  assert.equal(normalizeImageReference('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeImageReference(`busybox@${D}`), `docker.io/library/busybox@${D}`);
});
