/**
 * The server's PKI, made on first start and kept under the data dir: a self-signed CA (`ca.crt`, `ca.key`) and a
 * serving certificate it signs (`server.crt`, `server.key`) with SANs for 127.0.0.1, localhost and the listen host.
 * A later start reuses both, and makes a new serving certificate only when the listen host is not among its SANs,
 * so kubeconfigs handed out earlier (which pin the CA) keep working. New keys are RSA 2048 with SHA-256
 * signatures, as kubeadm makes them: small TLS clients such as busybox's wget cannot handshake with an ECDSA
 * serving key. Keys already in a data dir (ECDSA P-256 before) are kept and used with their own algorithm.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { DEFAULT_CIPHERS, type SecureContextOptions } from 'node:tls';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type Key = webcrypto.CryptoKey;
type KeyPair = webcrypto.CryptoKeyPair;

type Alg = webcrypto.RsaHashedKeyGenParams | (webcrypto.EcKeyGenParams & { hash: string });

/** What new keys are made with: kubeadm's default (RSA 2048, SHA-256). */
const RSA: Alg = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
/** Earlier data dirs hold ECDSA P-256 keys. */
const ECDSA: Alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const TEN_YEARS = 10 * 365 * 24 * 3600 * 1000;

export interface ServerPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * TLS options for serving with a certificate and key. A TLS 1.2 client that sends no signature_algorithms
 * extension (busybox 1.35's wget does not) asks for SHA-1 signatures of the key exchange (RFC 5246
 * §7.4.1.4.1), which OpenSSL 3 refuses above security level 0 ("no suitable signature algorithm", alert 40);
 * Go's crypto/tls, which the real API server uses, still signs with SHA-1 for them. Level 0 only widens what
 * such clients may get: clients that send the extension get the SHA-256/PSS schemes they list first, and the
 * cipher list stays Node's default.
 */
export function servingTlsOptions(tls: { certPem: string; keyPem: string }): SecureContextOptions {
  return { cert: tls.certPem, key: tls.keyPem, ciphers: `${DEFAULT_CIPHERS}:@SECLEVEL=0` };
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): ArrayBuffer {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** Imports a stored PKCS#8 key with the algorithm it was made for; returns that algorithm for signing. */
async function importKey(pem: string): Promise<{ key: Key; alg: Alg }> {
  const alg = createPrivateKey(pem).asymmetricKeyType === 'ec' ? ECDSA : RSA;
  return { key: await webcrypto.subtle.importKey('pkcs8', fromPem(pem), alg, true, ['sign']), alg };
}

async function makeCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as KeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=kubeling-ca@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + TEN_YEARS),
    keys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: toPem(pkcs8, 'PRIVATE KEY') };
}

async function makeServing(caPem: string, caKeyPem: string, hosts: string[]): Promise<{ certPem: string; keyPem: string }> {
  const ca = new x509.X509Certificate(caPem);
  const { key: caKey, alg: caAlg } = await importKey(caKeyPem);
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as KeyPair;
  const now = Date.now();
  const names = hosts.map((h) => ({ type: (isIP(h) ? 'ip' : 'dns') as 'ip' | 'dns', value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=kubeling-apiserver',
    issuer: ca.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + TEN_YEARS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: caAlg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: toPem(pkcs8, 'PRIVATE KEY') };
}

function sans(certPem: string): Set<string> {
  const cert = new x509.X509Certificate(certPem);
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return new Set(ext?.names.items.map((n) => n.value) ?? []);
}

/** Loads the PKI from `dir`, creating what is missing; the serving cert covers `extraHosts` as well. */
export async function ensurePki(dir: string, extraHosts: string[] = []): Promise<ServerPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCrt = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const crt = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  if (!existsSync(caCrt) || !existsSync(caKey)) {
    const ca = await makeCa();
    await writeFile(caKey, ca.keyPem, { mode: 0o600 });
    await writeFile(caCrt, ca.certPem);
  }
  const caPem = await readFile(caCrt, 'utf8');
  const caKeyPem = await readFile(caKey, 'utf8');
  const hosts = [...new Set(['127.0.0.1', 'localhost', '::1', ...extraHosts.filter((h) => h && h !== '0.0.0.0' && h !== '::')])];
  let fresh = !existsSync(crt) || !existsSync(key);
  if (!fresh) {
    const have = sans(await readFile(crt, 'utf8'));
    fresh = hosts.some((h) => !have.has(h));
  }
  if (fresh) {
    const s = await makeServing(caPem, caKeyPem, hosts);
    await writeFile(key, s.keyPem, { mode: 0o600 });
    await writeFile(crt, s.certPem);
  }
  return { caPem, certPem: await readFile(crt, 'utf8'), keyPem: await readFile(key, 'utf8') };
}
