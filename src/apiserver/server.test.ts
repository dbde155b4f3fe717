/**
 * The API server in process on a MemoryStore, over real HTTPS: REST semantics the e2e tests with kubectl do
 * not reach (conflicts, generateName, generation, status and binding subresources, graceful deletion,
 * preconditions, dryRun, fieldValidation, selectors, paging, watch replay/410/bookmarks/Table, discovery
 * negotiation, authentication, the kubelet proxy).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read untyped JSON responses */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startTestServer, type TestServer } from './testing.ts';
import { ensurePki } from './auth/certs.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { poll } from '../machinery/testing/poll.ts';

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] }, ...extra,
});

/** Opens a watch and collects its events until `stop()`. */
function openWatch(s: TestServer, path: string, headers: Record<string, string> = {}) {
  const events: { type: string; object: any }[] = [];
  let status = 0;
  let ended = false;
  let buf = '';
  let req!: ReturnType<typeof https.request>;
  const opened = new Promise<void>((resolve, reject) => {
    req = https.request({ host: '127.0.0.1', port: s.port, path, agent: false, ca: s.caPem, headers: { authorization: `Bearer ${s.token}`, ...headers } }, (res) => {
      status = res.statusCode ?? 0;
      resolve();
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      });
      res.on('end', () => (ended = true));
      res.on('error', () => (ended = true));
    });
    req.on('error', reject);
    req.end();
  });
  return {
    events, opened,
    get status() { return status; },
    get ended() { return ended; },
    stop: () => req.destroy(),
  };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  await poll(cond, what, { intervalMs: 10, timeoutMs: ms });
}

