/**
 * Service account tokens driven by the real kubectl against `kubeling server`: `kubectl create token` bound to
 * a pod works until the pod is deleted, then 401; the OIDC discovery documents (`kubectl get --raw`) verify a
 * token's RS256 signature (checked here with node:crypto); TokenReview answers with the token's user; a legacy
 * `kubernetes.io/service-account-token` Secret is filled by the token controller and its token stops working
 * once the Secret is deleted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const UNAUTHORIZED = /You must be logged in to the server \(Unauthorized\)/;

function claimsOf(token: string): Record<string, unknown> & { 'kubernetes.io'?: { pod?: { name: string } } } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('service account tokens through kubectl', () => {
  let s: ServerHandle;

  before(async () => {
    s = await startServer({ storage: 'memory', noAgent: true });
  });
  after(async () => {
    await s?.stop();
  });

  const whoami = (token: string) => s.kubectl(['--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);

  test('kubectl create token --bound-object-kind Pod: works until the pod is deleted, then 401', async () => {
    const run = await s.kubectl(['run', 'holder', '--image', 'busybox:1.35', '--restart', 'Never']);
    assert.equal(run.code, 0, run.stderr);
    const created = await s.kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'holder', '--duration', '1h']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.equal(claimsOf(token)['kubernetes.io']?.pod?.name, 'holder');
    const me = await whoami(token);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(me.stdout, 'system:serviceaccount:default:default');
    // whoami shows the account's uid and the bound pod in the extra, as upstream.
    const table = await s.kubectl(['--token', token, 'auth', 'whoami']);
    assert.match(table.stdout, /^UID\s+[0-9a-f-]{36}$/m);
    assert.match(table.stdout, /^Extra: authentication\.kubernetes\.io\/pod-name\s+\[holder\]$/m);

    const del = await s.kubectl(['delete', 'pod', 'holder', '--wait=true']);
    assert.equal(del.code, 0, del.stderr);
    const refused = await until(async () => {
      const r = await whoami(token);
      return r.code !== 0 ? r : undefined;
    }, 'the pod-bound token to be refused');
    assert.match(refused.stderr, UNAUTHORIZED);
    // An unbound token of the same account still works: only the bound one died with its pod.
    const unbound = (await s.kubectl(['create', 'token', 'default'])).stdout.trim();
    assert.equal((await whoami(unbound)).stdout, 'system:serviceaccount:default:default');
  });

  test('the OIDC discovery documents verify a token; TokenReview names its user', async () => {
    const cfg = await s.kubectl(['get', '--raw', '/.well-known/openid-configuration']);
    assert.equal(cfg.code, 0, cfg.stderr);
    const discovery = JSON.parse(cfg.stdout) as Record<string, unknown>;
    assert.equal(discovery.issuer, 'https://kubernetes.default.svc.cluster.local');
    assert.match(String(discovery.jwks_uri), /^https:\/\/[^/]+\/openid\/v1\/jwks$/);
    assert.deepEqual(discovery.response_types_supported, ['id_token']);
    assert.deepEqual(discovery.subject_types_supported, ['public']);
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);
    const raw = await s.kubectl(['get', '--raw', '/openid/v1/jwks']);
    assert.equal(raw.code, 0, raw.stderr);
    const jwks = JSON.parse(raw.stdout) as { keys: (JsonWebKey & { kid: string; alg: string; use: string })[] };

    const token = (await s.kubectl(['create', 'token', 'default', '-n', 'kube-system'])).stdout.trim();
    const [h, p, sig] = token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg: string; kid: string };
    assert.equal(header.alg, 'RS256');
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, 'the token\'s kid is published');
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.use, 'sig');
    assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(sig, 'base64url')), 'signature verifies with the JWKS key');
    assert.equal(claimsOf(token).iss, discovery.issuer);

    // `create --raw`: kubectl validates a create-only kind against OpenAPI v2, which kubeling does not serve.
    const review = await s.kubectl(['create', '--raw', '/apis/authentication.k8s.io/v1/tokenreviews', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
    });
    assert.equal(review.code, 0, review.stderr);
    const status = (JSON.parse(review.stdout) as { status: { authenticated: boolean; user: { username: string; groups: string[] } } }).status;
    assert.equal(status.authenticated, true);
    assert.equal(status.user.username, 'system:serviceaccount:kube-system:default');
    assert.ok(status.user.groups.includes('system:serviceaccounts:kube-system'));
  });

  test('a legacy service-account-token Secret gets filled; its token stops working when the Secret is deleted', async () => {
    const secret = {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: 'default-token', namespace: 'default', annotations: { 'kubernetes.io/service-account.name': 'default' } },
    };
    const applied = await s.kubectl(['apply', '-f', '-'], { input: JSON.stringify(secret) });
    assert.equal(applied.code, 0, applied.stderr);
    const data = await until(async () => {
      const r = await s.kubectl(['get', 'secret', 'default-token', '-o', 'jsonpath={.data}']);
      const d = r.code === 0 && r.stdout ? (JSON.parse(r.stdout) as Record<string, string>) : undefined;
      return d?.token ? d : undefined;
    }, 'the token controller to fill the secret');
    assert.equal(Buffer.from(data.namespace!, 'base64').toString(), 'default');
    assert.equal(Buffer.from(data['ca.crt']!, 'base64').toString(), s.caPem);
    const described = await s.kubectl(['describe', 'secret', 'default-token']);
    assert.match(described.stdout, /kubernetes\.io\/service-account\.uid: /);
    const token = Buffer.from(data.token!, 'base64').toString();
    assert.equal(claimsOf(token).iss, 'kubernetes/serviceaccount');
    const me = await whoami(token);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(me.stdout, 'system:serviceaccount:default:default');

    assert.equal((await s.kubectl(['delete', 'secret', 'default-token'])).code, 0);
    const refused = await until(async () => {
      const r = await whoami(token);
      return r.code !== 0 ? r : undefined;
    }, 'the deleted secret\'s token to be refused');
    assert.match(refused.stderr, UNAUTHORIZED);
  });
});
