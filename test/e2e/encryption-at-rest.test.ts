/**
 * Secrets encrypted at rest (`--encryption-provider-config`), driven by the real kubectl: a secret created
 * through the API is stored as `k8s:enc:aescbc:v1:key1:` + ciphertext (its value appears nowhere in the
 * store's files or the server's logs), reads back through kubectl, and survives upstream's key rotation
 * (add key2 first, restart, `kubectl get secrets -A -o json | kubectl replace -f -`, drop key1, restart). The
 * same on etcd, read raw with the etcd client, when etcd is installed. A bad config stops the server with one
 * line and a non-zero exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBELING_BIN, startServer, type ServerHandle } from './helpers/server.ts';
import { SqliteStore } from '../../src/storage/index.ts';
import { EtcdStore } from '../../src/storage/etcd/index.ts';
import { startEtcd } from '../fixtures/etcd.ts';
import { missingEtcd } from '../prerequisites.ts';

const SECRET = 'topsecret-XYZ';
const SECRET_B64 = Buffer.from(SECRET).toString('base64');
const KEY1 = Buffer.alloc(32, 0x11).toString('base64');
const KEY2 = Buffer.alloc(32, 0x22).toString('base64');
const KEY = '/registry/secrets/default/s';

function config(keys: [string, string][]): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    '      - aescbc:',
    '          keys:',
    ...keys.flatMap(([name, secret]) => [`            - name: ${name}`, `              secret: ${secret}`]),
    '      - identity: {}',
    '',
  ].join('\n');
}

async function ok(server: ServerHandle, args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function password(server: ServerHandle): Promise<string> {
  return Buffer.from(await ok(server, ['get', 'secret', 's', '-o', 'jsonpath={.data.password}']), 'base64').toString();
}

/** `kubectl get secrets -A -o json | kubectl replace -f -`, as upstream's rotation guide says. */
async function rewriteAllSecrets(server: ServerHandle): Promise<void> {
  await ok(server, ['replace', '-f', '-'], await ok(server, ['get', 'secrets', '-A', '-o', 'json']));
}

/** Every byte the sqlite store has on disk (the database and its write-ahead log). */
function sqliteBytes(dataDir: string): Buffer {
  return Buffer.concat(['state.db', 'state.db-wal'].map((f) => join(dataDir, f)).filter(existsSync).map((f) => readFileSync(f)));
}

function assertNoSecretIn(what: string, bytes: Buffer | string): void {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  assert.ok(!b.includes(SECRET), `${what} holds the secret in clear`);
  assert.ok(!b.includes(SECRET_B64), `${what} holds the secret's base64`);
}

/** The raw value of the secret's key in a stopped server's sqlite file, through the plain backend. */
async function rawSqliteValue(dataDir: string): Promise<Buffer> {
  const store = new SqliteStore({ path: join(dataDir, 'state.db') });
  try {
    const kv = await store.get(KEY);
    assert.ok(kv, 'the secret is stored');
    return Buffer.from(kv.value);
  } finally {
    await store.close();
  }
}

