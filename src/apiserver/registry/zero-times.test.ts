/**
 * Zero timestamps are stored and served as null on every write path (create, update, strategic merge patch,
 * server-side apply, the status subresource), as upstream's typed objects marshal them; pointer times stay
 * absent. Over HTTPS against the in-process server, so the bytes a client reads are what is checked.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read untyped JSON responses */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s?.stop();
});

const T = '2026-12-07T20:00:00Z';
const smp = { 'content-type': 'application/strategic-merge-patch+json' };
const apply = { 'content-type': 'application/apply-patch+yaml' };
const pod = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec },
});
const condition = (p: any, type: string) => p.status.conditions.find((c: any) => c.type === type);

async function ok(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
  const r = await s.request(method, path, body, headers);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
}

test('a pod condition patched with lastProbeTime: null reads back with it null (strategic merge patch on status)', async () => {
  await ok('POST', '/api/v1/namespaces/default/pods', pod('smp'));
  const path = '/api/v1/namespaces/default/pods/smp/status';
  const patched = await ok('PATCH', path, { status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: T }] } }, smp);
  assert.deepEqual(condition(patched, 'Ready'), { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: T });
  const got = await ok('GET', '/api/v1/namespaces/default/pods/smp');
  assert.ok('lastProbeTime' in condition(got, 'Ready'));
  assert.equal(condition(got, 'Ready').lastProbeTime, null);
  // The same patch again changes nothing: no new resourceVersion.
  const again = await ok('PATCH', path, { status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: T }] } }, smp);
  assert.equal(again.metadata.resourceVersion, got.metadata.resourceVersion);
  // The list and the watch cache serve the same shape.
  const list = await ok('GET', '/api/v1/namespaces/default/pods?resourceVersion=0');
  const item = list.items.find((p: any) => p.metadata.name === 'smp');
  assert.equal(condition(item, 'Ready').lastProbeTime, null);
});

test('server-side apply and a PUT of status: conditions without zero times get them as null', async () => {
  await ok('POST', '/api/v1/namespaces/default/pods', pod('ssa'));
  const applied = await ok('PATCH', '/api/v1/namespaces/default/pods/ssa/status?fieldManager=test&force=true',
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ssa' }, status: { conditions: [{ type: 'Example', status: 'True' }] } }), apply);
  assert.deepEqual(condition(applied, 'Example'), { type: 'Example', status: 'True', lastProbeTime: null, lastTransitionTime: null });
  const put = structuredClone(applied);
  put.status.conditions = [{ type: 'Ready', status: 'False', lastTransitionTime: T }];
  put.status.containerStatuses = [{ name: 'c', image: 'busybox:1.35', imageID: '', ready: false, restartCount: 1, state: { running: { startedAt: T } }, lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }];
  const updated = await ok('PUT', '/api/v1/namespaces/default/pods/ssa/status', put);
  assert.deepEqual(condition(updated, 'Ready'), { type: 'Ready', status: 'False', lastTransitionTime: T, lastProbeTime: null });
  assert.deepEqual(updated.status.containerStatuses[0].lastState.terminated, { exitCode: 137, reason: 'ContainerStatusUnknown', startedAt: null, finishedAt: null });
});

test('a pointer time stays absent: no deletionTimestamp, status.startTime or managedFields time is invented', async () => {
  const created = await ok('POST', '/api/v1/namespaces/default/pods', pod('ptr'));
  assert.equal(created.metadata.creationTimestamp.length, T.length);
  const got = await ok('GET', '/api/v1/namespaces/default/pods/ptr');
  assert.ok(!('deletionTimestamp' in got.metadata));
  assert.ok(!('startTime' in got.status));
  assert.deepEqual(Object.keys(got.status).sort(), ['phase', 'qosClass']);
});

test('a gated pod: the SchedulingGated condition the server adds has lastProbeTime: null', async () => {
  const created = await ok('POST', '/api/v1/namespaces/default/pods', pod('gated', { schedulingGates: [{ name: 'example.com/wait' }] }));
  const gated = condition(created, 'PodScheduled');
  assert.equal(gated.reason, 'SchedulingGated');
  assert.ok('lastProbeTime' in gated);
  assert.equal(gated.lastProbeTime, null);
  assert.equal(typeof gated.lastTransitionTime, 'string');
});

test('a core/v1 Event created without eventTime reads back with eventTime: null (create and update)', async () => {
  const event = {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started', message: 'Started container c', type: 'Normal',
    source: { component: 'kubelet' }, firstTimestamp: T, lastTimestamp: T, count: 1,
  };
  const created = await ok('POST', '/api/v1/namespaces/default/events', event);
  assert.equal(created.eventTime, null);
  const got = await ok('GET', '/api/v1/namespaces/default/events/e1');
  assert.ok('eventTime' in got);
  assert.equal(got.eventTime, null);
  assert.equal(got.firstTimestamp, T);
  const put = await ok('PUT', '/api/v1/namespaces/default/events/e1', { ...event, count: 2, metadata: { ...event.metadata, resourceVersion: got.metadata.resourceVersion } });
  assert.equal(put.eventTime, null);
  assert.equal(put.count, 2);
  // An event.k8s.io/v1 Event carries the deprecated timestamps as null instead.
  const v1 = await ok('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e2' }, eventTime: '2026-12-07T20:00:00.000000Z',
    reportingController: 'example.com/c', reportingInstance: 'i', action: 'Act', reason: 'Why', type: 'Normal', regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
  });
  assert.equal(v1.deprecatedFirstTimestamp, null);
  assert.equal(v1.deprecatedLastTimestamp, null);
});

test("a Deployment's pod template is served with metadata.creationTimestamp: null, also after a patch deletes it", async () => {
  const created = await ok('POST', '/apis/apps/v1/namespaces/default/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
  });
  assert.deepEqual(created.spec.template.metadata, { labels: { app: 'd' }, creationTimestamp: null });
  const patched = await ok('PATCH', '/apis/apps/v1/namespaces/default/deployments/d', { spec: { template: { metadata: { creationTimestamp: null, annotations: { a: 'b' } } } } }, smp);
  assert.deepEqual(patched.spec.template.metadata, { labels: { app: 'd' }, annotations: { a: 'b' }, creationTimestamp: null });
});
