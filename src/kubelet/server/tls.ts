/**
 * A self-signed serving certificate for the kubelet's HTTPS server, as the real kubelet makes one when it is
 * given none (`<host>@<timestamp>` CN, SANs for the node's names and addresses). The API server reaches the
 * kubelet with the shared bearer token; it does not pin this certificate.
 */
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface ServingCert {
  certPem: string;
  keyPem: string;
}

export async function selfSignedServingCert(hostname: string, hosts: string[]): Promise<ServingCert> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as Parameters<
    typeof x509.X509CertificateGenerator.createSelfSigned
  >[0]['keys'];
  const now = Date.now();
  const names = [...new Set([hostname, 'localhost', '127.0.0.1', ...hosts].filter(Boolean))].map((h) => ({
    type: (isIP(h) ? 'ip' : 'dns') as 'ip' | 'dns',
    value: h,
  }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${hostname}@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  const b64 = Buffer.from(pkcs8)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`,
  };
}
