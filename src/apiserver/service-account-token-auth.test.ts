/**
 * Service account tokens through a running API server: bound tokens refused once their pod or secret is gone
 * (or replaced by one with another uid), audiences, the TokenReview API, legacy token Secrets filled by the
 * token controller, the OIDC discovery documents, `--service-account-max-token-expiration`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { poll } from '../machinery/testing/poll.ts';
import { startTestServer, type TestServer } from './testing.ts';
import { advertiseAddress } from './services/advertise-address.ts';

const POD = (name: string) => ({ metadata: { name }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox:1.35' }] } });

async function asToken(s: TestServer, token: string, path = '/api/v1/namespaces/default/configmaps'): Promise<number> {
  return (await s.request('GET', path, undefined, { authorization: `Bearer ${token}` })).status;
}

async function tokenFor(s: TestServer, spec: Record<string, unknown>): Promise<string> {
  const r = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  assert.equal(r.status, 201, r.text);
  return r.body.status.token as string;
}

function inCache(s: TestServer, resource: string, name: string): boolean {
  const r = s.server.registry(resource);
  return !!r.cache.get(r.key('default', name));
}

test('a pod-bound token works until the pod is deleted, and not for a new pod of the same name', async () => {
  const s = await startTestServer();
  try {
    await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/pods', POD('holder'))).status, 201);
    await poll(() => inCache(s, 'pods', 'holder'), 'the pod in the cache');
    const token = await tokenFor(s, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'holder' } });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims['kubernetes.io'].pod.name, 'holder');
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    assert.equal(await asToken(s, token), 200);
    // TokenReview names the user, the pod in extra, and the audiences.
    const review = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    assert.equal(review.status, 201, review.text);
    assert.equal(review.body.kind, 'TokenReview');
    assert.equal(review.body.status.authenticated, true);
    assert.equal(review.body.status.user.username, 'system:serviceaccount:default:robot');
    assert.deepEqual(review.body.status.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    assert.deepEqual(review.body.status.user.extra['authentication.kubernetes.io/pod-name'], ['holder']);
    assert.deepEqual(review.body.status.audiences, ['https://kubernetes.default.svc.cluster.local']);

    await s.request('DELETE', '/api/v1/namespaces/default/pods/holder?gracePeriodSeconds=0');
    await poll(() => !inCache(s, 'pods', 'holder'), 'the pod to leave the cache');
    assert.equal(await asToken(s, token), 401);
    const gone = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token } });
    assert.equal(gone.body.status.authenticated, undefined);
    assert.match(gone.body.status.error, /pod default\/holder has been deleted/);

    // The same name again is another object (another uid): the old token stays refused.
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/pods', POD('holder'))).status, 201);
    await poll(() => inCache(s, 'pods', 'holder'), 'the new pod in the cache');
    assert.equal(await asToken(s, token), 401);
  } finally {
    await s.stop();
  }
});

test('a secret-bound token is refused once the secret is deleted; unknown kinds and uids are refused at issue', async () => {
  const s = await startTestServer();
  try {
    await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    const secret = (await s.request('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'anchor' }, data: {} })).body;
    await poll(() => inCache(s, 'secrets', 'anchor'), 'the secret in the cache');
    const token = await tokenFor(s, { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'anchor', uid: secret.metadata.uid } });
    assert.equal(await asToken(s, token), 200);
    await s.request('DELETE', '/api/v1/namespaces/default/secrets/anchor');
    await poll(() => !inCache(s, 'secrets', 'anchor'), 'the secret to leave the cache');
    assert.equal(await asToken(s, token), 401);

    const bad = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /cannot bind token to object of type/);
    const missing = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'nope' } } });
    assert.equal(missing.status, 404);
    await s.request('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'anchor2' } });
    const wrongUid = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'anchor2', uid: 'not-it' } } });
    assert.equal(wrongUid.status, 409);
    assert.match(wrongUid.body.message, /does not match the UID in record/);
  } finally {
    await s.stop();
  }
});

test('audiences: a token for another audience is refused by the API and accepted by a TokenReview for it', async () => {
  const s = await startTestServer({ config: { apiAudiences: ['api', 'https://kubernetes.default.svc.cluster.local'] } });
  try {
    await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    await poll(() => inCache(s, 'serviceaccounts', 'robot'), 'the account in the cache');
    const vault = await tokenFor(s, { audiences: ['vault'] });
    assert.equal(await asToken(s, vault), 401);
    const r = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token: vault, audiences: ['vault', 'other'] } });
    assert.equal(r.body.status.authenticated, true);
    assert.deepEqual(r.body.status.audiences, ['vault']);
    // No audiences given: --api-audiences, both of them.
    const api = await tokenFor(s, {});
    assert.deepEqual(JSON.parse(Buffer.from(api.split('.')[1]!, 'base64url').toString()).aud, ['api', 'https://kubernetes.default.svc.cluster.local']);
    assert.equal(await asToken(s, api), 200);
    // The admin's static token reviews as its user; an empty token is a 400.
    const admin = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token: s.token } });
    assert.equal(admin.body.status.user.username, 'admin');
    const empty = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { spec: {} });
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /token is required for TokenReview in authentication/);
  } finally {
    await s.stop();
  }
});

test('--service-account-max-token-expiration caps expirationSeconds', async () => {
  const s = await startTestServer({ config: { serviceAccountMaxTokenExpirationSeconds: 7200 } });
  try {
    await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    const r = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { expirationSeconds: 86400 } });
    assert.equal(r.status, 201);
    assert.equal(r.body.spec.expirationSeconds, 7200);
    const c = JSON.parse(Buffer.from(r.body.status.token.split('.')[1], 'base64url').toString());
    assert.equal(c.exp - c.iat, 7200);
  } finally {
    await s.stop();
  }
});

test('a legacy token Secret is filled (token, ca.crt, namespace, uid annotation); its token stops working when it is deleted', async () => {
  const s = await startTestServer();
  try {
    const sa = (await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } })).body;
    const created = await s.request('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 'robot-token', annotations: { 'kubernetes.io/service-account.name': 'robot' } }, type: 'kubernetes.io/service-account-token',
    });
    assert.equal(created.status, 201, created.text);
    const filled = await poll(async () => {
      const r = await s.request('GET', '/api/v1/namespaces/default/secrets/robot-token');
      return r.body.data?.token ? r.body : undefined;
    }, 'the token controller to fill the secret');
    assert.equal(Buffer.from(filled.data['ca.crt'], 'base64').toString(), s.caPem);
    assert.equal(Buffer.from(filled.data.namespace, 'base64').toString(), 'default');
    assert.equal(filled.metadata.annotations['kubernetes.io/service-account.uid'], sa.metadata.uid);
    const token = Buffer.from(filled.data.token, 'base64').toString();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.iss, 'kubernetes/serviceaccount');
    assert.equal(claims['kubernetes.io/serviceaccount/secret.name'], 'robot-token');
    assert.equal(claims.exp, undefined);
    await poll(async () => (await asToken(s, token)) === 200, 'the legacy token to authenticate');
    // Marked invalid by upstream's cleaner label: refused while the label is there.
    const label = (v: string | null) => s.request('PATCH', '/api/v1/namespaces/default/secrets/robot-token', { metadata: { labels: { 'kubernetes.io/legacy-token-invalid-since': v } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal((await label('2026-01-01')).status, 200);
    await poll(async () => (await asToken(s, token)) === 401, 'the labelled token to be refused');
    assert.equal((await label(null)).status, 200);
    await poll(async () => (await asToken(s, token)) === 200, 'the token to work again without the label');
    await s.request('DELETE', '/api/v1/namespaces/default/secrets/robot-token');
    await poll(() => !inCache(s, 'secrets', 'robot-token'), 'the secret to leave the cache');
    assert.equal(await asToken(s, token), 401);

    // A token Secret for an account that does not exist is deleted, as upstream's controller does.
    await s.request('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 'ghost-token', annotations: { 'kubernetes.io/service-account.name': 'ghost' } }, type: 'kubernetes.io/service-account-token',
    });
    await poll(async () => (await s.request('GET', '/api/v1/namespaces/default/secrets/ghost-token')).status === 404, 'the orphan token secret to be deleted');
  } finally {
    await s.stop();
  }
});

test('OIDC discovery: the configuration and the JWKS are served to anyone and verify issued tokens', async () => {
  const s = await startTestServer({ config: { serviceAccountIssuers: ['https://issuer.example', 'https://old.example'] } });
  try {
    const cfg = await s.request('GET', '/.well-known/openid-configuration', undefined, { authorization: '' });
    assert.equal(cfg.status, 200, cfg.text);
    assert.equal(cfg.headers['content-type'], 'application/json');
    assert.equal(cfg.headers['cache-control'], 'public, max-age=3600');
    assert.deepEqual(cfg.body, {
      issuer: 'https://issuer.example',
      // The server's external address, as upstream's default --service-account-jwks-uri.
      jwks_uri: `https://${advertiseAddress('127.0.0.1')}:${s.port}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const jwks = await s.request('GET', '/openid/v1/jwks', undefined, { authorization: '' });
    assert.equal(jwks.status, 200);
    assert.equal(jwks.headers['content-type'], 'application/jwk-set+json');
    await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    const token = await tokenFor(s, {});
    const [h, p, sig] = token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    assert.equal(JSON.parse(Buffer.from(p, 'base64url').toString()).iss, 'https://issuer.example');
    const jwk = (jwks.body.keys as (JsonWebKey & { kid: string })[]).find((k) => k.kid === header.kid)!;
    assert.ok(jwk, 'the token\'s kid is in the JWKS');
    assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(sig, 'base64url')));
    // Without credentials only the discovery documents (and cluster-info) are readable.
    assert.equal((await s.request('GET', '/api/v1/namespaces', undefined, { authorization: '' })).status, 401);
  } finally {
    await s.stop();
  }
});
