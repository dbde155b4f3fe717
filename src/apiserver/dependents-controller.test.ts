import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './testing.ts';
import { poll } from '../machinery/testing/poll.ts';

const MERGE = { 'content-type': 'application/merge-patch+json' };
const CM = '/api/v1/namespaces/default/configmaps';

describe('deletion finalizers and namespace emptying', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  const get = async (path: string) => s.request('GET', path);
  const gone = (path: string, what: string) => poll(async () => (await get(path)).status === 404, what, { intervalMs: 20, timeoutMs: 10_000 });
  const cm = async (name: string, meta: Record<string, unknown> = {}) => {
    const r = await s.request('POST', CM, { metadata: { name, ...meta } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const ref = (owner: { metadata: { name: string; uid: string } }, block?: boolean) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name, uid: owner.metadata.uid, ...(block === undefined ? {} : { blockOwnerDeletion: block }) });
  const release = (path: string) => s.request('PATCH', path, { metadata: { finalizers: null } }, MERGE);

  test('Foreground keeps the owner until dependents with blockOwnerDeletion are gone; others are deleted without waiting; a dependent with another live owner only loses the reference', async () => {
    const owner = await cm('fg-owner');
    const other = await cm('fg-other');
    await cm('fg-blocker', { ownerReferences: [ref(owner, true)], finalizers: ['example.com/hold'] });
    await cm('fg-loose', { ownerReferences: [ref(owner)], finalizers: ['example.com/hold'] });
    await cm('fg-shared', { ownerReferences: [ref(owner, true), ref(other)] });
    const del = await s.request('DELETE', `${CM}/fg-owner`, { propagationPolicy: 'Foreground' });
    assert.equal(del.status, 200, del.text);
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.deepEqual(del.body.metadata.finalizers, ['foregroundDeletion']);
    await poll(async () => Boolean((await get(`${CM}/fg-blocker`)).body.metadata.deletionTimestamp), 'the blocking dependent to be deleted', { intervalMs: 20, timeoutMs: 10_000 });
    await poll(async () => Boolean((await get(`${CM}/fg-loose`)).body.metadata.deletionTimestamp), 'the other dependent to be deleted', { intervalMs: 20, timeoutMs: 10_000 });
    await poll(async () => (await get(`${CM}/fg-shared`)).body.metadata.ownerReferences?.length === 1, 'the shared dependent to lose the reference', { intervalMs: 20, timeoutMs: 10_000 });
    const shared = (await get(`${CM}/fg-shared`)).body;
    assert.equal(shared.metadata.deletionTimestamp, undefined);
    assert.equal(shared.metadata.ownerReferences[0].name, 'fg-other');
    // The owner waits for the blocking dependent (held by its finalizer), not for the loose one.
    const waiting = await get(`${CM}/fg-owner`);
    assert.equal(waiting.status, 200);
    assert.deepEqual(waiting.body.metadata.finalizers, ['foregroundDeletion']);
    await release(`${CM}/fg-blocker`);
    await gone(`${CM}/fg-owner`, 'the owner to go once its blocking dependent is gone');
    assert.equal((await get(`${CM}/fg-loose`)).status, 200);
    await release(`${CM}/fg-loose`);
    await gone(`${CM}/fg-loose`, 'the loose dependent to go');
  });

  test('a dependent that has dependents of its own is deleted in the foreground too', async () => {
    const top = await cm('nest-top');
    const mid = await cm('nest-mid', { ownerReferences: [ref(top, true)] });
    await cm('nest-leaf', { ownerReferences: [ref(mid, true)], finalizers: ['example.com/hold'] });
    await s.request('DELETE', `${CM}/nest-top`, { propagationPolicy: 'Foreground' });
    await poll(async () => ((await get(`${CM}/nest-mid`)).body.metadata.finalizers ?? []).includes('foregroundDeletion'), 'the middle object in foreground deletion', { intervalMs: 20, timeoutMs: 10_000 });
    assert.equal((await get(`${CM}/nest-top`)).status, 200);
    await release(`${CM}/nest-leaf`);
    await gone(`${CM}/nest-top`, 'the chain to go');
    assert.equal((await get(`${CM}/nest-mid`)).status, 404);
  });

  test('Orphan removes the owner\'s references from its dependents before the owner goes, and keeps other finalizers', async () => {
    const owner = await cm('or-owner', { finalizers: ['example.com/keep'] });
    await cm('or-dep', { ownerReferences: [ref(owner, true)] });
    const del = await s.request('DELETE', `${CM}/or-owner`, { propagationPolicy: 'Orphan' });
    assert.deepEqual(del.body.metadata.finalizers, ['example.com/keep', 'orphan']);
    await poll(async () => !((await get(`${CM}/or-owner`)).body.metadata.finalizers ?? []).includes('orphan'), 'the orphan finalizer to be done', { intervalMs: 20, timeoutMs: 10_000 });
    assert.equal((await get(`${CM}/or-dep`)).body.metadata.ownerReferences, undefined);
    assert.deepEqual((await get(`${CM}/or-owner`)).body.metadata.finalizers, ['example.com/keep']);
    await release(`${CM}/or-owner`);
    await gone(`${CM}/or-owner`, 'the owner to go');
  });

  test('Background (any kind): dependents whose owners are all gone are deleted; one with a live owner left only loses the gone reference', async () => {
    const owner = await cm('bg-owner');
    const other = (await s.request('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'bg-other' } })).body;
    const secretRef = { apiVersion: 'v1', kind: 'Secret', name: 'bg-other', uid: other.metadata.uid };
    await cm('bg-dep', { ownerReferences: [ref(owner)] });
    await cm('bg-shared', { ownerReferences: [ref(owner), secretRef] });
    await cm('bg-foreign', { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w1' }] });
    const del = await s.request('DELETE', `${CM}/bg-owner`, { propagationPolicy: 'Background' });
    assert.equal(del.status, 200);
    await gone(`${CM}/bg-dep`, 'the dependent to go with its owner');
    await poll(async () => (await get(`${CM}/bg-shared`)).body.metadata.ownerReferences?.length === 1, 'the shared dependent to lose the gone reference', { intervalMs: 20, timeoutMs: 10_000 });
    assert.deepEqual((await get(`${CM}/bg-shared`)).body.metadata.ownerReferences, [secretRef]);
    // An owner of a kind the server does not serve keeps its dependent.
    assert.equal((await get(`${CM}/bg-foreign`)).status, 200);
    // An owner deleted and made again with the same name is another owner: its predecessor's dependents go.
    const first = await cm('bg-again');
    await cm('bg-again-dep', { ownerReferences: [ref(first)] });
    await s.request('DELETE', `${CM}/bg-again`);
    await cm('bg-again');
    await gone(`${CM}/bg-again-dep`, 'the dependent of the replaced owner to go');
  });

  test('finalizers hold objects of any kind, namespaced or not; the update that removes the last one deletes the object', async () => {
    const kinds: { path: string; body: object }[] = [
      { path: '/apis/apps/v1/namespaces/default/deployments', body: { metadata: { name: 'fin' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } },
      { path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', body: { metadata: { name: 'fin' }, rules: [] } },
      { path: '/api/v1/namespaces/default/secrets', body: { metadata: { name: 'fin' } } },
      { path: '/api/v1/namespaces', body: { metadata: { name: 'fin' } } },
    ];
    for (const k of kinds) {
      const body = structuredClone(k.body) as { metadata: Record<string, unknown> };
      body.metadata.finalizers = ['example.com/hold'];
      assert.equal((await s.request('POST', k.path, body)).status, 201, k.path);
      const del = await s.request('DELETE', `${k.path}/fin`);
      assert.equal(del.status, 200, k.path);
      assert.ok(del.body.metadata.deletionTimestamp, k.path);
      assert.equal((await get(`${k.path}/fin`)).status, 200, `${k.path} stays`);
      await release(`${k.path}/fin`);
      await gone(`${k.path}/fin`, `${k.path}/fin to go`);
    }
  });

  test('a namespace whose ConfigMap has a finalizer stays Terminating with NamespaceFinalizersRemaining until it is removed', async () => {
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'held' } });
    assert.equal((await s.request('POST', '/api/v1/namespaces/held/configmaps', { metadata: { name: 'c', finalizers: ['example.com/hold'] } })).status, 201);
    await s.request('POST', '/api/v1/namespaces/held/secrets', { metadata: { name: 's' } });
    const del = await s.request('DELETE', '/api/v1/namespaces/held');
    assert.equal(del.body.status.phase, 'Terminating');
    const cond = async (type: string) => ((await get('/api/v1/namespaces/held')).body.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
    await poll(async () => (await cond('NamespaceFinalizersRemaining'))?.status === 'True', 'NamespaceFinalizersRemaining', { intervalMs: 20, timeoutMs: 10_000 });
    const fin = await cond('NamespaceFinalizersRemaining');
    assert.equal(fin.reason, 'SomeFinalizersRemain');
    assert.equal(fin.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    const rem = await cond('NamespaceContentRemaining');
    assert.equal(rem.reason, 'SomeResourcesRemain');
    assert.equal(rem.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal((await cond('NamespaceDeletionContentFailure')).reason, 'ContentDeleted');
    assert.equal((await get('/api/v1/namespaces/held/secrets/s')).status, 404);
    const ns = (await get('/api/v1/namespaces/held')).body;
    assert.equal(ns.status.phase, 'Terminating');
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
    await release('/api/v1/namespaces/held/configmaps/c');
    await gone('/api/v1/namespaces/held', 'the namespace to go');
  });
});
