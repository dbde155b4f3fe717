import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from '../api/index.ts';
import { FakeClock } from '../machinery/index.ts';
import { poll } from '../machinery/testing/poll.ts';
import { Client, EventRecorder } from './index.ts';
import type { FakeApiServer } from './testing/fake-apiserver.ts';
import { fakeApiServerForFile } from './testing/fake-api-for-file.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const pod = (ns: string, name: string): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, uid: `uid-${name}`, resourceVersion: '7' }, spec: { containers: [] },
});
const eventsIn = (ns: string) => server.list('events').filter((e) => e.metadata.namespace === ns) as unknown as Event[];

test('writes a core/v1 Event with the involved object, source and timestamps', async () => {
  const clock = new FakeClock(Date.parse('2026-03-01T10:00:00.250Z'));
  const rec = new EventRecorder(client, { component: 'default-scheduler', host: 'node-1', clock });
  rec.event(pod('e1', 'web'), 'Normal', 'Scheduled', 'Successfully assigned e1/web to node-1');
  await rec.flush();
  const [ev] = eventsIn('e1');
  assert.ok(ev);
  assert.match(ev.metadata!.name!, /^web\.[0-9a-f]+$/);
  assert.deepEqual(ev.involvedObject, { kind: 'Pod', namespace: 'e1', name: 'web', uid: 'uid-web', apiVersion: 'v1', resourceVersion: '7' });
  assert.equal(ev.reason, 'Scheduled');
  assert.equal(ev.message, 'Successfully assigned e1/web to node-1');
  assert.equal(ev.type, 'Normal');
  assert.deepEqual(ev.source, { component: 'default-scheduler', host: 'node-1' });
  assert.equal(ev.reportingComponent, 'default-scheduler');
  assert.equal(ev.reportingInstance, 'node-1');
  assert.equal(ev.firstTimestamp, '2026-03-01T10:00:00Z');
  assert.equal(ev.lastTimestamp, '2026-03-01T10:00:00Z');
  assert.equal(ev.count, 1);
});

test('a repeat within 10 minutes patches count and lastTimestamp; a different message or a late repeat is new', async () => {
  const clock = new FakeClock(Date.parse('2026-03-01T10:00:00Z'));
  const rec = new EventRecorder(client, { component: 'kubelet', host: 'n1', clock });
  const p = pod('e2', 'crash');
  rec.event(p, 'Warning', 'BackOff', 'Back-off restarting failed container', { fieldPath: 'spec.containers{app}' });
  await clock.step(60_000);
  rec.event(p, 'Warning', 'BackOff', 'Back-off restarting failed container', { fieldPath: 'spec.containers{app}' });
  await clock.step(60_000);
  rec.event(p, 'Warning', 'BackOff', 'Back-off restarting failed container', { fieldPath: 'spec.containers{app}' });
  await rec.flush();
  let events = eventsIn('e2');
  assert.equal(events.length, 1);
  assert.equal(events[0]!.count, 3);
  assert.equal(events[0]!.firstTimestamp, '2026-03-01T10:00:00Z');
  assert.equal(events[0]!.lastTimestamp, '2026-03-01T10:02:00Z');
  assert.equal(events[0]!.involvedObject.fieldPath, 'spec.containers{app}');
  const patches = server.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith('/api/v1/namespaces/e2/events/'));
  assert.equal(patches.length, 2);
  assert.equal(patches[0]!.headers['content-type'], 'application/strategic-merge-patch+json');

  rec.event(p, 'Warning', 'BackOff', 'something else');
  await clock.step(11 * 60_000);
  rec.event(p, 'Warning', 'BackOff', 'Back-off restarting failed container', { fieldPath: 'spec.containers{app}' });
  await rec.flush();
  events = eventsIn('e2');
  assert.equal(events.length, 3);
  assert.deepEqual(events.map((e) => e.count).sort(), [1, 1, 3]);
});

