import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { certificateValidity, CsrParseError, makeCsr, parseCsr, signClientCertificate, verifyCsrSignature } from './x509.ts';

/** A throwaway self-signed CA (RSA, as the server makes). */
async function makeCa(): Promise<{ caPem: string; caKeyPem: string }> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=test-ca', notBefore: new Date(now - 3600_000), notAfter: new Date(now + 30 * 86400_000), keys, signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { caPem: cert.toString('pem'), caKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n` };
}

test('a CSR names its subject, and its self-signature holds', async () => {
  const { csrPem, keyPem } = await makeCsr('system:node:n1', ['system:nodes']);
  assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----/);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.deepEqual(parseCsr(csrPem), { commonName: 'system:node:n1', organizations: ['system:nodes'], sans: [], dnsNames: [], ipAddresses: [], otherSans: [] });
  // A serving request's SANs, by kind.
  const serving = parseCsr((await makeCsr('system:node:n1', ['system:nodes'], ['n1', '10.0.0.5'])).csrPem);
  assert.deepEqual([serving.sans, serving.dnsNames, serving.ipAddresses, serving.otherSans], [['n1', '10.0.0.5'], ['n1'], ['10.0.0.5'], []]);
  assert.equal(await verifyCsrSignature(csrPem), true);
  // One flipped byte inside the signed part breaks the signature.
  const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der[der.length - 80] ^= 0xff;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  assert.equal(await verifyCsrSignature(tampered), false);
});

test('what is not a PEM certificate request is refused with upstream\'s message', () => {
  assert.throws(() => parseCsr('hello'), (err: Error) => err instanceof CsrParseError && err.message === 'PEM block type must be CERTIFICATE REQUEST');
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.throws(() => parseCsr(String(publicKey.export({ type: 'spki', format: 'pem' }))), CsrParseError);
  assert.throws(() => parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), CsrParseError);
});

test('the CA signs a client certificate for the request\'s key and subject, for the asked lifetime', async () => {
  const ca = await makeCa();
  const { csrPem, keyPem } = await makeCsr('system:node:n1', ['system:nodes']);
  const now = Date.now();
  const pem = await signClientCertificate({ ...ca, csrPem, usages: ['digital signature', 'client auth'], seconds: 3600, now });
  const cert = new X509Certificate(pem);
  assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:n1');
  assert.ok(cert.verify(new X509Certificate(ca.caPem).publicKey), 'signed by the CA');
  assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem)), 'for the request\'s key');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.ca, false);
  const v = certificateValidity(pem);
  assert.equal(v.commonName, 'system:node:n1');
  // X.509 times have whole seconds: the asked hour, with now's milliseconds cut off.
  assert.equal(v.notAfter, Math.floor((now + 3_600_000) / 1000) * 1000);
  assert.ok(v.notBefore < now, 'backdated for clock skew');
  // Never beyond the CA's own expiry.
  const long = certificateValidity(await signClientCertificate({ ...ca, csrPem, usages: ['client auth'], seconds: 10 * 365 * 86400, now }));
  assert.equal(long.notAfter, new X509Certificate(ca.caPem).validToDate.getTime());
});
