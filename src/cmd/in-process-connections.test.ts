/**
 * In-process connections: a `kubeling server` component's client sends its requests to the API server of its
 * own process over in-memory HTTP/1.1 connections (no TLS, no kernel socket), and the server treats them as
 * any other: authenticated (by the token, or as the user the connection was opened for), authorized,
 * counted; pooled and kept alive; ended when the server stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../apiserver/testing.ts';
import { TokenAuthenticator, type Attributes, type Authorizer, type User } from '../apiserver/index.ts';
import { ApiError, Client } from '../client/index.ts';
import { ComponentCredentials } from './component-identities.ts';

const POD = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });
// Nothing listens there: a request that reaches the server did not go over TCP.
const NOWHERE = 'https://127.0.0.1:1';

async function withServer(fn: (s: TestServer, authenticator: TokenAuthenticator, seen: Attributes[]) => Promise<void>): Promise<void> {
  const seen: Attributes[] = [];
  // Everyone may do anything but `nobody`.
  const authorizer: Authorizer = { authorize: (a) => (seen.push(a), a.user.name === 'nobody' ? { decision: 'Deny', reason: '' } : { decision: 'Allow', reason: '' }) };
  const authenticator = new TokenAuthenticator();
  authenticator.add('admin-token-for-tests', { name: 'admin', groups: ['system:masters'] });
  const s = await startTestServer({ config: { authenticator, authorizer } });
  try {
    await fn(s, authenticator, seen);
  } finally {
    await s.stop();
  }
}

test("a component's requests over in-process connections are the server's like any other: authenticated by token, authorized as the component, counted", async () => {
  await withServer(async (s, authenticator, seen) => {
    let opened = 0;
    const credentials = new ComponentCredentials({ authenticator, server: NOWHERE, caPem: s.caPem, connect: () => (opened++, s.server.connectInProcess()) });
    const controller = credentials.clientAs({ name: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:authenticated'] }, 'test');
    const nobody = credentials.clientAs({ name: 'nobody', groups: ['system:authenticated'] }, 'test');
    try {
      const pods = controller.resource('pods', 'default');
      const created = await pods.create(POD('p'));
      assert.equal(created.metadata?.name, 'p');
      assert.equal((await pods.get('p')).metadata?.uid, created.metadata?.uid);
      const writes = seen.filter((a) => a.resource === 'pods' && a.verb === 'create').map((a) => a.user.name);
      assert.deepEqual(writes, ['system:serviceaccount:kube-system:replicaset-controller']);
      await assert.rejects(nobody.resource('pods', 'default').create(POD('q')), (err: ApiError) => err.code === 403 && err.reason === 'Forbidden');
      // A bad token over the same kind of connection is 401, as over HTTPS.
      const forged = new Client({ server: NOWHERE, token: 'forged', connect: () => s.server.connectInProcess() });
      await assert.rejects(forged.resource('pods', 'default').get('p'), (err: ApiError) => err.code === 401);
      forged.close();

      // Fifty requests at once share the pool's keep-alive connections (32 at most), opened once.
      await Promise.all(Array.from({ length: 50 }, () => pods.get('p')));
      const before = opened;
      assert.ok(before <= 32 + 3, `${before} connections for 53 requests`);
      await Promise.all(Array.from({ length: 20 }, () => pods.get('p')));
      assert.equal(opened, before, 'kept-alive connections are reused');

      const metrics = (await s.request('GET', '/metrics')).text;
      const creates = metrics.split('\n').find((l) => l.startsWith('apiserver_request_total{') && l.includes('resource="pods"') && l.includes('verb="POST"') && l.includes('code="201"'));
      assert.ok(creates, 'the in-process create is counted in apiserver_request_total');
    } finally {
      controller.close();
      nobody.close();
    }
  });
});

test('a connection opened for a user is authenticated as that user without a token, as a client certificate names one', async () => {
  await withServer(async (s) => {
    const node: User = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
    const client = new Client({ server: NOWHERE, connect: () => s.server.connectInProcess(node) });
    try {
      const review = await client.request<{ status: { userInfo: { username: string; groups: string[] } } }>({
        method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      assert.equal(review.status.userInfo.username, 'system:node:n1');
      assert.deepEqual(review.status.userInfo.groups, ['system:nodes', 'system:authenticated']);
    } finally {
      client.close();
    }
  });
});

test('stopping the server ends its in-process connections: an open watch ends, a later request fails at once', async () => {
  const authenticator = new TokenAuthenticator();
  authenticator.add('admin-token-for-tests', { name: 'admin', groups: ['system:masters'] });
  const s = await startTestServer({ config: { authenticator } });
  const client = new Client({ server: NOWHERE, token: 'admin-token-for-tests', connect: () => s.server.connectInProcess() });
  let stopped = false;
  try {
    const pods = client.resource('pods', 'default');
    await pods.create(POD('p'));
    const events: string[] = [];
    let first!: () => void;
    const firstSeen = new Promise<void>((resolve) => (first = resolve));
    const watching = (async () => {
      try {
        for await (const ev of pods.watch({ resourceVersion: '0' })) {
          events.push(ev.type);
          first();
        }
      } catch {
        // The connection's end may surface as an error; either way the watch is over.
      }
    })();
    await firstSeen;
    await s.stop();
    stopped = true;
    await watching;
    assert.deepEqual(events, ['ADDED']);
    await assert.rejects(pods.get('p'), (err: Error & { code?: string }) => err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET');
  } finally {
    client.close();
    if (!stopped) await s.stop();
  }
});
