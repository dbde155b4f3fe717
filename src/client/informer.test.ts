import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/index.ts';
import { Client, Informer } from './index.ts';
import type { FakeApiServer } from './testing/fake-apiserver.ts';
import { fakeApiServerForFile } from './testing/fake-api-for-file.ts';
import { until } from './testing/until.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const pod = (ns: string, name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels }, spec: { containers: [] as never[] },
});

function recorder(inf: Informer<Pod>): string[] {
  const log: string[] = [];
  inf.onAdd((p) => log.push(`add ${p.metadata?.name}`));
  inf.onUpdate((o, n) => log.push(`update ${n.metadata?.name} ${o.metadata?.resourceVersion}->${n.metadata?.resourceVersion}`));
  inf.onDelete((p) => log.push(`delete ${p.metadata?.name}`));
  return log;
}

test('lists, syncs, then follows adds, updates and deletes in order', async () => {
  server.put('pods', pod('i1', 'a'));
  const inf = new Informer(client.resource<Pod>('pods', 'i1'));
  const log = recorder(inf);
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  await inf.synced;
  assert.deepEqual(log, ['add a']);
  assert.equal(inf.get('i1/a')?.metadata?.name, 'a');

  await until(() => server.watcherCount('pods', 'i1') === 1, 'watch');
  const b = server.put('pods', pod('i1', 'b'));
  const b2 = server.put('pods', { ...b, metadata: { ...b.metadata, labels: { v: '2' } } });
  server.remove('pods', 'i1', 'a');
  await until(() => log.length === 4, 'events');
  assert.deepEqual(log.slice(1), ['add b', `update b ${b.metadata.resourceVersion}->${b2.metadata.resourceVersion}`, 'delete a']);
  assert.deepEqual(inf.list().map((p) => p.metadata?.name), ['b']);
  assert.equal(inf.lastSyncResourceVersion, String(server.resourceVersion));
  // Asked to watch from the list's RV, with bookmarks.
  const watchReq = server.requests.find((r) => r.query.get('watch') === 'true' && r.path.includes('/namespaces/i1/'))!;
  assert.equal(watchReq.query.get('allowWatchBookmarks'), 'true');
  ac.abort();
  await running;
});

test('after a 410 it lists again and reports what changed while it was away', async () => {
  server.put('pods', pod('i2', 'keep'));
  server.put('pods', pod('i2', 'gone'));
  const inf = new Informer(client.resource<Pod>('pods', 'i2'), { backoffInitialMs: 1 });
  const log = recorder(inf);
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  await inf.synced;
  await until(() => server.watcherCount('pods', 'i2') === 1, 'watch');
  const lists = () => server.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/i2/pods' && !r.query.get('watch')).length;
  assert.equal(lists(), 1);

  // Changes the informer does not see as events: the watch is cut and history compacted.
  server.closeWatches();
  server.remove('pods', 'i2', 'gone');
  const kept = server.list('pods').find((p) => p.metadata.name === 'keep')!;
  server.put('pods', { ...kept, metadata: { ...kept.metadata, labels: { changed: 'yes' } } });
  server.put('pods', pod('i2', 'new'));
  server.compact();

  await until(() => log.length >= 5, 'relist diff');
  assert.equal(lists(), 2);
  assert.deepEqual(log.slice(2).map((l) => l.split(' ').slice(0, 2).join(' ')).sort(), ['add new', 'delete gone', 'update keep']);
  assert.equal(inf.get('i2/keep')?.metadata?.labels?.changed, 'yes');
  assert.equal(inf.get('i2/gone'), undefined);
  ac.abort();
  await running;
});

test('passes label and field selectors to list and watch; a handler that throws does not stop it', async () => {
  server.put('pods', pod('i3', 'x', { tier: 'fe' }));
  server.put('pods', pod('i3', 'y', { tier: 'be' }));
  const inf = new Informer(client.resource<Pod>('pods', 'i3'), { labelSelector: 'tier=fe', fieldSelector: 'metadata.name!=z' });
  const added: string[] = [];
  inf.onAdd(() => {
    throw new Error('handler bug');
  });
  inf.onAdd((p) => added.push(p.metadata!.name!));
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  await inf.synced;
  assert.deepEqual(added, ['x']);
  await until(() => server.watcherCount('pods', 'i3') === 1, 'watch');
  server.put('pods', pod('i3', 'w', { tier: 'fe' }));
  server.put('pods', pod('i3', 'v', { tier: 'be' }));
  await until(() => added.length === 2, 'second add');
  assert.deepEqual(added, ['x', 'w']);
  const reqs = server.requests.filter((r) => r.path === '/api/v1/namespaces/i3/pods');
  assert.ok(reqs.length >= 2);
  for (const r of reqs) {
    assert.equal(r.query.get('labelSelector'), 'tier=fe');
    assert.equal(r.query.get('fieldSelector'), 'metadata.name!=z');
  }
  ac.abort();
  await running;
});

test('retries a failing list with back-off; synced rejects if stopped first', async () => {
  server.failNext.push({ method: 'GET', pathIncludes: '/namespaces/i4/pods', code: 500, reason: 'InternalError' });
  server.put('pods', pod('i4', 'p'));
  const inf = new Informer(client.resource<Pod>('pods', 'i4'), { backoffInitialMs: 1 });
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  await inf.synced;
  assert.equal(inf.list().length, 1);
  ac.abort();
  await running;

  const never = new Informer(client.resource<Pod>('pods', 'i5'));
  const ac2 = new AbortController();
  ac2.abort(new Error('stopped early'));
  await never.run(ac2.signal);
  await assert.rejects(never.synced, /stopped early/);
});

test('resync re-delivers cached objects as updates', async () => {
  const { FakeClock } = await import('../machinery/index.ts');
  const clock = new FakeClock();
  server.put('pods', pod('i6', 'r'));
  const inf = new Informer(client.resource<Pod>('pods', 'i6'), { resyncPeriodMs: 30_000, clock });
  const updates: string[] = [];
  inf.onUpdate((o, n) => updates.push(`${o === n} ${n.metadata?.name}`));
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  await inf.synced;
  await until(() => clock.waiting === 1, 'resync sleep');
  await clock.step(30_000);
  assert.deepEqual(updates, ['true r']);
  ac.abort();
  await running;
});
