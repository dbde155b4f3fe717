import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { FakeClock } from '../../machinery/index.ts';
import { missingNodes, terminatedToDelete, terminatingOnOutOfServiceNodes, unscheduledTerminating } from './decisions.ts';
import { PodGCController } from './podgc.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const pod = (name: string, o: { phase?: 'Running' | 'Succeeded' | 'Failed'; created?: string; node?: string; deleting?: boolean; reason?: string } = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'gc', uid: `uid-${name}`, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.deleting ? { deletionTimestamp: '2026-01-01T01:00:00Z' } : {}) },
  spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
  status: { phase: o.phase ?? 'Running', ...(o.reason ? { reason: o.reason } : {}) },
});
const node = (name: string, ready: string, taints: { key: string; effect: string }[] = []): Node => ({
  metadata: { name }, spec: { taints }, status: { conditions: [{ type: 'Ready', status: ready }] },
} as Node);
const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name);

test('pod GC choices: terminated over the threshold oldest first (evicted before), out-of-service terminating, orphans, unscheduled terminating', () => {
  const terminated = [
    pod('new', { phase: 'Succeeded', created: '2026-01-03T00:00:00Z' }),
    pod('old', { phase: 'Failed', created: '2026-01-01T00:00:00Z' }),
    pod('mid', { phase: 'Succeeded', created: '2026-01-02T00:00:00Z' }),
    pod('evicted', { phase: 'Failed', created: '2026-01-04T00:00:00Z', reason: 'Evicted' }),
    pod('running', { created: '2025-01-01T00:00:00Z' }),
  ];
  assert.deepEqual(names(terminatedToDelete(terminated, 2)), ['evicted', 'old']);
  assert.deepEqual(names(terminatedToDelete(terminated, 4)), []);
  assert.deepEqual(names(terminatedToDelete(terminated, 0)), [], '0 turns it off');

  const nodes = [node('oos', 'False', [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }]), node('down', 'Unknown'), node('oos-ready', 'True', [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }])];
  const pods = [pod('a', { node: 'oos', deleting: true }), pod('b', { node: 'oos' }), pod('c', { node: 'down', deleting: true }), pod('d', { node: 'oos-ready', deleting: true }), pod('e', { node: 'ghost' }), pod('f', { deleting: true }), pod('g')];
  assert.deepEqual(names(terminatingOnOutOfServiceNodes(pods, nodes)), ['a'], 'only terminating pods on a not-Ready out-of-service node');
  assert.deepEqual([...missingNodes(pods, nodes)], ['ghost']);
  assert.deepEqual(names(unscheduledTerminating(pods)), ['f']);
});

test('pod GC: an orphan goes after the 40 s quarantine, patched Failed with DisruptionTarget DeletionByPodGC, force-deleted', async () => {
  const clock = new FakeClock();
  server.put('nodes', node('alive', 'True'));
  server.put('pods', pod('orphan', { node: 'gone' }));
  server.put('pods', pod('kept', { node: 'alive' }));
  server.put('pods', pod('done1', { phase: 'Succeeded', created: '2026-01-01T00:00:00Z', node: 'alive' }));
  server.put('pods', pod('done2', { phase: 'Succeeded', created: '2026-01-02T00:00:00Z', node: 'alive' }));
  const exists = (name: string) => server.list('pods').some((p) => p.metadata.name === name);
  const gc = new PodGCController({ client, clock, terminatedPodThreshold: 1 });
  const ac = new AbortController();
  const running = gc.run(ac.signal);
  try {
    // Each pass ends in the loop's sleep: waiting for it makes the checks below see a finished pass.
    const passDone = () => until(() => clock.waiting === 1, 'gc pass finished');
    await passDone();
    assert.ok(!exists('done1'), 'oldest terminated pod over the threshold deleted');
    assert.ok(exists('done2'));
    assert.ok(exists('orphan'), 'quarantined, not deleted at first sight');
    await clock.step(20_000);
    await passDone();
    assert.ok(exists('orphan'), 'still within 40 s');
    await clock.step(20_000);
    await passDone();
    await until(() => !exists('orphan'), 'orphan deleted after the quarantine');
    const writes = server.requests.filter((r) => r.path.endsWith('/pods/orphan/status') || (r.method === 'DELETE' && r.path.endsWith('/pods/orphan')));
    assert.deepEqual(writes.map((r) => r.method), ['PATCH', 'DELETE']);
    const status = (writes[0]!.body as { status: { phase: string; conditions: { type: string; reason: string; message: string }[] } }).status;
    assert.equal(status.phase, 'Failed');
    assert.deepEqual(status.conditions.map((c) => [c.type, c.reason, c.message]), [['DisruptionTarget', 'DeletionByPodGC', 'PodGC: node no longer exists']]);
    assert.equal((writes[1]!.body as { gracePeriodSeconds?: number }).gracePeriodSeconds, 0);
    assert.ok(exists('kept'));
  } finally {
    ac.abort();
    await running;
  }
});
