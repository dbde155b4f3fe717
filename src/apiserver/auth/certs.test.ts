/**
 * The server's PKI: new CA and serving keys are RSA 2048 signed with SHA-256 (kubeadm's default), so a TLS
 * client that offers only RSA signature algorithms completes a handshake, and so does busybox's wget (which
 * sends no signature_algorithms extension at all); a data dir made earlier with ECDSA keys keeps them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { ensurePki, servingTlsOptions } from './certs.ts';

/** Handshakes with a TLS server on those files, offering only RSA signature schemes; resolves the protocol. */
async function handshakeRsaOnly(pki: { caPem: string; certPem: string; keyPem: string }, options: tls.ConnectionOptions = {}): Promise<string> {
  const server = tls.createServer({ cert: pki.certPem, key: pki.keyPem }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.caPem, servername: 'localhost', sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256', ...options }, () => {
        resolve(socket.getProtocol() ?? '');
        socket.end();
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-pki-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a new CA and serving certificate are RSA 2048 with SHA-256 signatures; RSA-only clients handshake', withDir(async (dir) => {
  const pki = await ensurePki(dir);
  for (const pem of [pki.caPem, pki.certPem]) {
    const cert = new X509Certificate(pem);
    assert.equal(cert.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    const sig = new x509.X509Certificate(pem).signatureAlgorithm as { name: string; hash?: { name: string } };
    assert.equal(sig.name, 'RSASSA-PKCS1-v1_5');
    assert.equal(sig.hash?.name, 'SHA-256');
  }
  assert.equal(createPrivateKey(readFileSync(join(dir, 'ca.key'), 'utf8')).asymmetricKeyType, 'rsa');
  assert.ok(new X509Certificate(pki.certPem).verify(new X509Certificate(pki.caPem).publicKey));
  assert.equal(await handshakeRsaOnly(pki), 'TLSv1.3');
  // TLS 1.2 with an ECDHE-RSA suite, what small clients such as busybox's wget speak.
  assert.equal(await handshakeRsaOnly(pki, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256' }), 'TLSv1.2');
}));

test('an existing ECDSA CA is kept; a serving certificate made for a new host is signed by it', withDir(async (dir) => {
  // A data dir as earlier versions made it: ECDSA P-256 CA.
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=old-ca',
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 3600_000 * 24),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  const caKeyPem = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' }) as string;
  writeFileSync(join(dir, 'ca.key'), caKeyPem);
  writeFileSync(join(dir, 'ca.crt'), ca.toString('pem') + '\n');

  const first = await ensurePki(dir);
  assert.equal(readFileSync(join(dir, 'ca.key'), 'utf8'), caKeyPem);
  assert.equal(new X509Certificate(first.caPem).fingerprint256, new X509Certificate(ca.toString('pem')).fingerprint256);
  const serving = new X509Certificate(first.certPem);
  assert.equal(serving.publicKey.asymmetricKeyType, 'rsa');
  assert.ok(serving.verify(new X509Certificate(first.caPem).publicKey));
  // A later start with the same hosts keeps the serving certificate; a new host makes a new one.
  assert.equal((await ensurePki(dir)).certPem, first.certPem);
  const widened = await ensurePki(dir, ['10.1.2.3']);
  assert.notEqual(widened.certPem, first.certPem);
  assert.ok(new X509Certificate(widened.certPem).checkIP('10.1.2.3'));
  assert.ok(new X509Certificate(widened.certPem).verify(new X509Certificate(first.caPem).publicKey));
}));

const BUSYBOX = '/bin/busybox';

test('busybox 1.35 wget (its own TLS client, no signature_algorithms extension) reads from the server', { skip: existsSync(BUSYBOX) ? false : 'needs busybox-static' }, withDir(async (dir) => {
  const pki = await ensurePki(dir);
  const server = https.createServer(servingTlsOptions(pki), (_req, res) => res.end('ok from kubeling\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    // No PATH: busybox would otherwise hand TLS to an `openssl s_client` it finds; in a container it has none.
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(BUSYBOX, ['wget', '-q', '-O', '-', `https://127.0.0.1:${port}/`], { env: { PATH: '/nonexistent' }, timeout: 20_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
    assert.equal(out.stdout, 'ok from kubeling\n', out.stderr);
    assert.equal(out.code, 0);
  } finally {
    server.close();
  }
}));

test('the serving certificate is reissued (same CA) only when it lacks a requested name (--tls-san)', withDir(async (dir) => {
  const first = await ensurePki(dir, ['a.example.test']);
  assert.equal((await ensurePki(dir, ['a.example.test'])).certPem, first.certPem, 'unchanged names keep the certificate');
  const second = await ensurePki(dir, ['a.example.test', 'b.example.test', '192.0.2.9']);
  assert.notEqual(second.certPem, first.certPem);
  assert.equal(second.caPem, first.caPem);
  const san = new X509Certificate(second.certPem).subjectAltName ?? '';
  for (const want of ['DNS:a.example.test', 'DNS:b.example.test', 'IP Address:192.0.2.9', 'IP Address:127.0.0.1']) assert.ok(san.includes(want), san);
  assert.ok(new X509Certificate(second.certPem).verify(new X509Certificate(second.caPem).publicKey));
}));

test('as kube-apiserver 1.32 (Go 1.23\'s crypto/tls), a TLS 1.2 client offering only SHA-1 signature schemes still handshakes', withDir(async (dir) => {
  const pki = await ensurePki(dir);
  const server = https.createServer(servingTlsOptions(pki), (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handshake = (sigalgs: string) => new Promise<string>((resolve, reject) => {
    const { port } = server.address() as AddressInfo;
    // The client's own OpenSSL refuses SHA-1 above security level 0; the server is what is tested here.
    const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.caPem, servername: 'localhost', maxVersion: 'TLSv1.2', sigalgs, ciphers: `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0` }, () => {
      resolve(socket.getProtocol() ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
  try {
    assert.equal(await handshake('RSA+SHA1'), 'TLSv1.2');
  } finally {
    server.close();
  }
}));