describe('API server', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ config: { bookmarkIntervalMs: 200 } });
  });
  after(async () => {
    await s.stop();
  });

  test('system namespaces, default service accounts and version exist from the start', async () => {
    const ns = await s.request('GET', '/api/v1/namespaces');
    assert.deepEqual(ns.body.items.map((n: any) => n.metadata.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    await until('default service accounts', () => s.server.registry('serviceaccounts').cache.list().items.length === 4);
    const v = await s.request('GET', '/version');
    assert.equal(v.body.major, '1');
    assert.equal(v.body.minor, '32');
    assert.match(v.body.gitVersion, /^v1\.32\./);
  });

  test('requests without a valid token get 401 Unauthorized; health is public', async () => {
    const r = await s.request('GET', '/api/v1/pods', undefined, { authorization: 'Bearer nope' });
    assert.equal(r.status, 401);
    assert.equal(r.body.reason, 'Unauthorized');
    const h = await s.request('GET', '/readyz', undefined, { authorization: '' });
    assert.equal(h.status, 200);
    assert.equal(h.text, 'ok');
  });

  test('anonymous requests may read kube-public/cluster-info and nothing else; a bad token is refused even there', async () => {
    const path = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: 'x' } };
    assert.equal((await s.request('POST', '/api/v1/namespaces/kube-public/configmaps', cm)).status, 201);
    const anon = { authorization: '' };
    const r = await s.request('GET', path, undefined, anon);
    assert.equal(r.status, 200);
    assert.equal(r.body.data.kubeconfig, 'x');
    for (const [method, p, body] of [
      ['GET', '/api/v1/namespaces/kube-public/configmaps'],
      ['GET', '/api/v1/namespaces/kube-public/configmaps/other'],
      ['GET', '/api/v1/namespaces/default/configmaps/cluster-info'],
      ['GET', '/api/v1/namespaces/kube-system/secrets'],
      ['GET', `${path}?watch=1`],
      ['GET', '/api/v1/watch/namespaces/kube-public/configmaps/cluster-info'],
      ['GET', '/api'],
      ['PUT', path, cm],
      ['DELETE', path],
    ] as [string, string, unknown?][]) {
      const res = await s.request(method, p, body, anon);
      assert.equal(res.status, 401, `${method} ${p}`);
    }
    assert.equal((await s.request('GET', path, undefined, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await s.request('DELETE', path)).status, 200);
  });

  test('create sets uid, creationTimestamp, generation, resourceVersion; generateName makes a name', async () => {
    const r = await s.request('POST', '/api/v1/namespaces/default/pods', { ...pod(''), metadata: { generateName: 'web-' } });
    assert.equal(r.status, 201);
    const m = r.body.metadata;
    assert.match(m.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.match(m.uid, /^[0-9a-f-]{36}$/);
    assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(m.generation, 1);
    assert.match(m.resourceVersion, /^\d+$/);
    assert.equal(r.body.status.phase, 'Pending');
    assert.equal(r.body.status.qosClass, 'BestEffort');
    const again = await s.request('POST', '/api/v1/namespaces/default/pods', { ...pod(m.name) });
    assert.equal(again.status, 409);
    assert.equal(again.body.reason, 'AlreadyExists');
    assert.equal(again.body.message, `pods "${m.name}" already exists`);
  });

  test('accepts creationTimestamp: null and status: {} as kubectl run sends them', async () => {
    const r = await s.request('POST', '/api/v1/namespaces/default/pods?fieldManager=kubectl-run', {
      kind: 'Pod', apiVersion: 'v1', metadata: { name: 'run1', creationTimestamp: null, labels: { run: 'run1' } },
      spec: { containers: [{ name: 'run1', image: 'busybox:1.35', resources: {} }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' }, status: {},
    });
    assert.equal(r.status, 201, r.text);
    assert.ok(r.body.metadata.creationTimestamp);
  });

  test('a stale resourceVersion is a 409 Conflict with the exact message; spec changes bump generation', async () => {
    const created = (await s.request('POST', '/api/v1/namespaces/default/pods', pod('conflict'))).body;
    const next = structuredClone(created);
    next.spec.containers[0].image = 'busybox:1.36';
    const ok = await s.request('PUT', '/api/v1/namespaces/default/pods/conflict', next);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.metadata.generation, 2);
    const stale = structuredClone(created);
    stale.spec.containers[0].image = 'busybox:1.37';
    const r = await s.request('PUT', '/api/v1/namespaces/default/pods/conflict', stale);
    assert.equal(r.status, 409);
    assert.equal(r.body.reason, 'Conflict');
    assert.equal(r.body.message, 'Operation cannot be fulfilled on pods "conflict": the object has been modified; please apply your changes to the latest version and try again');
    // A metadata-only change leaves generation alone.
    const labelled = await s.request('PATCH', '/api/v1/namespaces/default/pods/conflict', { metadata: { labels: { extra: 'yes' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(labelled.body.metadata.generation, 2);
  });

  test('status is reset on create, kept on spec updates, and is all that /status changes', async () => {
    const created = (await s.request('POST', '/api/v1/namespaces/default/pods', { ...pod('st'), status: { phase: 'Running' } })).body;
    assert.equal(created.status.phase, 'Pending');
    const upd = structuredClone(created);
    upd.status = { phase: 'Running', podIP: '10.42.0.9' };
    upd.metadata.labels.changed = 'by-status';
    const r = await s.request('PUT', '/api/v1/namespaces/default/pods/st/status', upd);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status.phase, 'Running');
    assert.equal(r.body.metadata.labels.changed, undefined, 'labels do not change through /status');
    const main = structuredClone(r.body);
    main.status = { phase: 'Failed' };
    const r2 = await s.request('PUT', '/api/v1/namespaces/default/pods/st', main);
    assert.equal(r2.body.status.phase, 'Running', 'the main resource does not write status');
    const p = await s.request('PATCH', '/api/v1/namespaces/default/pods/st/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.status.conditions[0].type, 'Ready');
  });

  test('uid is immutable (422); a body naming another object is 400; a body without uid keeps the stored one', async () => {
    const created = (await s.request('POST', '/api/v1/namespaces/default/pods', pod('ident'))).body;
    const smp = { 'content-type': 'application/strategic-merge-patch+json' };
    const other = await s.request('PATCH', '/api/v1/namespaces/default/pods/ident/status', { metadata: { uid: 'x' }, status: { phase: 'Failed' } }, smp);
    assert.equal(other.status, 422, other.text);
    assert.equal(other.body.reason, 'Invalid');
    assert.equal(other.body.message, 'Pod "ident" is invalid: metadata.uid: Invalid value: "x": field is immutable');
    assert.deepEqual(other.body.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: "x": field is immutable', field: 'metadata.uid' }]);
    const put = structuredClone(created);
    put.metadata.uid = 'x';
    const replaced = await s.request('PUT', '/api/v1/namespaces/default/pods/ident', put);
    assert.equal(replaced.status, 422, replaced.text);
    const renamed = await s.request('PATCH', '/api/v1/namespaces/default/pods/ident', { metadata: { name: 'ident2' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(renamed.status, 400);
    assert.equal(renamed.body.message, 'the name of the object (ident2) does not match the name on the URL (ident)');
    const moved = await s.request('PATCH', '/api/v1/namespaces/default/pods/ident', { metadata: { namespace: 'kube-system' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(moved.status, 400);
    assert.equal(moved.body.message, 'the namespace of the object (kube-system) does not match the namespace on the URL (default)');
    const still = await s.request('GET', '/api/v1/namespaces/default/pods/ident');
    assert.equal(still.body.status.phase, 'Pending');
    // Same uid, or none: accepted; creationTimestamp stays the stored one (BeforeUpdate ignores a change).
    const same = await s.request('PATCH', '/api/v1/namespaces/default/pods/ident/status', { metadata: { uid: created.metadata.uid }, status: { phase: 'Running' } }, smp);
    assert.equal(same.status, 200, same.text);
    const noUid = structuredClone(same.body);
    delete noUid.metadata.uid;
    noUid.metadata.creationTimestamp = '2001-01-01T00:00:00Z';
    noUid.metadata.labels.kept = 'yes';
    const ok = await s.request('PUT', '/api/v1/namespaces/default/pods/ident', noUid);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.metadata.uid, created.metadata.uid);
    assert.equal(ok.body.metadata.creationTimestamp, created.metadata.creationTimestamp);
    assert.equal(ok.body.metadata.labels.kept, 'yes');
  });

  test('a pod created with scheduling gates is PodScheduled=False/SchedulingGated; kubectl get shows SchedulingGated', async () => {
    const gated = pod('gated');
    const r = await s.request('POST', '/api/v1/namespaces/default/pods', { ...gated, spec: { ...gated.spec, schedulingGates: [{ name: 'example.com/wait' }] } });
    assert.equal(r.status, 201, r.text);
    // As upstream's UpdatePodCondition adds it: lastTransitionTime now, lastProbeTime zero (null).
    const { lastTransitionTime, ...condition } = r.body.status.conditions[0];
    assert.equal(r.body.status.conditions.length, 1);
    assert.deepEqual(condition, { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null });
    assert.match(lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const t = await s.request('GET', '/api/v1/namespaces/default/pods/gated', undefined, { accept });
    assert.equal(t.body.rows[0].cells[2], 'SchedulingGated');
    const plain = await s.request('POST', '/api/v1/namespaces/default/pods', pod('ungated'));
    assert.equal(plain.body.status.conditions, undefined);
  });

  test('binding sets spec.nodeName once; a second binding is 409', async () => {
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('bindme'));
    const b = await s.request('POST', '/api/v1/namespaces/default/pods/bindme/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'node-1' } });
    assert.equal(b.status, 201, b.text);
    assert.equal(b.body.status, 'Success');
    const got = (await s.request('GET', '/api/v1/namespaces/default/pods/bindme')).body;
    assert.equal(got.spec.nodeName, 'node-1');
    assert.equal(got.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
    const again = await s.request('POST', '/api/v1/namespaces/default/bindings', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'node-2' } });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /pod bindme is already assigned to node "node-1"/);
  });

  test('a bound pod is deleted gracefully; preconditions; gracePeriodSeconds=0 removes it', async () => {
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('graceful'));
    await s.request('POST', '/api/v1/namespaces/default/pods/graceful/binding', { metadata: { name: 'graceful' }, target: { name: 'node-1' } });
    const d = await s.request('DELETE', '/api/v1/namespaces/default/pods/graceful', { propagationPolicy: 'Background' });
    assert.equal(d.status, 200);
    assert.equal(d.body.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(d.body.metadata.deletionTimestamp);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/graceful')).status, 200, 'still there for the kubelet');
    const wrongUid = await s.request('DELETE', '/api/v1/namespaces/default/pods/graceful', { gracePeriodSeconds: 0, preconditions: { uid: 'not-the-uid' } });
    assert.equal(wrongUid.status, 409);
    assert.match(wrongUid.body.message, /Precondition failed: UID in precondition: not-the-uid, UID in object meta: /);
    const gone = await s.request('DELETE', '/api/v1/namespaces/default/pods/graceful', { gracePeriodSeconds: 0, preconditions: { uid: d.body.metadata.uid } });
    assert.equal(gone.status, 200, gone.text);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/graceful')).status, 404);
    // An unbound pod goes at once.
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('unbound'));
    await s.request('DELETE', '/api/v1/namespaces/default/pods/unbound');
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/unbound')).status, 404);
  });

  test('eviction deletes; ephemeral containers can be added but not removed', async () => {
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('evictme'));
    const e = await s.request('POST', '/api/v1/namespaces/default/pods/evictme/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictme' } });
    assert.equal(e.status, 201, e.text);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/evictme')).status, 404);
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('debugme'));
    const add = await s.request('PATCH', '/api/v1/namespaces/default/pods/debugme/ephemeralcontainers',
      { spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.35', command: ['sh'], stdin: true, targetContainerName: 'c', terminationMessagePolicy: 'File' }] } },
      { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(add.status, 200, add.text);
    assert.equal(add.body.spec.ephemeralContainers[0].name, 'debugger');
    const cur = add.body;
    cur.spec.ephemeralContainers = [];
    const remove = await s.request('PUT', '/api/v1/namespaces/default/pods/debugme/ephemeralcontainers', cur);
    assert.equal(remove.status, 422, remove.text);
  });

  test('dryRun=All validates and answers without storing', async () => {
    const r = await s.request('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod('dry'));
    assert.equal(r.status, 201);
    assert.equal(r.body.metadata.name, 'dry');
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/dry')).status, 404);
    const bad = await s.request('POST', '/api/v1/namespaces/default/pods?dryRun=Sometimes', pod('dry'));
    assert.equal(bad.status, 400);
  });

  test('fieldValidation: Strict refuses unknown fields, Warn answers with a Warning header', async () => {
    const body = { ...pod('fv'), spec: { containers: [{ name: 'c', image: 'busybox:1.35', imagee: 'x' }] } };
    const strict = await s.request('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', body);
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"');
    const warn = await s.request('POST', '/api/v1/namespaces/default/pods?fieldValidation=Warn', body);
    assert.equal(warn.status, 201);
    assert.match(String(warn.headers.warning), /^299 - "unknown field \\"spec\.containers\[0\]\.imagee\\""$/);
  });

  test('422 Invalid carries one cause per field', async () => {
    const r = await s.request('POST', '/api/v1/namespaces/default/pods', { ...pod('inv'), spec: { containers: [{ name: 'c' }] } });
    assert.equal(r.status, 422);
    assert.equal(r.body.reason, 'Invalid');
    assert.equal(r.body.message, 'Pod "inv" is invalid: spec.containers[0].image: Required value');
    assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' }]);
    assert.equal(r.body.details.kind, 'Pod');
  });

  test('label and field selectors; limit and continue page through a list', async () => {
    for (let i = 0; i < 7; i++) {
      await s.request('POST', '/api/v1/namespaces/kube-public/configmaps', { metadata: { name: `page-${i}`, labels: { tier: i % 2 ? 'odd' : 'even' } }, data: {} });
    }
    const odd = await s.request('GET', '/api/v1/namespaces/kube-public/configmaps?labelSelector=tier%3Dodd');
    assert.deepEqual(odd.body.items.map((c: any) => c.metadata.name), ['page-1', 'page-3', 'page-5']);
    const byName = await s.request('GET', '/api/v1/namespaces/kube-public/configmaps?fieldSelector=metadata.name%3Dpage-4');
    assert.deepEqual(byName.body.items.map((c: any) => c.metadata.name), ['page-4']);
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = await s.request('GET', `/api/v1/namespaces/kube-public/configmaps?labelSelector=tier&limit=3${cont ? `&continue=${cont}` : ''}`);
      names.push(...r.body.items.map((c: any) => c.metadata.name));
      cont = r.body.metadata.continue ?? '';
      pages++;
    } while (cont);
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    assert.equal(pages, 3);
    const bad = await s.request('GET', '/api/v1/pods?labelSelector=%3D%3D%3D');
    assert.equal(bad.status, 400);
    const unknownField = await s.request('GET', '/api/v1/pods?fieldSelector=spec.bogus%3D1');
    assert.equal(unknownField.status, 400);
    assert.equal(unknownField.body.message, 'Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.bogus=1": field label not supported: spec.bogus');
  });

  test('watch replays from a resourceVersion, filters by selector, ends with timeoutSeconds, sends bookmarks', async () => {
    const list = await s.request('GET', '/api/v1/namespaces/kube-system/configmaps');
    const rv = list.body.metadata.resourceVersion;
    // Changes between the list and the watch are replayed.
    await s.request('POST', '/api/v1/namespaces/kube-system/configmaps', { metadata: { name: 'w1', labels: { w: 'yes' } } });
    const w = openWatch(s, `/api/v1/namespaces/kube-system/configmaps?watch=true&resourceVersion=${rv}&labelSelector=w%3Dyes&allowWatchBookmarks=true&timeoutSeconds=2`);
    await w.opened;
    assert.equal(w.status, 200);
    await s.request('PATCH', '/api/v1/namespaces/kube-system/configmaps/w1', { metadata: { labels: { w: 'no' } } }, { 'content-type': 'application/merge-patch+json' });
    await s.request('POST', '/api/v1/namespaces/kube-system/configmaps', { metadata: { name: 'w2', labels: { w: 'no' } } });
    await until('the watch to time out', () => w.ended, 5000);
    const types = w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`);
    // w1 stops matching the selector: the watcher sees it leave as DELETED; w2 never matches.
    assert.deepEqual(types, ['ADDED w1', 'DELETED w1']);
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    assert.ok(bookmark, 'a bookmark arrived');
    assert.match(bookmark.object.metadata.resourceVersion, /^\d+$/);
    assert.equal(bookmark.object.kind, 'ConfigMap');
  });

  test('get, list and watch answer with a Table when asked (kubectl get)', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const t = await s.request('GET', '/api/v1/namespaces/default/pods', undefined, { accept });
    assert.equal(t.body.kind, 'Table');
    assert.equal(t.body.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.body.columnDefinitions.slice(0, 5).map((c: any) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    assert.match(t.body.metadata.resourceVersion, /^\d+$/);
    assert.equal(t.body.rows[0].object.kind, 'PartialObjectMetadata');
    const w = openWatch(s, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${t.body.metadata.resourceVersion}&timeoutSeconds=1`, { accept });
    await w.opened;
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('tabled'));
    await until('the watch to end', () => w.ended);
    assert.equal(w.events[0]!.type, 'ADDED');
    assert.equal(w.events[0]!.object.kind, 'Table');
    assert.equal(w.events[0]!.object.rows[0].cells[0], 'tabled');
  });

  test('discovery: aggregated v2 only for exactly v2 (v2beta1 for v2beta1), legacy otherwise', async () => {
    const v2 = await s.request('GET', '/api', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.equal(v2.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const pods = v2.body.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
    assert.ok(pods.subresources.some((sr: any) => sr.subresource === 'exec'));
    const beta = await s.request('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' });
    assert.equal(beta.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.ok(beta.body.items.some((g: any) => g.metadata.name === 'coordination.k8s.io'));
    const legacy = await s.request('GET', '/api', undefined, { accept: 'application/json' });
    assert.equal(legacy.body.kind, 'APIVersions');
    const groups = await s.request('GET', '/apis');
    assert.equal(groups.body.kind, 'APIGroupList');
    const v1 = await s.request('GET', '/api/v1');
    assert.ok(v1.body.resources.some((r: any) => r.name === 'pods/exec'));
    const oa = await s.request('GET', '/openapi/v3');
    const doc = await s.request('GET', oa.body.paths['api/v1'].serverRelativeURL);
    const patch = doc.body.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
    assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation'));
  });

  test('NamespaceLifecycle refuses objects in missing and terminating namespaces', async () => {
    const missing = await s.request('POST', '/api/v1/namespaces/nowhere/configmaps', { metadata: { name: 'x' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'namespaces "nowhere" not found');
    await s.request('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await s.request('POST', '/api/v1/namespaces/doomed/pods', pod('p'));
    await s.request('POST', '/api/v1/namespaces/doomed/pods/p/binding', { metadata: { name: 'p' }, target: { name: 'node-1' } });
    const del = await s.request('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(del.body.status.phase, 'Terminating');
    const refused = await s.request('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'late' } });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /unable to create new content in namespace doomed because it is being terminated/);
    // The bound pod waits for its kubelet; once it confirms, the namespace goes.
    await until('the pod to be marked', () => Boolean((s.server.registry('pods').cache.get(s.server.registry('pods').key('doomed', 'p')) as any)?.metadata?.deletionTimestamp));
    await s.request('DELETE', '/api/v1/namespaces/doomed/pods/p', { gracePeriodSeconds: 0 });
    await until('the namespace to go', () => !s.server.registry('namespaces').cache.get(s.server.registry('namespaces').key('', 'doomed')), 10_000);
  });

  test('log requests are proxied to the pod\'s kubelet with the kubelet token; unknown containers are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-kubelet-'));
    const pki = await ensurePki(dir);
    const seen: { url: string; auth: string }[] = [];
    const kubelet = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization ?? '' });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('line 1\nline 2\n');
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
    try {
      const port = (kubelet.address() as AddressInfo).port;
      await s.request('POST', '/api/v1/nodes', { metadata: { name: 'node-logs' } });
      await s.request('PATCH', '/api/v1/nodes/node-logs/status', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } }, { 'content-type': 'application/merge-patch+json' });
      await s.request('POST', '/api/v1/namespaces/default/pods', { ...pod('logged'), spec: { containers: [{ name: 'web', image: 'busybox:1.35' }, { name: 'side', image: 'busybox:1.35' }] } });
      await s.request('POST', '/api/v1/namespaces/default/pods/logged/binding', { metadata: { name: 'logged' }, target: { name: 'node-logs' } });
      const logs = await s.request('GET', '/api/v1/namespaces/default/pods/logged/log?container=web&tailLines=2&follow=true');
      assert.equal(logs.status, 200, logs.text);
      assert.equal(logs.text, 'line 1\nline 2\n');
      assert.equal(seen[0]!.url, '/containerLogs/default/logged/web?tailLines=2&follow=true');
      assert.equal(seen[0]!.auth, `Bearer ${s.kubeletToken}`);
      const nope = await s.request('GET', '/api/v1/namespaces/default/pods/logged/log?container=nope');
      assert.equal(nope.status, 400);
      assert.equal(nope.body.message, 'container nope is not valid for pod logged');
      const none = await s.request('GET', '/api/v1/namespaces/default/pods/logged/log');
      assert.equal(none.status, 400);
      assert.equal(none.body.message, 'a container name must be specified for pod logged, choose one of: [web side]');
    } finally {
      kubelet.close();
      kubelet.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a watch from a resourceVersion older than the watch cache holds is an ERROR event with 410 Expired', async () => {
  const s = await startTestServer({ config: { watchCacheCapacity: 5 } });
  try {
    const first = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'old-0' } });
    const oldRv = first.body.metadata.resourceVersion;
    for (let i = 1; i <= 10; i++) await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `old-${i}` } });
    await until('the cache to see every write', () => s.server.registry('configmaps').cache.list().items.length >= 11 + 4);
    const w = openWatch(s, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${oldRv}`);
    await w.opened;
    await until('the watch to end', () => w.ended);
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0]!.type, 'ERROR');
    assert.equal(w.events[0]!.object.code, 410);
    assert.equal(w.events[0]!.object.reason, 'Expired');
    assert.match(w.events[0]!.object.message, /^too old resource version: \d+ \(\d+\)$/);
    // A recent resourceVersion is replayed from the ring.
    const recent = await s.request('GET', '/api/v1/namespaces/default/configmaps/old-9');
    const w2 = openWatch(s, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${recent.body.metadata.resourceVersion}&timeoutSeconds=1`);
    await w2.opened;
    await until('the second watch to end', () => w2.ended);
    assert.deepEqual(w2.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED old-10']);
  } finally {
    await s.stop();
  }
});

test('exec upgrades are proxied to the kubelet: the subprotocol and binary frames pass both ways', async () => {
  const { WebSocketServer, WebSocket } = await import('ws');
  const s = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), 'fake-kubelet-'));
  const pki = await ensurePki(dir);
  const kubelet = https.createServer({ cert: pki.certPem, key: pki.keyPem });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  const upgrades: { url: string; auth: string; protocols: string }[] = [];
  kubelet.on('upgrade', (req, socket, head) => {
    upgrades.push({ url: req.url ?? '', auth: req.headers.authorization ?? '', protocols: String(req.headers['sec-websocket-protocol']) });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data: Buffer) => {
        // Echo stdin (channel 0) on stdout (channel 1), then report success on channel 3 and close.
        if (data[0] === 0) {
          ws.send(Buffer.concat([Buffer.from([1]), data.subarray(1)]));
          ws.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"metadata":{},"status":"Success"}')]));
          ws.close(1000);
        }
      });
    });
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
  try {
    const port = (kubelet.address() as AddressInfo).port;
    await s.request('POST', '/api/v1/nodes', { metadata: { name: 'node-exec' } });
    await s.request('PATCH', '/api/v1/nodes/node-exec/status', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } }, { 'content-type': 'application/merge-patch+json' });
    await s.request('POST', '/api/v1/namespaces/default/pods', pod('execme'));
    await s.request('POST', '/api/v1/namespaces/default/pods/execme/binding', { metadata: { name: 'execme' }, target: { name: 'node-exec' } });
    const ws = new WebSocket(`wss://127.0.0.1:${s.port}/api/v1/namespaces/default/pods/execme/exec?command=cat&container=c&stdin=true&stdout=true`, ['v5.channel.k8s.io'], {
      ca: s.caPem, headers: { authorization: `Bearer ${s.token}` },
    });
    const frames: Buffer[] = [];
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (d: Buffer) => frames.push(d));
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello\n')]));
    assert.equal(await closed, 1000);
    assert.deepEqual(frames.map((f) => `${f[0]}:${f.subarray(1).toString()}`), ['1:hello\n', '3:{"metadata":{},"status":"Success"}']);
    assert.equal(upgrades[0]!.url, '/exec/default/execme/c?command=cat&stdin=true&stdout=true');
    assert.equal(upgrades[0]!.auth, `Bearer ${s.kubeletToken}`);
    // An unknown container is refused by the API server itself (kubectl then prints the message).
    const bad = new WebSocket(`wss://127.0.0.1:${s.port}/api/v1/namespaces/default/pods/execme/exec?command=sh&container=nope&stdout=true`, ['v5.channel.k8s.io'], {
      ca: s.caPem, headers: { authorization: `Bearer ${s.token}` },
    });
    const status = await new Promise<number>((resolve) => {
      bad.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      bad.on('error', () => resolve(-1));
    });
    assert.equal(status, 400);
    assert.equal(upgrades.length, 1, 'the refused request never reached the kubelet');

    // A browser cannot set headers on a WebSocket: its token comes as a subprotocol, which the API server
    // takes out before the kubelet sees the request (and so never answers with it).
    const asProtocol = (token: string) => `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`;
    const browser = new WebSocket(`wss://127.0.0.1:${s.port}/api/v1/namespaces/default/pods/execme/exec?command=cat&container=c&stdin=true&stdout=true`, ['v5.channel.k8s.io', asProtocol(s.token)], { ca: s.caPem });
    const browserFrames: Buffer[] = [];
    browser.on('message', (d: Buffer) => browserFrames.push(d));
    const browserClosed = new Promise<number>((resolve) => browser.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      browser.on('open', () => resolve());
      browser.on('error', reject);
    });
    assert.equal(browser.protocol, 'v5.channel.k8s.io');
    browser.send(Buffer.concat([Buffer.from([0]), Buffer.from('hi\n')]));
    assert.equal(await browserClosed, 1000);
    assert.equal(browserFrames[0]?.subarray(1).toString(), 'hi\n');
    assert.equal(upgrades[1]!.protocols, 'v5.channel.k8s.io');
    const refused = new WebSocket(`wss://127.0.0.1:${s.port}/api/v1/namespaces/default/pods/execme/exec?command=cat&container=c&stdout=true`, ['v5.channel.k8s.io', asProtocol('wrong')], { ca: s.caPem });
    const refusedStatus = await new Promise<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('error', () => resolve(-1));
    });
    assert.equal(refusedStatus, 401);
    assert.equal(upgrades.length, 2);
  } finally {
    wss.close();
    kubelet.close();
    kubelet.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
    await s.stop();
  }
});

