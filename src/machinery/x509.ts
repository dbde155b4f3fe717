/**
 * Certificate requests and client certificates, the three steps of a kubelet's TLS bootstrap as plain crypto:
 * `makeCsr` (a fresh ECDSA P-256 key, as the kubelet makes, and a PKCS#10 request for a subject),
 * `parseCsr` (what a request asks for, and whether its self-signature holds) and `signClientCertificate` (a CA
 * issues the certificate for a request's key and subject). Node's crypto cannot read PKCS#10, so requests and
 * certificates go through `@peculiar/x509` over WebCrypto. Nothing here knows about Kubernetes objects.
 */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type Alg = webcrypto.RsaHashedKeyGenParams | (webcrypto.EcKeyGenParams & { hash: string });
const RSA: Alg = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
const ECDSA: Alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** Key usages as Kubernetes spells them in a CSR's spec.usages, with their X.509 forms. */
const KEY_USAGES: Record<string, number> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
};
const EXT_KEY_USAGES: Record<string, string> = {
  'server auth': x509.ExtendedKeyUsage.serverAuth,
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'code signing': x509.ExtendedKeyUsage.codeSigning,
  'email protection': x509.ExtendedKeyUsage.emailProtection,
  'timestamping': x509.ExtendedKeyUsage.timeStamping,
  'ocsp signing': x509.ExtendedKeyUsage.ocspSigning,
};

/** Every usage name a CSR may list (certificates.k8s.io/v1 KeyUsage values). */
export const KNOWN_USAGES: ReadonlySet<string> = new Set([
  ...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES), 'signing', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user',
  'any', 'microsoft sgc', 'netscape sgc',
]);

export class CsrParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsrParseError';
  }
}

export interface CsrSubject {
  commonName: string;
  organizations: string[];
  /** SANs the request carries (DNS names, IPs, emails, URIs): kubelet client requests carry none. */
  sans: string[];
  /** The same SANs by kind, for a serving certificate's checks: DNS names, IP addresses, and any other kind. */
  dnsNames: string[];
  ipAddresses: string[];
  otherSans: string[];
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): ArrayBuffer {
  const buf = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/**
 * A new ECDSA P-256 key (PKCS#8 PEM) and a PKCS#10 request (PEM) for CN `commonName`, O `organizations`, and
 * the DNS names and IP addresses in `sans` (a serving certificate's names; client requests carry none).
 */
export async function makeCsr(commonName: string, organizations: string[], sans: string[] = []): Promise<{ keyPem: string; csrPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const name: x509.JsonName = [];
  if (organizations.length) name.push({ O: organizations });
  name.push({ CN: [commonName] });
  const extensions = sans.length ? [new x509.SubjectAlternativeNameExtension(sans.map((v) => ({ type: (isIP(v) ? 'ip' : 'dns') as 'ip' | 'dns', value: v })))] : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: ECDSA, extensions });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: toPem(pkcs8, 'PRIVATE KEY'), csrPem: csr.toString('pem') + '\n' };
}

/** The subject of a PEM `CERTIFICATE REQUEST`; throws CsrParseError when it is not one. */
export function parseCsr(pem: string): CsrSubject {
  if (!/-----BEGIN CERTIFICATE REQUEST-----/.test(pem)) throw new CsrParseError('PEM block type must be CERTIFICATE REQUEST');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (err) {
    throw new CsrParseError(`asn1: ${(err as Error).message}`);
  }
  const ext = csr.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null;
  const names: readonly { type: string; value: string }[] = ext?.names.items ?? [];
  return {
    commonName: csr.subjectName.getField('CN')[0] ?? '',
    organizations: csr.subjectName.getField('O'),
    sans: names.map((n) => n.value),
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => n.value),
    otherSans: names.filter((n) => n.type !== 'dns' && n.type !== 'ip').map((n) => `${n.type}:${n.value}`),
  };
}

/** Whether the request's self-signature holds (its maker has the private key). */
export async function verifyCsrSignature(pem: string): Promise<boolean> {
  try {
    return await new x509.Pkcs10CertificateRequest(pem).verify();
  } catch {
    return false;
  }
}

export interface SignOptions {
  caPem: string;
  caKeyPem: string;
  csrPem: string;
  usages: string[];
  /** Requested lifetime; capped by `maxSeconds` and by the CA's own expiry. */
  seconds: number;
  /** Certificates start this long before now (clock skew), as upstream's signer backdates by 5 minutes. */
  backdateSeconds?: number;
  now?: number;
}

/** Issues a certificate for the request's key and subject, signed by the CA; returns its PEM. */
export async function signClientCertificate(o: SignOptions): Promise<string> {
  const ca = new x509.X509Certificate(o.caPem);
  const csr = new x509.Pkcs10CertificateRequest(o.csrPem);
  const alg = createPrivateKey(o.caKeyPem).asymmetricKeyType === 'ec' ? ECDSA : RSA;
  const caKey = await webcrypto.subtle.importKey('pkcs8', fromPem(o.caKeyPem), alg, false, ['sign']);
  const now = o.now ?? Date.now();
  const notBefore = new Date(now - (o.backdateSeconds ?? 300) * 1000);
  const notAfter = new Date(Math.min(now + o.seconds * 1000, ca.notAfter.getTime()));
  let keyUsage = 0;
  const eku: string[] = [];
  for (const u of o.usages) {
    if (KEY_USAGES[u] !== undefined) keyUsage |= KEY_USAGES[u];
    if (EXT_KEY_USAGES[u]) eku.push(EXT_KEY_USAGES[u]);
  }
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (keyUsage) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (eku.length) extensions.push(new x509.ExtendedKeyUsageExtension(eku));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(ca));
  // The names the request asks for, as upstream's signer copies them from the request (kubelet serving).
  const san = csr.getExtension('2.5.29.17');
  if (san) extensions.push(san);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01' + randomBytes(15).toString('hex'),
    subject: csr.subjectName,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: caKey,
    signingAlgorithm: alg,
    extensions,
  });
  return cert.toString('pem') + '\n';
}

/** The DNS names and IP addresses a PEM certificate (the first one in the text) is for. */
export function certificateSans(pem: string): string[] {
  const ext = new x509.X509Certificate(pem).getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null;
  return ext?.names.items.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value) ?? [];
}

/** The validity window of a PEM certificate (the first one in the text), in ms since the epoch. */
export function certificateValidity(pem: string): { notBefore: number; notAfter: number; commonName: string } {
  const cert = new x509.X509Certificate(pem);
  return { notBefore: cert.notBefore.getTime(), notAfter: cert.notAfter.getTime(), commonName: cert.subjectName.getField('CN')[0] ?? '' };
}