test('events about cluster-scoped objects go to the default namespace; a deleted event is created again', async () => {
  const rec = new EventRecorder(client, { component: 'kubelet', host: 'n9' });
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n9', uid: 'n9-uid' } };
  rec.event(node, 'Normal', 'Starting', 'Starting kubelet.');
  await rec.flush();
  const [first] = server.list('events').filter((e) => e.involvedObject?.name === 'n9');
  assert.equal(first!.metadata.namespace, 'default');
  server.remove('events', 'default', first!.metadata.name);
  rec.event(node, 'Normal', 'Starting', 'Starting kubelet.');
  await rec.flush();
  const again = server.list('events').filter((e) => e.involvedObject?.name === 'n9');
  assert.equal(again.length, 1);
  assert.equal(again[0]!.count, 2);
});

test('a write that keeps failing is dropped without throwing; later events still go out', async () => {
  const clock = new FakeClock();
  const rec = new EventRecorder(client, { component: 'c', clock });
  for (let i = 0; i < 3; i++) server.failNext.push({ method: 'POST', pathIncludes: '/namespaces/e4/events', code: 500, reason: 'InternalError' });
  rec.event(pod('e4', 'a'), 'Normal', 'R', 'lost');
  rec.event(pod('e4-ok', 'b'), 'Normal', 'R', 'kept');
  const flushed = rec.flush();
  while (!(await Promise.race([flushed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5))]))) await clock.step(1000);
  assert.deepEqual(eventsIn('e4'), []);
  assert.deepEqual(eventsIn('e4-ok').map((e) => e.message), ['kept']);
});

test('an event being retried holds back later events about its object, not events about other objects', async () => {
  const clock = new FakeClock();
  const rec = new EventRecorder(client, { component: 'c', clock });
  server.failNext.push({ method: 'POST', pathIncludes: '/namespaces/e5/events', code: 500, reason: 'InternalError' });
  rec.event(pod('e5', 'a'), 'Normal', 'First', 'first');
  rec.event(pod('e5', 'a'), 'Normal', 'Second', 'second');
  rec.event(pod('e5-other', 'b'), 'Normal', 'Other', 'other');
  // a's first write failed and waits to retry on the (stopped) clock; b's goes out meanwhile, a's second waits.
  await poll(() => eventsIn('e5-other').length === 1, 'the event about b');
  assert.deepEqual(eventsIn('e5'), []);
  const flushed = rec.flush();
  while (!(await Promise.race([flushed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5))]))) await clock.step(1000);
  const a = eventsIn('e5');
  assert.deepEqual(a.map((e) => e.reason).sort(), ['First', 'Second']);
  // In order: the first one's failed write, its retry, then the second.
  const posts = server.requests.filter((r) => r.method === 'POST' && r.path.includes('/namespaces/e5/events'));
  assert.deepEqual(posts.map((r) => (r.body as Event).reason), ['First', 'First', 'Second']);
});

test('close() drops waiting events and writes nothing more; more than 1000 waiting are dropped', async () => {
  const rec = new EventRecorder(client, { component: 'default-scheduler', clock: new FakeClock(0) });
  const before = server.requests.length;
  for (let i = 0; i < 20; i++) rec.event(pod('e-close', `p${i}`), 'Warning', 'FailedScheduling', 'no nodes');
  rec.close();
  await rec.flush();
  rec.event(pod('e-close', 'late'), 'Normal', 'Scheduled', 'after close');
  await rec.flush();
  // The first write may have started before close(); it is aborted, and nothing follows it.
  assert.ok(server.requests.length - before <= 1, `${server.requests.length - before} requests after close`);
  assert.ok(eventsIn('e-close').length <= 1);

  const unlimited = client.with({ qps: 0 });
  const flood = new EventRecorder(unlimited, { component: 'flood', clock: new FakeClock(0) });
  for (let i = 0; i < 1010; i++) flood.event(pod('e-flood', `p${i}`), 'Warning', 'FailedScheduling', 'no nodes');
  await flood.flush();
  assert.equal(eventsIn('e-flood').length, 1000);
  // A component that records in bursts (the scheduler) may keep a longer queue.
  const long = new EventRecorder(unlimited, { component: 'long', clock: new FakeClock(0), maxQueuedEvents: 2000 });
  for (let i = 0; i < 1010; i++) long.event(pod('e-long', `p${i}`), 'Normal', 'Scheduled', 'bound');
  await long.flush();
  unlimited.close();
  assert.equal(eventsIn('e-long').length, 1010);
});
