import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseManifest, selectPlatform } from './install.ts';
import { chainIds } from './store.ts';

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

test('selects the node platform from an index', () => {
  const manifests = [
    { mediaType: 'm', digest: d(1), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { mediaType: 'm', digest: d(2), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: 'm', digest: d(3), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: 'm', digest: d(4), size: 1, platform: { os: 'windows', architecture: 'amd64' } },
    { mediaType: 'm', digest: d(5), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
  ];
  assert.equal(selectPlatform(manifests, { os: 'linux', architecture: 'amd64' })?.digest, d(3));
  assert.equal(selectPlatform(manifests, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, d(2));
  assert.equal(selectPlatform(manifests.slice(0, 1), { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d(1));
  assert.equal(selectPlatform(manifests, { os: 'linux', architecture: 's390x' }), undefined);
  // arm64 without a variant means v8.
  assert.equal(selectPlatform([{ mediaType: 'm', digest: d(6), size: 1, platform: { os: 'linux', architecture: 'arm64' } }], { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, d(6));
});

test('chain ids follow the OCI definition', () => {
  const a = d(1);
  const b = d(2);
  const c = d(3);
  const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
  const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`;
  assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
  assert.deepEqual(chainIds([]), []);
});

test('manifests: schema 1 and OCI artifacts are refused', () => {
  const m = (config: object) => Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: d(1), size: 1, ...config }, layers: [] }));
  assert.equal(parseManifest(m({ mediaType: 'application/vnd.oci.image.config.v1+json' }), 'x').config.digest, d(1));
  assert.throws(() => parseManifest(m({ mediaType: 'application/vnd.cncf.helm.config.v1+json' }), 'x'), /not a container image/);
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1}'), 'x'), /schema 1/);
  assert.throws(() => parseManifest(Buffer.from('<html>'), 'x'), /not JSON/);
});
