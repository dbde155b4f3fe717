import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/index.ts';
import { Client, Informer } from './index.ts';
import { FakeApiServer } from './testing/fake-apiserver.ts';
import { until } from './testing/until.ts';

// Two fake API servers share one store only in the sense the tests need: each holds the same objects, put there
// by the test, as servers on one etcd would serve them.

test('a client with several servers sends to the next when the first refuses connections, and stays there', async () => {
  const a = await new FakeApiServer().start();
  const b = await new FakeApiServer().start();
  const deadUrl = a.url;
  await a.stop();
  b.put('pods', { metadata: { name: 'p', namespace: 'default' } });
  const client = new Client({ server: deadUrl, servers: [b.url], token: b.token, caData: b.ca, qps: 0 });
  try {
    const pods = client.resource<Pod>('pods', 'default');
    assert.equal((await pods.get('p')).metadata?.name, 'p');
    assert.equal(client.transport.server.origin, b.url);
    // A write that never reached the dead server is sent to the live one.
    const c2 = new Client({ server: deadUrl, servers: [b.url], token: b.token, caData: b.ca, qps: 0 });
    await c2.resource<Pod>('pods', 'default').create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' } });
    c2.close();
    assert.ok(b.objects.has('pods|default|q'));
  } finally {
    client.close();
    await b.stop();
  }
});

test('a client with one server fails as before when it is gone', async () => {
  const a = await new FakeApiServer().start();
  const url = a.url;
  await a.stop();
  const client = new Client({ server: url, token: a.token, caData: a.ca, qps: 0 });
  await assert.rejects(client.resource<Pod>('pods', 'default').get('p'), { code: 'ECONNREFUSED' });
  client.close();
});

test('an informer whose server dies re-lists and watches on the next server and sees its changes', async () => {
  const a = await new FakeApiServer().start();
  const b = await new FakeApiServer().start();
  for (const s of [a, b]) s.put('pods', { metadata: { name: 'before', namespace: 'default' } });
  const client = new Client({ server: a.url, servers: [b.url], token: a.token, caData: a.ca, qps: 0 });
  const informer = new Informer(client.resource<Pod>('pods', 'default'), { backoffInitialMs: 1 });
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  try {
    await informer.synced;
    await until(() => a.watcherCount('pods') === 1, 'a watch on the first server');
    await a.stop();
    await until(() => b.watcherCount('pods') === 1, 'a watch on the second server');
    b.put('pods', { metadata: { name: 'after', namespace: 'default' } });
    await until(() => informer.list().some((p) => p.metadata?.name === 'after'), 'the pod made after the failover');
    assert.equal(client.transport.server.origin, b.url);
  } finally {
    ac.abort();
    await running;
    client.close();
    await b.stop();
  }
});