test('fieldValidation=Strict also refuses duplicate fields in the JSON body', async () => {
  const s = await startTestServer();
  try {
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup"},"data":{}}';
    const r = await s.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', body);
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name"');
  } finally {
    await s.stop();
  }
});

test('TokenRequest issues bound service account tokens that authenticate until the account goes', async () => {
  const s = await startTestServer();
  try {
    await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    await s.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'holder' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox:1.35' }] } });
    const pod = (await s.request('GET', '/api/v1/namespaces/default/pods/holder')).body;
    const r = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
      spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'holder', uid: pod.metadata.uid } },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.kind, 'TokenRequest');
    assert.deepEqual(r.body.spec.audiences, ['https://kubernetes.default.svc.cluster.local']);
    const token: string = r.body.status.token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.sub, 'system:serviceaccount:default:robot');
    assert.equal(claims['kubernetes.io'].pod.name, 'holder');
    assert.equal(claims.exp - claims.iat, 3607);
    const asRobot = await s.request('GET', '/api/v1/namespaces/default/pods', undefined, { authorization: `Bearer ${token}` });
    assert.equal(asRobot.status, 200);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods', undefined, { authorization: `Bearer ${forged}` })).status, 401);
    const short = await s.request('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { expirationSeconds: 60 } });
    assert.equal(short.status, 422);
    assert.match(short.body.message, /may not specify a duration less than 10 minutes/);
    await s.request('DELETE', '/api/v1/namespaces/default/serviceaccounts/robot');
    await until('the account to leave the cache', () => !s.server.registry('serviceaccounts').cache.get(s.server.registry('serviceaccounts').key('default', 'robot')));
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods', undefined, { authorization: `Bearer ${token}` })).status, 401);
  } finally {
    await s.stop();
  }
});

