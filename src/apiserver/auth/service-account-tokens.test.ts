import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, verify, type JsonWebKey as NodeJwk } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServiceAccountKey, keyId, LEGACY_ISSUER, SERVICE_ACCOUNT_ISSUER, ServiceAccountTokens, type ServiceAccountClaims } from './service-account-tokens.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const NOW = 1_800_000_000;

function claims(over: Partial<ServiceAccountClaims> = {}): ServiceAccountClaims {
  return {
    iss: SERVICE_ACCOUNT_ISSUER, sub: 'system:serviceaccount:default:robot', aud: ['api'], iat: NOW, nbf: NOW, exp: NOW + 3600,
    'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid: 'u1' } }, ...over,
  };
}

const part = (token: string, i: number) => JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString('utf8'));

test('tokens are RS256 with upstream\'s kid (base64url SHA-256 of the DER public key) and verify with the JWKS', () => {
  const tokens = new ServiceAccountTokens({ signingKey: rsa });
  const token = tokens.issue(claims());
  const header = part(token, 0);
  const der = createPublicKey(rsa).export({ type: 'spki', format: 'der' });
  const kid = createHash('sha256').update(der).digest('base64url');
  assert.deepEqual(header, { alg: 'RS256', kid });
  assert.equal(keyId(rsa), kid);
  assert.doesNotMatch(kid, /[=+/]/);

  const jwks = tokens.jwks();
  assert.equal(jwks.keys.length, 1);
  const jwk = jwks.keys[0]!;
  assert.equal(jwk.kid, kid);
  assert.equal(jwk.alg, 'RS256');
  assert.equal(jwk.use, 'sig');
  assert.equal(jwk.kty, 'RSA');
  assert.equal(jwk.e, 'AQAB');
  const [h, p, s] = token.split('.') as [string, string, string];
  const pub = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e } as NodeJwk, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), pub, Buffer.from(s, 'base64url')));
  assert.equal(tokens.verify(token, NOW)?.kind, 'bound');
});

test('the first issuer signs, every issuer is accepted, any other is refused', () => {
  const a = 'https://a.example', b = 'https://b.example';
  const server = new ServiceAccountTokens({ signingKey: rsa, issuers: [a, b] });
  assert.equal(server.issuer, a);
  assert.equal(part(server.issue(claims({ iss: server.issuer })), 1).iss, a);
  assert.equal(server.verify(server.issue(claims({ iss: b })), NOW)?.kind, 'bound');
  assert.equal(server.verify(server.issue(claims({ iss: 'https://c.example' })), NOW), undefined);
  // Default: the in-cluster issuer.
  assert.equal(new ServiceAccountTokens({ signingKey: rsa }).issuer, 'https://kubernetes.default.svc.cluster.local');
});

test('time window: expired tokens and tokens not yet valid (beyond 60 s leeway) are refused', () => {
  const tokens = new ServiceAccountTokens({ signingKey: rsa });
  const t = tokens.issue(claims());
  assert.ok(tokens.verify(t, NOW + 3599));
  assert.equal(tokens.verify(t, NOW + 3600), undefined);
  assert.ok(tokens.verify(t, NOW - 60));
  assert.equal(tokens.verify(t, NOW - 61), undefined);
});

test('a token signed by another key, or altered, is refused', () => {
  const tokens = new ServiceAccountTokens({ signingKey: rsa });
  const other = new ServiceAccountTokens({ signingKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey });
  assert.equal(tokens.verify(other.issue(claims()), NOW), undefined);
  const t = tokens.issue(claims());
  const [h, , s] = t.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'system:serviceaccount:kube-system:admin' }))).toString('base64url')}.${s}`;
  assert.equal(tokens.verify(forged, NOW), undefined);
  assert.equal(tokens.verify('not.a.jwt', NOW), undefined);
});

test('legacy tokens (iss kubernetes/serviceaccount) carry no expiry and verify as legacy', () => {
  const tokens = new ServiceAccountTokens({ signingKey: rsa });
  const t = tokens.issue({
    iss: LEGACY_ISSUER, sub: 'system:serviceaccount:default:robot',
    'kubernetes.io/serviceaccount/namespace': 'default', 'kubernetes.io/serviceaccount/secret.name': 'robot-token',
    'kubernetes.io/serviceaccount/service-account.name': 'robot', 'kubernetes.io/serviceaccount/service-account.uid': 'u1',
  });
  const v = tokens.verify(t, NOW + 10 * 365 * 86400);
  assert.equal(v?.kind, 'legacy');
});

test('ensureServiceAccountKey makes an RSA 2048 key; an old EC key is replaced with a note and keeps verifying its tokens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-sa-key-'));
  try {
    const fresh = await ensureServiceAccountKey(join(dir, 'fresh.key'));
    assert.equal(fresh.signing.asymmetricKeyType, 'rsa');
    assert.equal(fresh.signing.asymmetricKeyDetails?.modulusLength, 2048);
    assert.deepEqual(fresh.extraVerifying, []);
    // Loaded again: the same key.
    assert.equal(keyId((await ensureServiceAccountKey(join(dir, 'fresh.key'))).signing), keyId(fresh.signing));

    const file = join(dir, 'sa.key');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    writeFileSync(file, ec.export({ type: 'pkcs8', format: 'pem' }));
    const oldToken = new ServiceAccountTokens({ signingKey: ec }).issue(claims());
    assert.equal(part(oldToken, 0).alg, 'ES256');
    const notes: string[] = [];
    const keys = await ensureServiceAccountKey(file, (n) => notes.push(n));
    assert.equal(keys.signing.asymmetricKeyType, 'rsa');
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /EC.*new RSA key/);
    assert.ok(existsSync(`${file}.ec-legacy`));
    assert.match(readFileSync(file, 'utf8'), /BEGIN PRIVATE KEY/);
    const tokens = new ServiceAccountTokens({ signingKey: keys.signing, verificationKeys: keys.extraVerifying });
    assert.equal(tokens.verify(oldToken, NOW)?.kind, 'bound');
    assert.equal(part(tokens.issue(claims()), 0).alg, 'RS256');
    // Both keys are published; discovery names both algorithms.
    assert.deepEqual(tokens.jwks().keys.map((k) => k.alg), ['RS256', 'ES256']);
    assert.deepEqual(tokens.openIdConfiguration('https://x/openid/v1/jwks').id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    // A second start: no second note, same keys.
    const again = await ensureServiceAccountKey(file, (n) => notes.push(n));
    assert.equal(notes.length, 1);
    assert.equal(keyId(again.signing), keyId(keys.signing));
    assert.equal(again.extraVerifying.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the OpenID configuration has upstream\'s fields', () => {
  const tokens = new ServiceAccountTokens({ signingKey: rsa, issuers: ['https://issuer.example'] });
  assert.deepEqual(tokens.openIdConfiguration('https://10.0.0.1:6443/openid/v1/jwks'), {
    issuer: 'https://issuer.example',
    jwks_uri: 'https://10.0.0.1:6443/openid/v1/jwks',
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
});
