/**
 * One cluster identity for several servers on one datastore, as k3s keeps its bootstrap data in its
 * datastore: the CA (certificate and key), the service-account signing key, and the admin, node and kubelet
 * client tokens. The first server stores them under `/kubeling/bootstrap` (outside the API's `/registry/`
 * key space), encrypted with AES-256-GCM under a key derived (scrypt) from the node token; a later server
 * started on the same store with that token (`--token` or `--token-file`) reads them and writes them into its
 * own data dir before it loads its PKI, so every server signs and accepts the same credentials. Each server
 * keeps its own serving certificate (its own names), signed by the shared CA.
 *
 * The first store write is a create (compare-and-swap on absence): two servers starting at once end with the
 * data of whichever won. A wrong token is an error, never a second identity.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../storage/index.ts';

export const BOOTSTRAP_KEY = '/kubeling/bootstrap';

/** The data-dir files that make up the identity (relative to the data dir). */
const FILES = {
  caCrt: 'pki/ca.crt',
  caKey: 'pki/ca.key',
  saKey: 'pki/sa.key',
  adminToken: 'admin-token',
  nodeToken: 'node-token',
  kubeletToken: 'kubelet-client-token',
} as const;

export type BootstrapData = Record<keyof typeof FILES, string>;

interface Sealed {
  v: 1;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

function keyFor(token: string, salt: Buffer): Buffer {
  return scryptSync(token, salt, 32);
}

export function seal(data: BootstrapData, token: string): Uint8Array {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(token, salt), iv);
  const enc = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  const sealed: Sealed = { v: 1, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: enc.toString('base64') };
  return Buffer.from(JSON.stringify(sealed));
}

export function unseal(bytes: Uint8Array, token: string): BootstrapData {
  let sealed: Sealed;
  try {
    sealed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Sealed;
  } catch {
    throw new Error(`the bootstrap data at ${BOOTSTRAP_KEY} in the datastore is not readable`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(token, Buffer.from(sealed.salt, 'base64')), Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as BootstrapData;
  } catch {
    throw new Error('the datastore holds another cluster\'s bootstrap data, which this token does not decrypt: start with --token (or --token-file) set to the node token of the first server');
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  return existsSync(file) ? readFile(file, 'utf8') : undefined;
}

/** Reads the identity files of a data dir (after the server made any that were missing). */
export async function readBootstrapFiles(dataDir: string): Promise<BootstrapData> {
  const out = {} as BootstrapData;
  for (const [k, rel] of Object.entries(FILES) as [keyof BootstrapData, string][]) {
    const text = await readIfExists(join(dataDir, rel));
    if (text === undefined) throw new Error(`bootstrap: ${rel} missing in ${dataDir}`);
    out[k] = text;
  }
  return out;
}

/**
 * Writes the cluster's identity into a data dir. When the CA changes, the old serving certificate (signed by
 * another CA) is removed so the server makes a new one.
 */
export async function writeBootstrapFiles(dataDir: string, data: BootstrapData): Promise<void> {
  await mkdir(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
  if ((await readIfExists(join(dataDir, FILES.caCrt))) !== data.caCrt) {
    await rm(join(dataDir, 'pki', 'server.crt'), { force: true });
    await rm(join(dataDir, 'pki', 'server.key'), { force: true });
  }
  for (const [k, rel] of Object.entries(FILES) as [keyof BootstrapData, string][]) {
    await writeFile(join(dataDir, rel), data[k], { mode: rel === FILES.caCrt ? 0o644 : 0o600 });
  }
}

/**
 * Before the server loads its PKI and tokens: when the store holds bootstrap data, the data dir gets it
 * (decrypted with `token`, or with the data dir's own node token when none was given) and `'joined'` is
 * returned; otherwise `'first'`, and the server calls `publishBootstrap` once it has made its identity.
 */
export async function loadBootstrap(store: Store, dataDir: string, token: string | undefined): Promise<'joined' | 'first'> {
  const kv = await store.get(BOOTSTRAP_KEY);
  if (!kv) return 'first';
  const key = token ?? (await readIfExists(join(dataDir, FILES.nodeToken)))?.trim();
  if (!key) {
    throw new Error('the datastore holds another server\'s bootstrap data: start with --token (or --token-file) set to the node token of the first server');
  }
  await writeBootstrapFiles(dataDir, unseal(kv.value, key));
  return 'joined';
}

/**
 * Stores this server's identity, sealed with its node token, unless another server stored one first; in
 * that case the data dir takes the stored one (the caller reloads) and `'joined'` is returned.
 */
export async function publishBootstrap(store: Store, dataDir: string): Promise<'published' | 'joined'> {
  const data = await readBootstrapFiles(dataDir);
  const token = data.nodeToken.trim();
  const res = await store.create(BOOTSTRAP_KEY, seal(data, token));
  if (res.ok) return 'published';
  if (!res.current) throw new Error(`bootstrap: storing ${BOOTSTRAP_KEY} failed`);
  await writeBootstrapFiles(dataDir, unseal(res.current.value, token));
  return 'joined';
}
