import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import nacl from 'tweetnacl';
import { AesCbcTransformer, AesGcmTransformer, IdentityTransformer, PrefixTransformers, SecretboxTransformer, type Transformer } from './index.ts';

const key1 = Buffer.alloc(32, 1);
const key2 = Buffer.alloc(32, 2);
const ctx = Buffer.from('/registry/secrets/default/s');
const plain = Buffer.from('{"kind":"Secret","data":{"password":"dG9wc2VjcmV0"}}');

/** A provider as the config builds it: `k8s:enc:<name>:v1:` then one chooser over `<key>:` prefixes. */
function provider(name: string, keys: [string, Transformer][]): { prefix: Uint8Array; transformer: Transformer } {
  return {
    prefix: Buffer.from(`k8s:enc:${name}:v1:`),
    transformer: new PrefixTransformers(`no matching key was found for the provided ${name} transformer`, keys.map(([k, t]) => ({ prefix: Buffer.from(`${k}:`), transformer: t }))),
  };
}

for (const [name, make] of [
  ['aescbc', (k: Buffer) => new AesCbcTransformer(k)],
  ['aesgcm', (k: Buffer) => new AesGcmTransformer(k)],
  ['secretbox', (k: Buffer) => new SecretboxTransformer(k)],
] as const) {
  test(`${name}: round trip, a fresh nonce per write, and a wrong key fails with an error`, () => {
    const t = make(key1);
    const a = t.toStorage(plain, ctx);
    const b = t.toStorage(plain, ctx);
    assert.notDeepEqual(Buffer.from(a), Buffer.from(b), 'each write has its own IV/nonce');
    assert.ok(!Buffer.from(a).includes(Buffer.from('password')), 'no plaintext in the stored bytes');
    assert.deepEqual(Buffer.from(t.fromStorage(a, ctx).data), plain);
    assert.equal(t.fromStorage(a, ctx).stale, false);
    for (const empty of [Buffer.alloc(0), Buffer.from('x')]) {
      assert.deepEqual(Buffer.from(t.fromStorage(t.toStorage(empty, ctx), ctx).data), empty);
    }
    // AES-CBC has no authentication: a wrong key fails the padding check, or (rarely) yields other bytes.
    let wrong: Uint8Array | undefined;
    try {
      wrong = make(key2).fromStorage(a, ctx).data;
    } catch (err) {
      assert.match((err as Error).message, /invalid PKCS7 data|invalid padding on input|message authentication failed|output array was not large enough/);
    }
    if (wrong) assert.equal(name, 'aescbc', 'only aescbc may open with a wrong key');
    if (wrong) assert.notDeepEqual(Buffer.from(wrong), plain);
    assert.throws(() => t.fromStorage(Buffer.from('short'), ctx), /the stored data was shorter than the required size/);
  });
}

test('aescbc: IV then AES-256-CBC with PKCS#7 padding, as upstream lays it out', () => {
  const stored = Buffer.from(new AesCbcTransformer(key1).toStorage(plain, ctx));
  assert.equal((stored.length - 16) % 16, 0);
  const d = createDecipheriv('aes-256-cbc', key1, stored.subarray(0, 16)).setAutoPadding(false);
  const out = Buffer.concat([d.update(stored.subarray(16)), d.final()]);
  const pad = out[out.length - 1]!;
  assert.deepEqual(out.subarray(0, out.length - pad), plain);
  assert.deepEqual(out.subarray(out.length - pad), Buffer.alloc(pad, pad));
  // A full block of padding when the value is a multiple of 16 bytes.
  assert.equal(new AesCbcTransformer(key1).toStorage(Buffer.alloc(32), ctx).length, 16 + 48);
});

test('aesgcm: 12-byte nonce, ciphertext, 16-byte tag; bound to the store key', () => {
  const t = new AesGcmTransformer(key1);
  const stored = t.toStorage(plain, ctx);
  assert.equal(stored.length, 12 + plain.length + 16);
  assert.throws(() => t.fromStorage(stored, Buffer.from('/registry/secrets/default/other')), /cipher: message authentication failed/);
  for (const size of [16, 24]) {
    const k = Buffer.alloc(size, 7);
    assert.deepEqual(Buffer.from(new AesGcmTransformer(k).fromStorage(new AesGcmTransformer(k).toStorage(plain, ctx), ctx).data), plain);
  }
});

