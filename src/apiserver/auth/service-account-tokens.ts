/**
 * Service account tokens as kube-apiserver signs and reads them: JWTs signed RS256 with the server's
 * service-account key (RSA 2048, DIR/pki/sa.key), the header's `kid` the base64url SHA-256 of the DER public
 * key (as upstream's keyIDFromPublicKey), and two claim shapes:
 *
 *   bound (TokenRequest)   iss = the first --service-account-issuer, sub, aud, iat/nbf/exp, jti, and
 *                          `kubernetes.io` naming the namespace, service account and bound pod/secret/node
 *   legacy (token Secret)  iss = `kubernetes/serviceaccount`, the flat `kubernetes.io/serviceaccount/*` claims,
 *                          no expiry (the token controller writes them into `kubernetes.io/service-account-token`
 *                          Secrets)
 *
 * This module only signs and checks signatures, issuers and time windows; whether the objects a token names
 * still exist is the validator's question (service-account-authenticator.ts). Verification keys besides the
 * signing key (an ES256 key from an older data dir) keep verifying the tokens they signed.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The issuer of legacy (Secret-based) tokens. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

export interface BoundRef {
  name: string;
  uid: string;
}

export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  iat: number;
  nbf: number;
  exp: number;
  jti?: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: BoundRef;
    pod?: BoundRef;
    secret?: BoundRef;
    node?: BoundRef;
    warnafter?: number;
  };
}

export interface LegacyClaims {
  iss: typeof LEGACY_ISSUER;
  sub: string;
  'kubernetes.io/serviceaccount/namespace': string;
  'kubernetes.io/serviceaccount/secret.name': string;
  'kubernetes.io/serviceaccount/service-account.name': string;
  'kubernetes.io/serviceaccount/service-account.uid': string;
}

export type VerifiedToken = { kind: 'bound'; claims: ServiceAccountClaims } | { kind: 'legacy'; claims: LegacyClaims };

export interface ServiceAccountKeys {
  /** Signs new tokens (RSA). */
  signing: KeyObject;
  /** Public keys that also verify (an older data dir's EC key). */
  extraVerifying: KeyObject[];
}

/**
 * Loads the signing key from `file` (PKCS#8 PEM), making an RSA 2048 key on first start. An EC key left by an
 * older kubeling moves to `file.ec-legacy` (kept as a verification key, so the tokens it signed keep working)
 * and a new RSA key takes its place; `onNote` hears about it.
 */
export async function ensureServiceAccountKey(file: string, onNote: (msg: string) => void = () => {}): Promise<ServiceAccountKeys> {
  const legacyFile = `${file}.ec-legacy`;
  if (existsSync(file)) {
    const key = createPrivateKey(await readFile(file, 'utf8'));
    if (key.asymmetricKeyType !== 'rsa') {
      await rename(file, legacyFile);
      onNote(`the service-account key ${file} is ${key.asymmetricKeyType?.toUpperCase() ?? 'not RSA'}: made a new RSA key for RS256 tokens; the old key (now ${legacyFile}) still verifies the tokens it signed`);
    }
  }
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const signing = createPrivateKey(await readFile(file, 'utf8'));
  const extraVerifying = existsSync(legacyFile) ? [createPublicKey(createPrivateKey(await readFile(legacyFile, 'utf8')))] : [];
  return { signing, extraVerifying };
}

/** Upstream's key id: base64url (no padding) of the SHA-256 of the public key's DER (PKIX) encoding. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64url');
}

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

interface VerifyingKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  key: KeyObject;
}

function algOf(key: KeyObject): 'RS256' | 'ES256' {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') return 'ES256';
  throw new Error(`unsupported service-account key type ${key.asymmetricKeyType}`);
}

export interface ServiceAccountTokensConfig {
  signingKey: KeyObject;
  /** More public (or private) keys whose tokens are accepted. */
  verificationKeys?: KeyObject[];
  /** `--service-account-issuer`: the first issues, every one is accepted (default the in-cluster URL). */
  issuers?: string[];
}