/** Runs `kubeling server` that is expected to stop before `ready`: its exit code and output. */
async function serverThatFails(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [KUBELING_BIN, 'server', '--no-agent', '--runtime', 'fake', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

test('sqlite: a secret is stored aescbc-encrypted, reads back, and survives key rotation', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-e2e-encryption-'));
  const configFile = join(dataDir, 'encryption.yaml');
  let server: ServerHandle | undefined;
  t.after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = () => startServer({ storage: 'sqlite', noAgent: true, dataDir, args: ['--encryption-provider-config', configFile] });
  const logs: string[] = [];

  writeFileSync(configFile, config([['key1', KEY1]]));
  server = await start();
  await ok(server, ['create', 'secret', 'generic', 's', `--from-literal=password=${SECRET}`]);
  await ok(server, ['create', 'configmap', 'c', '--from-literal=note=plain-note-ABC']);
  assert.equal(await password(server), SECRET);

  const onDisk = sqliteBytes(dataDir);
  assertNoSecretIn('the sqlite files', onDisk);
  assert.ok(onDisk.includes('k8s:enc:aescbc:v1:key1:'), 'the stored value carries the provider and key name');
  assert.ok(onDisk.includes('plain-note-ABC'), 'configmaps are not named in the config: stored plain');
  // A watch sees the plaintext object too (it is served from the watch cache, fed by the store's watch).
  const listed = JSON.parse(await ok(server, ['get', 'secrets', '-o', 'json'])) as { items: { metadata: { name: string }; data: Record<string, string> }[] };
  assert.equal(listed.items.find((s) => s.metadata.name === 's')?.data.password, SECRET_B64);

  logs.push(server.stderr());
  await server.stop();
  server = undefined;
  const stored = await rawSqliteValue(dataDir);
  assert.ok(stored.toString('latin1').startsWith('k8s:enc:aescbc:v1:key1:'));
  assertNoSecretIn('the stored value', stored);

  // The old key left out too early: the server refuses to start and names the key it cannot read.
  writeFileSync(configFile, config([['key2', KEY2]]));
  const early = await serverThatFails(['--data-dir', dataDir, '--encryption-provider-config', configFile]);
  assert.equal(early.code, 1);
  assert.ok(!early.stdout.includes('ready'));
  assert.match(early.stderr, /^kubeling server: unable to transform key "\/registry\/secrets\/default\/s": no matching key was found for the provided AES transformer \(--encryption-provider-config must list every key stored data still uses\)$/m);
  logs.push(early.stderr);

  // Rotation, step 1: the new key first, the old one still listed; old data reads, rewrites use key2.
  writeFileSync(configFile, config([['key2', KEY2], ['key1', KEY1]]));
  server = await start();
  assert.equal(await password(server), SECRET);
  await rewriteAllSecrets(server);
  assert.equal(await password(server), SECRET);
  logs.push(server.stderr());
  await server.stop();
  server = undefined;
  const rotated = await rawSqliteValue(dataDir);
  assert.ok(rotated.toString('latin1').startsWith('k8s:enc:aescbc:v1:key2:'), `rewritten with key2: ${rotated.subarray(0, 24).toString('latin1')}`);

  // Step 2: the old key removed; everything still reads.
  writeFileSync(configFile, config([['key2', KEY2]]));
  server = await start();
  assert.equal(await password(server), SECRET);
  await ok(server, ['create', 'secret', 'generic', 'later', `--from-literal=password=${SECRET}`]);
  assertNoSecretIn('the sqlite files', sqliteBytes(dataDir));
  logs.push(server.stderr());
  assertNoSecretIn("the server's logs", logs.join('\n'));
});

test('a bad --encryption-provider-config stops the server with one line and a non-zero exit', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-e2e-encryption-bad-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const configFile = join(dataDir, 'encryption.yaml');
  writeFileSync(configFile, config([['key1', Buffer.from('short-key').toString('base64')]]));
  const { code, stdout, stderr } = await serverThatFails(['--data-dir', dataDir, '--storage', 'memory', '--encryption-provider-config', configFile]);
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.equal(stderr, 'kubeling server: error while parsing file: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 9, expected one of [16 24 32]\n');
});

test('etcd: the stored value is encrypted, and rotation rewrites it with the new key', { skip: missingEtcd() }, async (t) => {
  const etcd = await startEtcd();
  const storage = `etcd://${etcd.url.replace(/^http:\/\//, '')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-e2e-encryption-etcd-'));
  const configFile = join(dataDir, 'encryption.yaml');
  const raw = new EtcdStore({ endpoints: [etcd.url] });
  let server: ServerHandle | undefined;
  t.after(async () => {
    await server?.stop();
    await raw.close();
    rmSync(dataDir, { recursive: true, force: true });
    await etcd.stop();
  });
  const start = () => startServer({ noAgent: true, dataDir, args: ['--storage', storage, '--encryption-provider-config', configFile] });
  const rawValue = async () => Buffer.from((await raw.get(KEY))!.value);

  writeFileSync(configFile, config([['key1', KEY1]]));
  server = await start();
  await ok(server, ['create', 'secret', 'generic', 's', `--from-literal=password=${SECRET}`]);
  assert.equal(await password(server), SECRET);
  const stored = await rawValue();
  assert.ok(stored.toString('latin1').startsWith('k8s:enc:aescbc:v1:key1:'));
  assertNoSecretIn('the etcd value', stored);
  await server.stop();
  server = undefined;

  writeFileSync(configFile, config([['key2', KEY2], ['key1', KEY1]]));
  server = await start();
  await rewriteAllSecrets(server);
  const rotated = await rawValue();
  assert.ok(rotated.toString('latin1').startsWith('k8s:enc:aescbc:v1:key2:'));
  assertNoSecretIn('the etcd value', rotated);
  await server.stop();
  server = undefined;

  writeFileSync(configFile, config([['key2', KEY2]]));
  server = await start();
  assert.equal(await password(server), SECRET);
  assertNoSecretIn("the server's logs", server.stderr());
});
