import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../api/index.ts';
import { Client, informerOf, SharedInformers } from './index.ts';
import type { FakeApiServer } from './testing/fake-apiserver.ts';
import { fakeApiServerForFile } from './testing/fake-api-for-file.ts';
import { until } from './testing/until.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const pod = (ns: string, name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name }, spec: { containers: [] as never[] } });
const podLists = (ns: string) => server.requests.filter((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${ns}/pods` && !r.query.get('watch')).length;
const podWatches = (ns: string) => server.requests.filter((r) => r.path === `/api/v1/namespaces/${ns}/pods` && r.query.get('watch') === 'true').length;

test('two owners of the same resource get one informer: one list, one watch, one cache; it stops with its last owner', async () => {
  server.put('pods', pod('s1', 'a'));
  const shared = new SharedInformers({ client });
  const first = shared.informerFor(client.resource<Pod>('pods', 's1'));
  const second = shared.informerFor(client.resource<Pod>('pods', 's1'));
  assert.equal(first, second);
  // Other resources, namespaces and selectors are informers of their own.
  assert.notEqual(shared.informerFor(client.resource<Pod>('pods', 's2')), first);
  assert.notEqual(shared.informerFor(client.resource<Pod>('pods', 's1'), { labelSelector: 'a=b' }), first);
  assert.notEqual(shared.informerFor(client.resource<Node>('nodes')), first);
  assert.equal(shared.size, 4);

  const addsA: string[] = [];
  const addsB: string[] = [];
  first.onAdd((p) => addsA.push(p.metadata!.name!));
  second.onAdd((p) => addsB.push(p.metadata!.name!));
  const ownerA = new AbortController();
  const ownerB = new AbortController();
  const runA = first.run(ownerA.signal);
  const runB = second.run(ownerB.signal);
  await first.synced;
  await until(() => server.watcherCount('pods', 's1') === 1, 'watch');
  server.put('pods', pod('s1', 'b'));
  await until(() => addsA.length === 2 && addsB.length === 2, 'both owners told');
  assert.deepEqual([addsA, addsB], [['a', 'b'], ['a', 'b']]);
  assert.equal(podLists('s1'), 1);
  assert.equal(podWatches('s1'), 1);

  // The first owner leaves: the informer keeps running for the second.
  ownerA.abort();
  await runA;
  server.put('pods', pod('s1', 'c'));
  await until(() => addsB.length === 3, 'still watching');
  assert.equal(server.watcherCount('pods', 's1'), 1);
  ownerB.abort();
  await runB;
  await until(() => server.watcherCount('pods', 's1') === 0, 'watch closed with the last owner');
});

test('a handler added to a synced shared informer hears of every cached object, as client-go replays them', async () => {
  server.put('pods', pod('s3', 'x'));
  server.put('pods', pod('s3', 'y'));
  const shared = new SharedInformers({ client });
  const informer = shared.informerFor(client.resource<Pod>('pods', 's3'));
  const owner = new AbortController();
  const running = informer.run(owner.signal);
  await informer.synced;
  const late: string[] = [];
  informer.onAdd((p) => late.push(p.metadata!.name!));
  assert.deepEqual(late.sort(), ['x', 'y']);
  owner.abort();
  await running;
});

test('informerOf: the shared informer when there are shared informers, else a new one each time', () => {
  const shared = new SharedInformers({ client });
  assert.equal(informerOf(shared, client.resource<Pod>('pods', 's4')), informerOf(shared, client.resource<Pod>('pods', 's4')));
  assert.notEqual(informerOf(undefined, client.resource<Pod>('pods', 's4')), informerOf(undefined, client.resource<Pod>('pods', 's4')));
});
