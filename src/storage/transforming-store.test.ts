import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory/index.ts';
import { runStoreConformance } from './store.conformance.ts';
import { TransformingStore } from './transforming-store.ts';
import { AesGcmTransformer, AesCbcTransformer, IdentityTransformer, PrefixTransformers, type Transformer } from './encrypt/index.ts';

const bytes = (s: string) => Buffer.from(s);

function aescbc(keys: [string, Buffer][]): Transformer {
  return new PrefixTransformers('no matching prefix found', [{
    prefix: bytes('k8s:enc:aescbc:v1:'),
    transformer: new PrefixTransformers('no matching key was found for the provided AES transformer', keys.map(([n, k]) => ({ prefix: bytes(`${n}:`), transformer: new AesCbcTransformer(k) }))),
  }]);
}

// The whole Store contract holds through the wrapper, with every value encrypted.
runStoreConformance('transforming (aesgcm over memory)', async () => new TransformingStore({
  store: new MemoryStore(),
  transformerFor: () => new PrefixTransformers('no matching prefix found', [{ prefix: bytes('k8s:enc:aesgcm:v1:k:'), transformer: new AesGcmTransformer(Buffer.alloc(32, 9)) }]),
}));

test('TransformingStore encrypts the keys it is given, passes others through, and decrypts reads, lists, CAS results and watches', async () => {
  const inner = new MemoryStore();
  const t = aescbc([['key1', Buffer.alloc(32, 1)]]);
  const store = new TransformingStore({ store: inner, transformerFor: (key) => (key.startsWith('/registry/secrets/') ? t : undefined) });
  try {
    const ac = new AbortController();
    const events: string[] = [];
    const watching = (async () => {
      for await (const batch of store.watch('/registry/', { afterRevision: await store.currentRevision(), signal: ac.signal, prevKv: true })) {
        for (const e of batch) events.push(`${e.type} ${e.kv.key} ${Buffer.from(e.kv.value).toString()} prev=${e.prevKv ? Buffer.from(e.prevKv.value).toString() : ''}`);
        if (events.length === 4) ac.abort();
      }
    })();

    const created = await store.create('/registry/secrets/default/s', bytes('{"data":"topsecret"}'));
    assert.ok(created.ok);
    assert.equal(Buffer.from(created.kv.value).toString(), '{"data":"topsecret"}');
    await store.create('/registry/configmaps/default/c', bytes('{"plain":true}'));

    const raw = await inner.get('/registry/secrets/default/s');
    assert.ok(Buffer.from(raw!.value).toString('latin1').startsWith('k8s:enc:aescbc:v1:key1:'));
    assert.ok(!Buffer.from(raw!.value).includes(bytes('topsecret')));
    assert.equal(Buffer.from((await inner.get('/registry/configmaps/default/c'))!.value).toString(), '{"plain":true}');

    assert.equal(Buffer.from((await store.get('/registry/secrets/default/s'))!.value).toString(), '{"data":"topsecret"}');
    const listed = await store.list('/registry/');
    assert.deepEqual(listed.kvs.map((kv) => Buffer.from(kv.value).toString()), ['{"plain":true}', '{"data":"topsecret"}']);

    const lost = await store.update('/registry/secrets/default/s', bytes('{"data":"x"}'), 1);
    assert.equal(lost.ok, false);
    assert.equal(Buffer.from((lost as { current: { value: Uint8Array } }).current.value).toString(), '{"data":"topsecret"}');
    const updated = await store.update('/registry/secrets/default/s', bytes('{"data":"v2"}'), created.kv.modRevision);
    assert.ok(updated.ok);
    const deleted = await store.delete('/registry/secrets/default/s');
    assert.ok(deleted.ok);
    assert.equal(Buffer.from(deleted.kv.value).toString(), '{"data":"v2"}');
    await watching;
    assert.deepEqual(events, [
      'put /registry/secrets/default/s {"data":"topsecret"} prev=',
      'put /registry/configmaps/default/c {"plain":true} prev=',
      'put /registry/secrets/default/s {"data":"v2"} prev={"data":"topsecret"}',
      'delete /registry/secrets/default/s {"data":"v2"} prev={"data":"v2"}',
    ]);
  } finally {
    await store.close();
  }
});

test('TransformingStore: rotation marks old values stale; an unknown key is an error naming the store key only', async () => {
  const inner = new MemoryStore();
  const k1 = Buffer.alloc(32, 1);
  const k2 = Buffer.alloc(32, 2);
  const before = new TransformingStore({ store: inner, transformerFor: () => aescbc([['key1', k1]]) });
  await before.create('/registry/secrets/default/s', bytes('{"data":"topsecret"}'));
  await inner.create('/registry/secrets/default/plain', bytes('{"data":"plain"}'));

  const rotated = new TransformingStore({
    store: inner,
    transformerFor: () => new PrefixTransformers('no matching prefix found', [
      { prefix: bytes('k8s:enc:aescbc:v1:'), transformer: new PrefixTransformers('no matching key was found for the provided AES transformer', [
        { prefix: bytes('key2:'), transformer: new AesCbcTransformer(k2) }, { prefix: bytes('key1:'), transformer: new AesCbcTransformer(k1) }]) },
      { prefix: new Uint8Array(), transformer: new IdentityTransformer() },
    ]),
  });
  const old = (await rotated.get('/registry/secrets/default/s'))!;
  assert.equal(old.stale, true);
  assert.equal((await rotated.get('/registry/secrets/default/plain'))!.stale, true, 'plain data under an encrypting config is stale too');
  const rewritten = await rotated.update(old.key, old.value, old.modRevision);
  assert.ok(rewritten.ok);
  assert.equal(rewritten.kv.stale, undefined);
  assert.ok(Buffer.from((await inner.get(old.key))!.value).toString('latin1').startsWith('k8s:enc:aescbc:v1:key2:'));

  const onlyKey1 = new TransformingStore({ store: inner, transformerFor: () => aescbc([['key1', k1]]) });
  await assert.rejects(onlyKey1.get(old.key), (err: Error) => {
    assert.equal(err.message, 'unable to transform key "/registry/secrets/default/s": no matching key was found for the provided AES transformer');
    return true;
  });
  await assert.rejects(onlyKey1.list('/registry/secrets/'), /unable to transform key "\/registry\/secrets\/default\/plain": no matching prefix found/);
  await inner.close();
});