test('the scale subresource reads and writes a ReplicaSet\'s replicas', async () => {
  const s = await startTestServer();
  try {
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } } };
    assert.equal((await s.request('POST', '/apis/apps/v1/namespaces/default/replicasets', rs)).status, 201);
    const scale = await s.request('GET', '/apis/apps/v1/namespaces/default/replicasets/web/scale');
    assert.deepEqual({ kind: scale.body.kind, spec: scale.body.spec, selector: scale.body.status.selector }, { kind: 'Scale', spec: { replicas: 1 }, selector: 'app=web' });
    const patched = await s.request('PATCH', '/apis/apps/v1/namespaces/default/replicasets/web/scale', { spec: { replicas: 3 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.spec.replicas, 3);
    const after = (await s.request('GET', '/apis/apps/v1/namespaces/default/replicasets/web')).body;
    assert.equal(after.spec.replicas, 3);
    assert.equal(after.metadata.generation, 2);
    const negative = await s.request('PUT', '/apis/apps/v1/namespaces/default/replicasets/web/scale', { ...patched.body, spec: { replicas: -1 } });
    assert.equal(negative.status, 422);
  } finally {
    await s.stop();
  }
});

test('events expire after the event TTL', async () => {
  const s = await startTestServer({ config: { eventTtlMs: 2000 } });
  try {
    const ev = (name: string, at: string) => ({
      metadata: { name }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' }, reason: 'Test', message: name, type: 'Normal',
      firstTimestamp: at, lastTimestamp: at, count: 1, source: { component: 'test' },
    });
    const old = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/events', ev('old', old))).status, 201);
    await new Promise((r) => setTimeout(r, 2500));
    const fresh = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/events', ev('fresh', fresh))).status, 201);
    await until('the old event to expire', () => !s.server.registry('events').cache.get(s.server.registry('events').key('default', 'old')), 5000);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/events/fresh')).status, 200);
  } finally {
    await s.stop();
  }
});

