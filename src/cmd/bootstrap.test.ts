import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../storage/index.ts';
import { BOOTSTRAP_KEY, loadBootstrap, publishBootstrap, readBootstrapFiles, seal, unseal, type BootstrapData } from './bootstrap.ts';

function identity(tag: string): BootstrapData {
  return { caCrt: `ca-${tag}`, caKey: `cakey-${tag}`, saKey: `sa-${tag}`, adminToken: `admin-${tag}`, nodeToken: `node-${tag}`, kubeletToken: `kubelet-${tag}` };
}

function dataDirWith(data: BootstrapData): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-bootstrap-'));
  mkdirSync(join(dir, 'pki'));
  const files: Record<keyof BootstrapData, string> = { caCrt: 'pki/ca.crt', caKey: 'pki/ca.key', saKey: 'pki/sa.key', adminToken: 'admin-token', nodeToken: 'node-token', kubeletToken: 'kubelet-client-token' };
  for (const [k, rel] of Object.entries(files)) writeFileSync(join(dir, rel), data[k as keyof BootstrapData]);
  writeFileSync(join(dir, 'pki', 'server.crt'), 'serving');
  return dir;
}

test('sealed bootstrap data opens with its token only, and does not hold the secrets in clear', () => {
  const sealed = seal(identity('a'), 'node-a');
  assert.ok(!Buffer.from(sealed).toString().includes('cakey-a'));
  assert.deepEqual(unseal(sealed, 'node-a'), identity('a'));
  assert.throws(() => unseal(sealed, 'wrong'), /another cluster's bootstrap data, which this token does not decrypt/);
});

test('the first server stores its identity; a later one with the token takes it over (new serving cert), one without fails', async () => {
  const store = new MemoryStore();
  const first = dataDirWith(identity('a'));
  const later = dataDirWith(identity('b'));
  const stranger = mkdtempSync(join(tmpdir(), 'kubeling-bootstrap-'));
  try {
    assert.equal(await loadBootstrap(store, first, undefined), 'first');
    assert.equal(await publishBootstrap(store, first), 'published');
    assert.ok(await store.get(BOOTSTRAP_KEY));
    assert.equal(await loadBootstrap(store, later, 'node-a'), 'joined');
    assert.deepEqual(await readBootstrapFiles(later), identity('a'));
    assert.equal(existsSync(join(later, 'pki', 'server.crt')), false, 'a serving cert of another CA is dropped');
    await assert.rejects(loadBootstrap(store, stranger, undefined), /start with --token \(or --token-file\)/);
    await assert.rejects(loadBootstrap(store, stranger, 'node-b'), /does not decrypt/);
    // A restart of the first server finds its own token in its data dir.
    assert.equal(await loadBootstrap(store, first, undefined), 'joined');
    assert.equal(readFileSync(join(first, 'pki', 'server.crt'), 'utf8'), 'serving', 'same CA: serving cert kept');
  } finally {
    for (const d of [first, later, stranger]) rmSync(d, { recursive: true, force: true });
    await store.close();
  }
});

test('two first servers racing: the second to publish takes the first one\'s identity', async () => {
  const store = new MemoryStore();
  const a = dataDirWith(identity('a'));
  const b = dataDirWith({ ...identity('b'), nodeToken: 'node-a' });
  try {
    assert.equal(await publishBootstrap(store, a), 'published');
    assert.equal(await publishBootstrap(store, b), 'joined');
    assert.deepEqual(await readBootstrapFiles(b), identity('a'));
  } finally {
    for (const d of [a, b]) rmSync(d, { recursive: true, force: true });
    await store.close();
  }
});
