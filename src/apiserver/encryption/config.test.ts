import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCES } from '../../api/index.ts';
import { EncryptionConfigError, loadEncryptionConfig, parseEncryptionConfiguration, storeKeyTransformers } from './index.ts';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const plain = Buffer.from('{"kind":"Secret","data":{"password":"dG9wc2VjcmV0LVhZWg=="}}');
const ctx = Buffer.from('/registry/secrets/default/s');

const doc = (rules: string) => `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n${rules}`;
const stored = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function fails(text: string, message: string): void {
  assert.throws(() => parseEncryptionConfiguration(text), (err: Error) => {
    assert.ok(err instanceof EncryptionConfigError);
    assert.equal(err.message, message);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

test('a valid config: the first provider and key write with the upstream prefix; every listed provider reads', () => {
  const config = parseEncryptionConfiguration(doc(`
  - resources: [secrets, configmaps]
    providers:
      - aescbc:
          keys:
            - name: key2
              secret: ${K2}
            - name: key1
              secret: ${K1}
      - secretbox:
          keys: [{ name: box, secret: ${K1} }]
      - identity: {}
`));
  const secrets = config.transformerFor({ group: '', resource: 'secrets' });
  const out = secrets.toStorage(plain, ctx);
  assert.ok(stored(out).startsWith('k8s:enc:aescbc:v1:key2:'));
  assert.ok(!Buffer.from(out).includes(Buffer.from('dG9wc2VjcmV0')));
  assert.deepEqual(Buffer.from(secrets.fromStorage(out, ctx).data), plain);
  assert.equal(secrets.fromStorage(plain, ctx).stale, true, 'plain data reads through identity, stale');
  assert.ok(stored(config.transformerFor({ group: '', resource: 'configmaps' }).toStorage(plain, ctx)).startsWith('k8s:enc:aescbc:v1:key2:'));
  // Not named: stored plain, and encrypted bytes are refused rather than parsed.
  const pods = config.transformerFor({ group: '', resource: 'pods' });
  assert.deepEqual(Buffer.from(pods.toStorage(plain, ctx)), plain);
  assert.throws(() => pods.fromStorage(out, ctx), /identity transformer tried to read encrypted data/);
  assert.deepEqual(config.summary, [{ resources: ['secrets', 'configmaps'], writes: 'aescbc key2' }]);
});

test('aesgcm and secretbox write with their prefixes; identity first writes plain', () => {
  for (const [provider, prefix] of [['aesgcm', 'k8s:enc:aesgcm:v1:g:'], ['secretbox', 'k8s:enc:secretbox:v1:g:']]) {
    const t = parseEncryptionConfiguration(doc(`  - resources: [secrets]\n    providers:\n      - ${provider}:\n          keys: [{ name: g, secret: ${K1} }]\n`)).transformerFor({ group: '', resource: 'secrets' });
    const out = t.toStorage(plain, ctx);
    assert.ok(stored(out).startsWith(prefix), stored(out).slice(0, 30));
    assert.deepEqual(Buffer.from(t.fromStorage(out, ctx).data), plain);
  }
  const t = parseEncryptionConfiguration(doc(`  - resources: [secrets]\n    providers:\n      - identity: {}\n      - aescbc:\n          keys: [{ name: key1, secret: ${K1} }]\n`)).transformerFor({ group: '', resource: 'secrets' });
  assert.deepEqual(Buffer.from(t.toStorage(plain, ctx)), plain);
});

test('wildcards: exact beats *.group beats *.*; events.k8s.io events are events; store keys map to resources', () => {
  const config = parseEncryptionConfiguration(doc(`
  - resources: [events]
    providers: [{ identity: {} }]
  - resources: [secrets]
    providers: [{ aescbc: { keys: [{ name: s, secret: ${K1} }] } }]
  - resources: ['*.apps']
    providers: [{ aescbc: { keys: [{ name: apps, secret: ${K1} }] } }]
  - resources: ['*.*']
    providers: [{ secretbox: { keys: [{ name: all, secret: ${K2} }] } }]
`));
  const forKey = storeKeyTransformers(config, RESOURCES);
  const prefixOf = (key: string) => {
    const t = forKey(key);
    return t ? stored(t.toStorage(plain, Buffer.from(key))).split(':').slice(0, 5).join(':') : 'untouched';
  };
  assert.equal(prefixOf('/registry/secrets/default/s'), 'k8s:enc:aescbc:v1:s');
  assert.equal(prefixOf('/registry/apps/deployments/default/d'), 'k8s:enc:aescbc:v1:apps');
  assert.equal(prefixOf('/registry/configmaps/default/c'), 'k8s:enc:secretbox:v1:all');
  assert.equal(prefixOf('/registry/namespaces/default'), 'k8s:enc:secretbox:v1:all', 'cluster-scoped');
  assert.equal(prefixOf('/registry/batch/jobs/default/j'), 'k8s:enc:secretbox:v1:all');
  assert.ok(prefixOf('/registry/events/default/e').startsWith('{'), 'identity for events');
  assert.ok(prefixOf('/registry/events.k8s.io/events/default/e').startsWith('{'), 'events.k8s.io follows events');
  assert.equal(prefixOf('/kubeling/bootstrap'), 'untouched');
  assert.equal(prefixOf('/registry/nosuchthing/x'), 'untouched');

  const core = storeKeyTransformers(parseEncryptionConfiguration(doc(`  - resources: ['*.']\n    providers: [{ aesgcm: { keys: [{ name: core, secret: ${K1} }] } }]\n`)), RESOURCES);
  assert.ok(stored(core('/registry/pods/default/p')!.toStorage(plain, ctx)).startsWith('k8s:enc:aesgcm:v1:core:'));
  assert.ok(stored(core('/registry/apps/deployments/default/d')!.toStorage(plain, ctx)).startsWith('{'));
});

test('a resource in two rules gets both rules\' providers, the first rule writing', () => {
  const config = parseEncryptionConfiguration(doc(`
  - resources: [secrets]
    providers: [{ aescbc: { keys: [{ name: new, secret: ${K2} }] } }]
  - resources: [secrets, configmaps]
    providers: [{ aescbc: { keys: [{ name: old, secret: ${K1} }] } }]
`));
  const oldOnly = parseEncryptionConfiguration(doc(`  - resources: [secrets]\n    providers: [{ aescbc: { keys: [{ name: old, secret: ${K1} }] } }]\n`));
  const t = config.transformerFor({ group: '', resource: 'secrets' });
  const fromOld = oldOnly.transformerFor({ group: '', resource: 'secrets' }).toStorage(plain, ctx);
  assert.deepEqual(t.fromStorage(fromOld, ctx), { data: t.fromStorage(fromOld, ctx).data, stale: true });
  assert.ok(stored(t.toStorage(plain, ctx)).startsWith('k8s:enc:aescbc:v1:new:'));
});

test('bad configs: upstream\'s messages, one line, never a secret', () => {
  const one = (provider: string) => doc(`  - resources: [secrets]\n    providers:\n${provider}`);
  fails(one(`      - aescbc:\n          keys: [{ name: k, secret: ${Buffer.alloc(8).toString('base64')} }]\n`),
    'error while parsing file: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]');
  fails(one(`      - secretbox:\n          keys: [{ name: k, secret: ${Buffer.alloc(16).toString('base64')} }]\n`),
    'error while parsing file: resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]');
  fails(one('      - aesgcm:\n          keys: [{ name: k, secret: "P@ssword-not-base64" }]\n'),
    'error while parsing file: resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded');
  fails(one(`      - aescbc:\n          keys: [{ secret: ${K1} }, { name: b }]\n`),
    'error while parsing file: [resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory field for a key, resources[0].providers[0].aescbc.keys[1].secret: Required value: secret is a mandatory field for a key]');
  fails(one('      - aescbc:\n          keys: []\n'), 'error while parsing file: resources[0].providers[0].aescbc.keys: Required value: at least one keys is required');
  fails(one(`      - aescbcc:\n          keys: [{ name: k, secret: ${K1} }]\n`),
    'error while parsing file: resources[0].providers[0]: Invalid value: "object": provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity');
  fails(one(`      - identity: {}\n        aescbc:\n          keys: [{ name: k, secret: ${K1} }]\n`),
    'error while parsing file: resources[0].providers[0]: Invalid value: "object": more than one provider specified in a single element, should split into different list elements');
  fails(one('      - kms:\n          apiVersion: v2\n          name: myKms\n          endpoint: unix:///tmp/kms.sock\n'),
    'error while parsing file: resources[0].providers[0].kms: Invalid value: "myKms": KMS providers are not supported by kubeling; use aescbc, aesgcm or secretbox');
  fails(doc('  - resources: [secrets, secrets]\n    providers: [{ identity: {} }]\n'),
    'error while parsing file: resources[0].resources: Invalid value: []string{"secrets", "secrets"}: the same resource cannot be specified multiple times');
  fails(doc('  - resources: [secrets, "*."]\n    providers: [{ identity: {} }]\n'),
    'error while parsing file: resources[0].resources: Invalid value: []string{"secrets", "*."}: using overlapping resources such as \'secrets\' and \'*.\' in the same resource list is not allowed as they will be masked');
  fails(doc('  - resources: ["*"]\n    providers: [{ identity: {} }]\n'),
    'error while parsing file: resources[0].resources[0]: Invalid value: "*": use \'*.\' to encrypt all the resources from core API group or *.* to encrypt all resources');
  fails(doc('  - resources: [Secrets]\n    providers: [{ identity: {} }]\n'),
    'error while parsing file: resources[0].resources[0]: Invalid value: "Secrets": resource name should not contain capital letters');
  fails(doc('  - resources: ["*.events.k8s.io"]\n    providers: [{ identity: {} }]\n'),
    'error while parsing file: resources[0].resources[0]: Invalid value: "*.events.k8s.io": \'*.events.k8s.io\' objects are stored using the \'events\' API group in etcd. Use \'events\' instead in the config file');
  fails(doc('  - resources: ["secrets.*"]\n    providers: [{ identity: {} }]\n'),
    'error while parsing file: resources[0].resources[0]: Invalid value: "secrets.*": encrypting the same resource across groups is not supported');
  fails(doc('  - resources: []\n    providers: []\n'),
    'error while parsing file: [resources[0].resources: Required value: at least one resources[0].resources is required, resources[0].providers: Required value: at least one resources[0].providers is required]');
  fails(doc('  []\n'), 'error while parsing file: resources: Required value: at least one resources is required');
  fails(doc(`  - resources: ["*.*"]\n    providers: [{ identity: {} }]\n  - resources: [secrets]\n    providers: [{ aescbc: { keys: [{ name: k, secret: ${K1} }] } }]\n`),
    'resource "secrets" is masked by earlier rule "*.*"');
  fails(doc('  - resources: ["*.apps"]\n    providers: [{ identity: {} }]\n  - resources: [deployments.apps]\n    providers: [{ identity: {} }]\n'),
    'resource "deployments.apps" is masked by earlier rule "*.apps"');
  fails('apiVersion: v1\nkind: EncryptionConfig\nresources: []\n', 'error while parsing file: no kind "EncryptionConfig" is registered for version "v1"');
  fails('resources: []\n', "error while parsing file: Object 'Kind' is missing");
});

test('loadEncryptionConfig: a missing or empty file is one line naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubeling-enc-'));
  try {
    await assert.rejects(loadEncryptionConfig(join(dir, 'none.yaml')), /^EncryptionConfigError: error while parsing file: error opening encryption provider configuration file ".*none\.yaml": ENOENT/);
    await writeFile(join(dir, 'empty.yaml'), '');
    await assert.rejects(loadEncryptionConfig(join(dir, 'empty.yaml')), { message: `error while parsing file: encryption provider configuration file "${join(dir, 'empty.yaml')}" is empty` });
    await writeFile(join(dir, 'ok.json'), JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'key1', secret: K1 }] } }] }] }));
    assert.ok(stored((await loadEncryptionConfig(join(dir, 'ok.json'))).transformerFor({ group: '', resource: 'secrets' }).toStorage(plain, ctx)).startsWith('k8s:enc:aescbc:v1:key1:'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