test('values of the wrong JSON type are a 400 with Go\'s decoder message, not a 500', async () => {
  const s = await startTestServer();
  try {
    const r = await s.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'x' }, spec: { containers: 'nope' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container');
    const m = await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: 'x' });
    assert.equal(m.status, 400);
    const put = await s.request('PUT', '/api/v1/namespaces/default/pods', {});
    assert.equal(put.status, 405);
  } finally {
    await s.stop();
  }
});

test('delete with propagationPolicy Orphan keeps dependents (without the owner reference); Foreground deletes them first', async () => {
  const s = await startTestServer();
  try {
    const owner = (await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner' } })).body;
    const ref = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }];
    await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'dep', ownerReferences: ref } });
    await until('the cache to see the dependent', () => Boolean(s.server.registry('configmaps').cache.get(s.server.registry('configmaps').key('default', 'dep'))));
    const del = await s.request('DELETE', '/api/v1/namespaces/default/configmaps/owner', { propagationPolicy: 'Orphan' });
    assert.equal(del.status, 200, del.text);
    await until('the owner to go', () => !s.server.registry('configmaps').cache.get(s.server.registry('configmaps').key('default', 'owner')));
    const dep = (await s.request('GET', '/api/v1/namespaces/default/configmaps/dep')).body;
    assert.equal(dep.metadata.ownerReferences, undefined);

    const owner2 = (await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner2' } })).body;
    await s.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'dep2', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner2.metadata.uid }] } });
    await until('the cache to see dep2', () => Boolean(s.server.registry('configmaps').cache.get(s.server.registry('configmaps').key('default', 'dep2'))));
    await s.request('DELETE', '/api/v1/namespaces/default/configmaps/owner2?propagationPolicy=Foreground');
    await until('the owner to go', () => !s.server.registry('configmaps').cache.get(s.server.registry('configmaps').key('default', 'owner2')));
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/configmaps/dep2')).status, 404);
  } finally {
    await s.stop();
  }
});