test('secretbox: 24-byte nonce then NaCl secretbox (tag first), readable by any NaCl implementation', () => {
  const stored = new SecretboxTransformer(key1).toStorage(plain, ctx);
  assert.equal(stored.length, 24 + 16 + plain.length);
  const opened = nacl.secretbox.open(stored.subarray(24), stored.subarray(0, 24), key1);
  assert.deepEqual(Buffer.from(opened!), plain);
  assert.throws(() => new SecretboxTransformer(Buffer.alloc(16)), /expected key size 32 for secretbox provider, got 16/);
});

test('identity passes bytes through and refuses encrypted ones', () => {
  const t = new IdentityTransformer();
  assert.deepEqual(t.toStorage(plain), plain);
  assert.deepEqual(t.fromStorage(plain).data, plain);
  assert.throws(() => t.fromStorage(Buffer.from('k8s:enc:aescbc:v1:key1:xxxx')), /identity transformer tried to read encrypted data/);
});

test('prefix chooser: the first provider and key write; every provider reads by prefix; others are stale', () => {
  const cbc = provider('aescbc', [['key2', new AesCbcTransformer(key2)], ['key1', new AesCbcTransformer(key1)]]);
  const box = provider('secretbox', [['box1', new SecretboxTransformer(key1)]]);
  const chain = new PrefixTransformers('no matching prefix found', [cbc, box, { prefix: new Uint8Array(), transformer: new IdentityTransformer() }]);

  const written = Buffer.from(chain.toStorage(plain, ctx));
  assert.ok(written.toString('latin1').startsWith('k8s:enc:aescbc:v1:key2:'), 'first provider, first key');
  assert.deepEqual(chain.fromStorage(written, ctx), { data: chain.fromStorage(written, ctx).data, stale: false });
  assert.deepEqual(Buffer.from(chain.fromStorage(written, ctx).data), plain);

  // Written by the old key: readable, and stale.
  const old = Buffer.from(provider('aescbc', [['key1', new AesCbcTransformer(key1)]]).transformer.toStorage(plain, ctx));
  const oldStored = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:'), old]);
  assert.deepEqual(Buffer.from(chain.fromStorage(oldStored, ctx).data), plain);
  assert.equal(chain.fromStorage(oldStored, ctx).stale, true);

  // Another provider and plain JSON (identity last): readable and stale.
  const boxed = Buffer.concat([Buffer.from('k8s:enc:secretbox:v1:'), box.transformer.toStorage(plain, ctx)]);
  assert.equal(chain.fromStorage(boxed, ctx).stale, true);
  assert.deepEqual(Buffer.from(chain.fromStorage(plain, ctx).data), plain);
  assert.equal(chain.fromStorage(plain, ctx).stale, true);

  // A key the config no longer has: upstream's message, no data in it.
  const gone = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key9:'), Buffer.alloc(32)]);
  const onlyCbc = new PrefixTransformers('no matching prefix found', [cbc]);
  assert.throws(() => onlyCbc.fromStorage(gone, ctx), { message: 'no matching key was found for the provided aescbc transformer' });
  assert.throws(() => onlyCbc.fromStorage(plain, ctx), { message: 'no matching prefix found' });
});

test('identity first: writes are plain, encrypted values still read (and are stale)', () => {
  const cbc = provider('aescbc', [['key1', new AesCbcTransformer(key1)]]);
  const chain = new PrefixTransformers('no matching prefix found', [{ prefix: new Uint8Array(), transformer: new IdentityTransformer() }, cbc]);
  assert.deepEqual(Buffer.from(chain.toStorage(plain, ctx)), plain);
  assert.deepEqual(chain.fromStorage(plain, ctx).stale, false);
  const encrypted = new PrefixTransformers('x', [cbc]).toStorage(plain, ctx);
  const read = chain.fromStorage(encrypted, ctx);
  assert.deepEqual(Buffer.from(read.data), plain);
  assert.equal(read.stale, true);
});

test('the same provider listed twice with different keys: a failure in the first does not hide the second', () => {
  const a = provider('aesgcm', [['k', new AesGcmTransformer(key2)]]);
  const b = provider('aesgcm', [['k', new AesGcmTransformer(key1)]]);
  const stored = new PrefixTransformers('x', [b]).toStorage(plain, ctx);
  const read = new PrefixTransformers('no matching prefix found', [a, b]).fromStorage(stored, ctx);
  assert.deepEqual(Buffer.from(read.data), plain);
  assert.equal(read.stale, true);
  // Both fail: every error is reported, none of the data.
  const c = provider('aesgcm', [['k', new AesGcmTransformer(Buffer.alloc(32, 3))]]);
  assert.throws(() => new PrefixTransformers('no matching prefix found', [a, c]).fromStorage(stored, ctx), {
    message: '[cipher: message authentication failed, cipher: message authentication failed]',
  });
});