export interface JsonWebKey {
  use: 'sig';
  kty: string;
  kid: string;
  alg: string;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

export class ServiceAccountTokens {
  readonly #signing: KeyObject;
  readonly #signingKid: string;
  readonly #alg: 'RS256' | 'ES256';
  readonly #keys: VerifyingKey[];
  readonly issuers: string[];

  constructor(config: ServiceAccountTokensConfig) {
    this.#signing = config.signingKey;
    this.#alg = algOf(config.signingKey);
    this.#signingKid = keyId(config.signingKey);
    this.issuers = config.issuers?.length ? [...config.issuers] : [SERVICE_ACCOUNT_ISSUER];
    const keys = [createPublicKey(config.signingKey), ...(config.verificationKeys ?? []).map((k) => (k.type === 'private' ? createPublicKey(k) : k))];
    this.#keys = keys.map((key) => ({ kid: keyId(key), alg: algOf(key), key }));
  }

  /** The issuer new tokens carry (the first --service-account-issuer). */
  get issuer(): string {
    return this.issuers[0]!;
  }

  /** Signs claims of either shape (bound or legacy). */
  issue(claims: ServiceAccountClaims | LegacyClaims): string {
    const header = b64url(JSON.stringify({ alg: this.#alg, kid: this.#signingKid }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: this.#signing, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${b64url(signature)}`;
  }

  /**
   * The claims of a token one of our keys signed, from an accepted issuer, and (bound tokens) inside its time
   * window at `nowSeconds` (60 s leeway on nbf, as upstream's); otherwise undefined. Objects are not checked.
   */
  verify(token: string, nowSeconds: number): VerifiedToken | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: string; kid?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (typeof claims !== 'object' || claims === null) return undefined;
    const candidates = this.#keys.filter((k) => k.alg === header.alg && (header.kid === undefined || header.kid === k.kid));
    const signed = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, 'base64url');
    const ok = candidates.some((k) => {
      try {
        return verify('sha256', signed, { key: k.key, dsaEncoding: 'ieee-p1363' }, sig);
      } catch {
        return false;
      }
    });
    if (!ok) return undefined;
    if (claims.iss === LEGACY_ISSUER) {
      const c = claims as unknown as LegacyClaims;
      if (typeof c['kubernetes.io/serviceaccount/namespace'] !== 'string' || typeof c['kubernetes.io/serviceaccount/secret.name'] !== 'string') return undefined;
      return { kind: 'legacy', claims: c };
    }
    const c = claims as unknown as ServiceAccountClaims;
    if (typeof c.iss !== 'string' || !this.issuers.includes(c.iss)) return undefined;
    if (typeof c['kubernetes.io'] !== 'object' || c['kubernetes.io'] === null) return undefined;
    if (!(c.nbf <= nowSeconds + 60) || !(nowSeconds < c.exp)) return undefined;
    if (typeof c.aud === 'string') c.aud = [c.aud];
    if (!Array.isArray(c.aud)) return undefined;
    return { kind: 'bound', claims: c };
  }

  /** `/openid/v1/jwks`: every verification key's public half, as upstream's JWKS document. */
  jwks(): { keys: JsonWebKey[] } {
    return {
      keys: this.#keys.map(({ kid, alg, key }) => {
        const jwk = key.export({ format: 'jwk' });
        return { use: 'sig', kty: jwk.kty!, kid, alg, ...(alg === 'RS256' ? { n: jwk.n!, e: jwk.e! } : { crv: jwk.crv!, x: jwk.x!, y: jwk.y! }) };
      }),
    };
  }

  /** `/.well-known/openid-configuration`, naming `jwksUri` (https://<external address>/openid/v1/jwks upstream). */
  openIdConfiguration(jwksUri: string): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [...new Set(this.#keys.map((k) => k.alg))],
    };
  }
}
