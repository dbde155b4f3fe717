#!/usr/bin/env node
/**
 * Encryption-at-rest benchmark: what `--encryption-provider-config` costs per provider (never pass/fail).
 * `node bench/encryption.ts [count]` (default 10,000 secrets of ~1 KB) over a memory store, so the figures are
 * the transformer's own cost:
 *   creates/s    sequential creates through the TransformingStore
 *   list         all keys under the prefix (each value decrypted), ms
 *   size         stored bytes per value (prefix, IV/nonce, padding or tag)
 */
import { performance } from 'node:perf_hooks';
import { MemoryStore, TransformingStore, type Store } from '../src/storage/index.ts';
import { parseEncryptionConfiguration } from '../src/apiserver/encryption/index.ts';

const COUNT = Number(process.argv[2] ?? 10_000);
const value = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { password: Buffer.alloc(700, 7).toString('base64') } }));
const KEY = Buffer.alloc(32, 1).toString('base64');

function config(provider: string): string {
  const body = provider === 'identity' ? '{ identity: {} }' : `{ ${provider}: { keys: [{ name: key1, secret: ${KEY} }] } }`;
  return `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers: [${body}]\n`;
}

async function bench(name: string, store: Store, inner: MemoryStore): Promise<void> {
  let t = performance.now();
  for (let i = 0; i < COUNT; i++) await store.create(`/registry/secrets/default/s-${String(i).padStart(6, '0')}`, value);
  const creates = Math.round(COUNT / ((performance.now() - t) / 1000));
  t = performance.now();
  const listed = await store.list('/registry/secrets/');
  const listMs = performance.now() - t;
  const stored = (await inner.get('/registry/secrets/default/s-000000'))!.value.length;
  console.log(`${name.padEnd(22)} creates/s ${String(creates).padStart(7)}   list ${String(listed.kvs.length)} in ${listMs.toFixed(1).padStart(7)} ms   ${stored} bytes stored for ${value.length}`);
  await store.close();
}

const plain = new MemoryStore();
await bench('no config', plain, plain);
for (const provider of ['identity', 'aescbc', 'aesgcm', 'secretbox']) {
  const encryption = parseEncryptionConfiguration(config(provider));
  const inner = new MemoryStore();
  await bench(provider, new TransformingStore({ store: inner, transformerFor: () => encryption.transformerFor({ group: '', resource: 'secrets' }) }), inner);
}
