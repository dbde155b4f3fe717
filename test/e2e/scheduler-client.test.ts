/**
 * src/client against the real `kubeling server` (no node): the verbs and patch types other components use,
 * errors as ApiError, watch from a list's resourceVersion, an Informer, and the EventRecorder's aggregation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Event, Pod } from '../../src/api/index.ts';
import { ApiError, Client, EventRecorder, Informer, isAlreadyExists, isConflict, isInvalid, isNotFound, type WatchEvent } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ noAgent: true, storage: 'memory' }, (s) => ({ server, client } = s));

const cm = (name: string, data: Record<string, string>): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

test('CRUD, conflicts and errors come back as typed ApiErrors', async () => {
  const cms = client.resource<ConfigMap>('configmaps', 'default');
  const created = await cms.create(cm('c1', { a: '1' }));
  assert.ok(created.metadata?.uid);
  await assert.rejects(cms.create(cm('c1', { a: '1' })), (e) => isAlreadyExists(e) && (e as ApiError).code === 409);
  const updated = await cms.update({ ...created, data: { a: '2' } });
  assert.equal(updated.data?.a, '2');
  await assert.rejects(cms.update({ ...created, data: { a: '3' } }), (e) => isConflict(e));
  await assert.rejects(cms.get('nope'), (e) => isNotFound(e) && /configmaps "nope" not found/.test((e as Error).message));
  await assert.rejects(cms.create(cm('Bad_Name', {})), (e) => isInvalid(e) && (e as ApiError).code === 422);
  await assert.rejects(cms.delete('c1', { preconditions: { uid: 'not-its-uid' } }), (e) => isConflict(e));
  await cms.delete('c1', { preconditions: { uid: created.metadata!.uid! } });
  await assert.rejects(cms.get('c1'), (e) => isNotFound(e));
});

test('merge, strategic (containers by name), JSON patch and server-side apply', async () => {
  const pods = client.resource<Pod>('pods', 'default');
  await pods.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'patched' },
    spec: { containers: [{ name: 'a', image: 'busybox:1.35' }, { name: 'b', image: 'busybox:1.35' }] },
  });
  let p = await pods.patch('patched', { metadata: { labels: { merge: 'yes' } } }, 'merge');
  assert.equal(p.metadata?.labels?.merge, 'yes');
  p = await pods.patch('patched', { spec: { containers: [{ name: 'b', image: 'busybox:1.36' }] } }, 'strategic');
  assert.deepEqual(p.spec?.containers.map((c) => `${c.name}=${c.image}`), ['a=busybox:1.35', 'b=busybox:1.36']);
  p = await pods.patch('patched', [{ op: 'add', path: '/metadata/annotations', value: { json: 'patch' } }], 'json');
  assert.equal(p.metadata?.annotations?.json, 'patch');
  const cms = client.resource<ConfigMap>('configmaps', 'default');
  const applied = await cms.patch('applied', cm('applied', { k: 'v' }), 'apply', { fieldManager: 'e2e', force: true });
  assert.equal(applied.data?.k, 'v');
  p = await pods.patchStatus('patched', { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'm' }] } }, 'strategic');
  assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason, 'Unschedulable');
});

test('watch from a list resourceVersion sees changes in order; an Informer follows them', async () => {
  const cms = client.resource<ConfigMap>('configmaps', 'default');
  const list = await cms.list({ labelSelector: 'watched=yes' });
  const informer = new Informer<ConfigMap>(client.resource<ConfigMap>('configmaps', 'default'), { labelSelector: 'watched=yes' });
  const seenByInformer: string[] = [];
  informer.onAdd((o) => seenByInformer.push(`add ${o.metadata?.name}`)).onDelete((o) => seenByInformer.push(`delete ${o.metadata?.name}`));
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  await informer.synced;
  const events: string[] = [];
  const watching = (async () => {
    for await (const ev of cms.watch({ resourceVersion: list.metadata.resourceVersion, labelSelector: 'watched=yes' }, ac.signal) as AsyncIterable<WatchEvent<ConfigMap>>) {
      if (ev.type === 'BOOKMARK') continue;
      events.push(`${ev.type} ${ev.object.metadata?.name} ${ev.object.data?.v ?? ''}`.trim());
      if (events.length === 4) break;
    }
  })();
  const w = await cms.create({ ...cm('w1', { v: '1' }), metadata: { name: 'w1', labels: { watched: 'yes' } } });
  await cms.patch('w1', { data: { v: '2' } }, 'merge');
  await cms.create({ ...cm('w2', { v: '1' }), metadata: { name: 'w2', labels: { watched: 'yes' } } });
  await cms.delete('w1', { preconditions: { uid: w.metadata!.uid! } });
  await watching;
  assert.deepEqual(events, ['ADDED w1 1', 'MODIFIED w1 2', 'ADDED w2 1', 'DELETED w1 2']);
  await untilWith(() => seenByInformer.length >= 3, 'the informer to see three events', {
    timeoutMs: 5_000,
    intervalMs: 50,
  }).catch(() => undefined); // the assertion below names what it saw
  assert.deepEqual(seenByInformer, ['add w1', 'add w2', 'delete w1']);
  assert.deepEqual(informer.list().map((o) => o.metadata?.name), ['w2']);
  ac.abort();
  await running;
});

test('the event recorder aggregates repeats into count, readable by kubectl', async () => {
  const pods = client.resource<Pod>('pods', 'default');
  const pod = await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'evented' }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });
  const rec = new EventRecorder(client, { component: 'e2e-test', host: 'here' });
  for (let i = 0; i < 3; i++) rec.event(pod, 'Warning', 'Testing', 'the same thing again');
  await rec.flush();
  // (The scheduler writes its own FailedScheduling event about this pod: there is no node.)
  const evs = (await client.resource<Event>('events', 'default').list({ fieldSelector: 'involvedObject.name=evented' })).items.filter((e) => e.reason === 'Testing');
  assert.equal(evs.length, 1);
  assert.equal(evs[0]!.count, 3);
  const described = await server.kubectl(['describe', 'pod', 'evented']);
  assert.match(described.stdout, /Warning\s+Testing\s+.*\(x3 over .*\)\s+e2e-test\s+the same thing again/);
});
