/**
 * Service account tokens, as the TokenRequest API (`POST .../serviceaccounts/{name}/token`) issues them: JWTs
 * signed with the server's service-account key (ES256, DIR/pki/sa.key), with the claims the real apiserver
 * puts in bound tokens (iss, sub `system:serviceaccount:<ns>:<name>`, aud, iat/nbf/exp, and
 * `kubernetes.io` naming the namespace, service account and bound pod). The same module verifies them when a
 * pod presents one: signature, time window, and that the service account (same uid) still exists.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  iat: number;
  nbf: number;
  exp: number;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
  };
}

/** Loads the signing key from `file` (PKCS#8 PEM), making it on first start. */
export async function ensureServiceAccountKey(file: string): Promise<KeyObject> {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return createPrivateKey(await readFile(file, 'utf8'));
}

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

export class ServiceAccountTokens {
  readonly #key: KeyObject;
  readonly #public: KeyObject;

  constructor(privateKey: KeyObject) {
    this.#key = privateKey;
    this.#public = createPublicKey(privateKey);
  }

  issue(claims: ServiceAccountClaims): string {
    const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: this.#key, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${b64url(signature)}`;
  }

  /** The claims of a token this server signed and whose time window includes `nowSeconds`, else undefined. */
  verify(token: string, nowSeconds: number): ServiceAccountClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    let ok = false;
    try {
      ok = verify('sha256', Buffer.from(`${header}.${payload}`), { key: this.#public, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
    } catch {
      return undefined;
    }
    if (!ok) return undefined;
    let claims: ServiceAccountClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ServiceAccountClaims;
    } catch {
      return undefined;
    }
    if (claims.iss !== SERVICE_ACCOUNT_ISSUER || !(claims.nbf <= nowSeconds + 60) || !(nowSeconds < claims.exp)) return undefined;
    return claims;
  }
}
