import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint, Toleration } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { FakeClock } from '../../machinery/index.ts';
import { evictionDecision, minTolerationMs, toleratesTaint } from './tolerations.ts';
import { TaintEvictionController } from './taint-eviction.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
const tol = (key: string | undefined, seconds?: number, extra: Partial<Toleration> = {}): Toleration => ({ ...(key ? { key } : {}), operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}), ...extra });

test('tolerations: matching as upstream ToleratesTaint, shortest time, decisions', () => {
  assert.equal(toleratesTaint(tol(undefined), unreachable), true, 'empty key with Exists tolerates all');
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Equal', value: '' }, unreachable), true, 'no effect matches every effect');
  assert.equal(toleratesTaint({ key: 'k', operator: 'Equal', value: 'a', effect: 'NoExecute' }, { key: 'k', value: 'b', effect: 'NoExecute' }), false);
  assert.equal(toleratesTaint(tol('node.kubernetes.io/unreachable', 1, { effect: 'NoSchedule' }), unreachable), false);
  assert.equal(minTolerationMs([tol('a', 300), tol('b', 30), tol('c')]), 30_000);
  assert.equal(minTolerationMs([tol('a')]), -1);
  assert.equal(minTolerationMs([tol('a', -5)]), 0);

  const now = 1_000_000;
  const cases: { name: string; taints: Taint[]; tolerations: Toleration[]; scheduled?: { createdAt: number; fireAt: number }; want: unknown }[] = [
    { name: 'no taints', taints: [], tolerations: [], want: { kind: 'cancel' } },
    { name: 'untolerated: now', taints: [unreachable], tolerations: [], want: { kind: 'evict', createdAt: now, fireAt: now } },
    { name: 'one of two untolerated: now', taints: [unreachable, notReady], tolerations: [tol('node.kubernetes.io/unreachable', 300)], want: { kind: 'evict', createdAt: now, fireAt: now } },
    { name: 'tolerated forever', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable')], want: { kind: 'cancel' } },
    { name: 'tolerated 300 s', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable', 300)], want: { kind: 'evict', createdAt: now, fireAt: now + 300_000 } },
    { name: 'already scheduled keeps its time', taints: [unreachable, notReady], tolerations: [tol(undefined, 300)], scheduled: { createdAt: now - 100_000, fireAt: now + 200_000 }, want: { kind: 'evict', createdAt: now - 100_000, fireAt: now + 200_000 } },
  ];
  for (const c of cases) assert.deepEqual(evictionDecision(c.taints, c.tolerations, c.scheduled, now), c.want, c.name);
});

test('the taint manager deletes untolerating pods at once, tolerating ones when their time runs out, and cancels when the taint goes', async () => {
  const clock = new FakeClock();
  server.put('nodes', { metadata: { name: 'te1' }, spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' }] } });
  server.put('nodes', { metadata: { name: 'te2' }, spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] } });
  const pod = (name: string, node: string, tolerations: Toleration[]) => server.put('pods', { metadata: { name, namespace: 'te', uid: `uid-${name}` }, spec: { nodeName: node, tolerations, containers: [] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } });
  pod('bare', 'te1', []);
  pod('patient', 'te1', [tol('node.kubernetes.io/unreachable', 300)]);
  pod('forever', 'te1', [tol('node.kubernetes.io/unreachable')]);
  pod('cancelled', 'te2', [tol('node.kubernetes.io/not-ready', 300)]);
  const exists = (name: string) => server.list('pods').some((p) => p.metadata.name === name);
  const c = new TaintEvictionController({ client, clock });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await until(() => !exists('bare'), 'bare pod deleted at once');
    // The DisruptionTarget condition was written before the delete.
    const writes = server.requests.filter((r) => r.path.endsWith('/pods/bare/status') || (r.method === 'DELETE' && r.path.endsWith('/pods/bare')));
    assert.deepEqual(writes.map((r) => r.method), ['PATCH', 'DELETE']);
    const cond = (writes[0]!.body as { status: { conditions: { type: string; status: string; reason: string; message: string }[] } }).status.conditions.find((x) => x.type === 'DisruptionTarget')!;
    assert.deepEqual([cond.status, cond.reason, cond.message], ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']);
    await until(() => server.list('events').some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod te/bare' && e.type === 'Normal'), 'eviction event');

    await until(() => c.scheduled('te/patient') && c.scheduled('te/cancelled'), 'evictions scheduled');
    await clock.step(100_000);
    server.put('nodes', { metadata: { name: 'te2' }, spec: { taints: [] } });
    await until(() => !c.scheduled('te/cancelled'), 'eviction cancelled');
    await until(() => server.list('events').some((e) => e.message === 'Cancelling deletion of Pod te/cancelled'), 'cancel event');
    await clock.step(199_000);
    assert.ok(exists('patient'), 'still within its 300 s');
    await clock.step(2000);
    await until(() => !exists('patient'), 'patient pod deleted after 300 s');
    await clock.step(1_000_000);
    assert.ok(exists('forever'), 'a toleration without tolerationSeconds lasts forever');
    assert.ok(exists('cancelled'));
  } finally {
    ac.abort();
    await running;
  }
});
