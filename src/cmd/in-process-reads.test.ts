/**
 * In-process reads: an informer of a `kubeling server` component holds the API server's own cached objects
 * (no decoded copy), frozen so it cannot change them, and reads as its identity with the HTTP watch's
 * semantics (authorization, selectors with objects leaving them, bookmarks, 410 Expired).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../apiserver/testing.ts';
import { TokenAuthenticator, type Attributes, type Authorizer } from '../apiserver/index.ts';
import { ApiError, Informer, isGone, type KubeObjectLike, type WatchEvent } from '../client/index.ts';
import { poll } from '../machinery/testing/poll.ts';
import { ComponentCredentials } from './component-identities.ts';
import { inProcessReadsFor } from './in-process-reads.ts';

const POD = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });

async function withServer(fn: (s: TestServer, credentials: ComponentCredentials, seen: Attributes[]) => Promise<void>, config: { watchCacheCapacity?: number; bookmarkIntervalMs?: number } = {}): Promise<void> {
  const seen: Attributes[] = [];
  // Everyone may read but `nobody`.
  const authorizer: Authorizer = { authorize: (a) => (seen.push(a), a.user.name === 'nobody' ? { decision: 'Deny', reason: '' } : { decision: 'Allow', reason: '' }) };
  const authenticator = new TokenAuthenticator();
  authenticator.add('admin-token-for-tests', { name: 'admin', groups: ['system:masters'] });
  const s = await startTestServer({ config: { authenticator, authorizer, ...config } });
  const credentials = new ComponentCredentials({ authenticator, server: s.url, caPem: s.caPem, inProcess: (u) => inProcessReadsFor(s.server, u) });
  try {
    await fn(s, credentials, seen);
  } finally {
    await s.stop();
  }
}

test("an in-process informer holds the watch cache's own objects, frozen: a reader cannot change what the server serves", async () => {
  await withServer(async (s, credentials, seen) => {
    const user = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
    const client = credentials.clientAs(user, 'test', { inProcessReads: true });
    const informer = new Informer<KubeObjectLike>(client.resource('pods'));
    const stop = new AbortController();
    const running = informer.run(stop.signal);
    try {
      await informer.synced;
      assert.equal((await s.request('POST', '/api/v1/namespaces/default/pods', POD('p', { app: 'a' }))).status, 201);
      await poll(async () => informer.get('default/p') !== undefined, 'the informer saw the pod');
      const cache = s.server.registry('pods').cache;
      const key = s.server.registry('pods').key('default', 'p');
      assert.equal(informer.get('default/p'), cache.get(key), 'the very object the cache keeps');
      const pod = informer.get('default/p') as { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } };
      assert.ok(Object.isFrozen(pod) && Object.isFrozen(pod.spec.containers[0]));
      assert.throws(() => (pod.metadata.labels.app = 'changed'), TypeError);
      assert.throws(() => (pod.spec.containers[0]!.image = 'evil'), TypeError);
      const served = (await s.request('GET', '/api/v1/namespaces/default/pods/p')).body as typeof pod;
      assert.equal(served.metadata.labels.app, 'a');
      assert.equal(served.spec.containers[0]!.image, 'busybox:1.35');

      // A change arrives as the cache's new object; the list and the watch were authorized as the informer's identity.
      assert.equal((await s.request('PATCH', '/api/v1/namespaces/default/pods/p', { metadata: { labels: { app: 'b' } } }, { 'content-type': 'application/merge-patch+json' })).status, 200);
      await poll(async () => (informer.get('default/p') as typeof pod).metadata.labels.app === 'b', 'the informer saw the change');
      assert.equal(informer.get('default/p'), cache.get(key));
      const reads = seen.filter((a) => a.user.name === user.name && a.resource === 'pods').map((a) => `${a.verb} ${a.apiVersion} ${a.namespace || '-'}`);
      assert.deepEqual([...new Set(reads)].sort(), ['list v1 -', 'watch v1 -']);
    } finally {
      stop.abort();
      await running;
      client.close();
    }
  });
});

test('in-process reads: refused as the HTTP request would be, selectors with objects leaving them, 410 Expired, bookmarks', async () => {
  await withServer(async (s, credentials) => {
    const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true };
    const reads = credentials.inProcessReads({ name: 'reader', groups: [] })!;
    await assert.rejects(credentials.inProcessReads({ name: 'nobody', groups: [] })!.list({ resource: pods }), (err: ApiError) => err.code === 403 && err.reason === 'Forbidden');
    await assert.rejects(reads.list({ resource: pods, labelSelector: 'a in (' }), (err: ApiError) => err.code === 400 && err.reason === 'BadRequest');
    await assert.rejects(reads.list({ resource: { ...pods, plural: 'nothings' } }), (err: ApiError) => err.code === 404);

    const list = await reads.list({ resource: pods, namespace: 'default', labelSelector: 'app=a' });
    assert.deepEqual(list.items, []);
    const stop = new AbortController();
    const events: string[] = [];
    const watching = (async () => {
      for await (const ev of reads.watch({ resource: pods, namespace: 'default', labelSelector: 'app=a', resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, signal: stop.signal }) as AsyncIterable<WatchEvent<KubeObjectLike>>) {
        events.push(`${ev.type} ${ev.object.metadata?.name ?? ''}`);
      }
    })();
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/pods', POD('in', { app: 'a' }))).status, 201);
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/pods', POD('out', { app: 'z' }))).status, 201);
    assert.equal((await s.request('PATCH', '/api/v1/namespaces/default/pods/in', { metadata: { labels: { app: 'b' } } }, { 'content-type': 'application/merge-patch+json' })).status, 200);
    await poll(async () => events.includes('DELETED in'), 'the pod that left the selector is DELETED for this watcher');
    assert.deepEqual(events.filter((e) => !e.startsWith('BOOKMARK')), ['ADDED in', 'DELETED in']);
    await poll(async () => events.includes('BOOKMARK '), 'a bookmark');
    stop.abort();
    await watching;

    // A resourceVersion the ring no longer holds: 410 Expired, so the informer lists again.
    for (let i = 0; i < 5; i++) assert.equal((await s.request('POST', '/api/v1/namespaces/default/pods', POD(`more-${i}`))).status, 201);
    const old = reads.watch({ resource: pods, resourceVersion: list.metadata.resourceVersion })[Symbol.asyncIterator]();
    await assert.rejects(old.next(), (err: unknown) => isGone(err));
  }, { watchCacheCapacity: 3, bookmarkIntervalMs: 200 });
});
