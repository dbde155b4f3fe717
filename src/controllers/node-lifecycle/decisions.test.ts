import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../api/index.ts';
import { observeHealth, MESSAGE_STATUS_UNKNOWN, REASON_STATUS_UNKNOWN, MESSAGE_NEVER_UPDATED, REASON_NEVER_UPDATED } from './health.ts';
import { desiredNoScheduleTaints, reconcileNoScheduleTaints, swapNoExecuteTaints } from './taints.ts';
import { computeZoneState, zoneEvictionRate, zoneKey } from './zones.ts';
import { RateLimitedQueue } from './rate-limited-queue.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function node(conditions: { type: string; status: string }[], extra: Partial<Node['spec']> = {}): Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'n1', creationTimestamp: iso(T0 - 60_000) },
    spec: { ...extra },
    status: { conditions: conditions.map((c) => ({ ...c, lastHeartbeatTime: iso(T0), lastTransitionTime: iso(T0 - 30_000) })) },
  };
}
const healthy = () => node([{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }, { type: 'DiskPressure', status: 'False' }, { type: 'PIDPressure', status: 'False' }, { type: 'NetworkUnavailable', status: 'False' }]);

test('health: a node silent past the grace period gets Ready, MemoryPressure, DiskPressure, PIDPressure Unknown', () => {
  const grace = { gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 };
  const n = healthy();
  const first = observeHealth({ node: n, leaseRenewTime: iso(T0), now: T0, ...grace });
  assert.equal(first.conditions, undefined);
  // The lease keeps moving: alive, however long the status itself stays put.
  let h = first.health;
  for (let t = 10_000; t <= 120_000; t += 10_000) {
    const r = observeHealth({ node: n, leaseRenewTime: iso(T0 + t), saved: h, now: T0 + t, ...grace });
    assert.equal(r.conditions, undefined, `lease renewed at +${t}`);
    h = r.health;
  }
  // Silence: still fine at exactly the grace period, Unknown after it.
  assert.equal(observeHealth({ node: n, leaseRenewTime: iso(T0 + 120_000), saved: h, now: T0 + 160_000, ...grace }).conditions, undefined);
  const r = observeHealth({ node: n, leaseRenewTime: iso(T0 + 120_000), saved: h, now: T0 + 161_000, ...grace });
  const byType = Object.fromEntries(r.conditions!.map((c) => [c.type, c]));
  for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    assert.equal(byType[type].status, 'Unknown', type);
    assert.equal(byType[type].reason, REASON_STATUS_UNKNOWN);
    assert.equal(byType[type].message, 'Kubelet stopped posting node status.');
    assert.equal(byType[type].lastTransitionTime, iso(T0 + 161_000));
    assert.equal(byType[type].lastHeartbeatTime, iso(T0), 'heartbeat kept');
  }
  assert.equal(MESSAGE_STATUS_UNKNOWN, 'Kubelet stopped posting node status.');
  assert.equal(byType.NetworkUnavailable.status, 'False', 'other conditions are left alone');
  // Our own write is not a sign of life: the next pass changes nothing and does not restart the grace.
  const written: Node = { ...n, status: { conditions: r.conditions } };
  const again = observeHealth({ node: written, leaseRenewTime: iso(T0 + 120_000), saved: r.health, now: T0 + 170_000, ...grace });
  assert.equal(again.conditions, undefined);
  assert.equal(again.health.probeTime, r.health.probeTime);
});

test('health: a node that never posted a Ready condition gets NodeStatusNeverUpdated after the startup grace', () => {
  const n: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', creationTimestamp: iso(T0) }, status: {} };
  const first = observeHealth({ node: n, now: T0, gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 });
  assert.equal(observeHealth({ node: n, saved: first.health, now: T0 + 50_000, gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 }).conditions, undefined);
  const r = observeHealth({ node: n, saved: first.health, now: T0 + 61_000, gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 });
  assert.deepEqual(r.conditions!.map((c) => [c.type, c.status, c.reason, c.message, c.lastHeartbeatTime]), ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].map((t) => [t, 'Unknown', REASON_NEVER_UPDATED, MESSAGE_NEVER_UPDATED, iso(T0)]));
});

test('taints: NoSchedule taints follow conditions and unschedulable; others are kept', () => {
  const cases: { name: string; node: Node; want: string[] }[] = [
    { name: 'healthy', node: healthy(), want: [] },
    { name: 'not ready', node: node([{ type: 'Ready', status: 'False' }]), want: ['node.kubernetes.io/not-ready'] },
    { name: 'unknown', node: node([{ type: 'Ready', status: 'Unknown' }]), want: ['node.kubernetes.io/unreachable'] },
    { name: 'pressure', node: node([{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'True' }, { type: 'PIDPressure', status: 'True' }, { type: 'NetworkUnavailable', status: 'True' }]), want: ['node.kubernetes.io/memory-pressure', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/network-unavailable'] },
    { name: 'cordoned', node: node([{ type: 'Ready', status: 'True' }], { unschedulable: true }), want: ['node.kubernetes.io/unschedulable'] },
  ];
  for (const c of cases) assert.deepEqual(desiredNoScheduleTaints(c.node).map((t) => t.key).sort(), c.want.sort(), c.name);

  const n = node([{ type: 'Ready', status: 'True' }], {
    taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }],
  });
  assert.deepEqual(reconcileNoScheduleTaints(n), [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
  assert.equal(reconcileNoScheduleTaints(healthy()), undefined, 'nothing to change');

  const swapped = swapNoExecuteTaints(n, 'node.kubernetes.io/not-ready', ['node.kubernetes.io/unreachable'], iso(T0));
  assert.deepEqual(swapped!.filter((t) => t.effect === 'NoExecute'), [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: iso(T0) }]);
  assert.equal(swapNoExecuteTaints(healthy(), undefined, ['node.kubernetes.io/unreachable'], ''), undefined);
});

test('zones: states from Ready counts, rates from states and size', () => {
  const s = (ready: number, notReady: number) => computeZoneState([...Array(ready).fill('True'), ...Array(notReady).fill('Unknown')], 0.55);
  assert.equal(s(5, 0), 'Normal');
  assert.equal(s(0, 1), 'FullDisruption');
  assert.equal(s(0, 5), 'FullDisruption');
  assert.equal(s(1, 4), 'PartialDisruption', '4 of 5 down');
  assert.equal(s(1, 2), 'Normal', 'two or fewer down never disrupts');
  assert.equal(s(3, 3), 'Normal', '50% is under the 0.55 threshold');
  const rates = { nodeEvictionRate: 0.1, secondaryNodeEvictionRate: 0.01, largeClusterSizeThreshold: 50 };
  assert.equal(zoneEvictionRate('Normal', 5, rates), 0.1);
  assert.equal(zoneEvictionRate('FullDisruption', 5, rates), 0.1);
  assert.equal(zoneEvictionRate('PartialDisruption', 5, rates), 0, 'small zones stop');
  assert.equal(zoneEvictionRate('PartialDisruption', 51, rates), 0.01, 'large zones slow to the secondary rate');
  assert.equal(zoneKey({ apiVersion: 'v1', kind: 'Node', metadata: { labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'a' } } }), 'r:\x00:a');
  assert.equal(zoneKey({ apiVersion: 'v1', kind: 'Node', metadata: {} }), '');
});

test('rate-limited queue: burst 1, then one node per 1/rate seconds; rate 0 hands out nothing', async () => {
  const q = new RateLimitedQueue(0.1, T0);
  for (const n of ['a', 'b', 'c']) q.add(n);
  q.add('a');
  assert.equal(q.length, 3);
  const out: string[] = [];
  const take = async (n: string) => (out.push(n), true);
  await q.drain(T0, take);
  assert.deepEqual(out, ['a']);
  await q.drain(T0 + 9_000, take);
  assert.deepEqual(out, ['a']);
  await q.drain(T0 + 10_000, take);
  assert.deepEqual(out, ['a', 'b']);
  q.limiter.setRate(0, T0 + 10_000);
  await q.drain(T0 + 1_000_000, take);
  assert.deepEqual(out, ['a', 'b']);
  // A failed write keeps the node queued.
  q.limiter.setRate(1, T0 + 1_000_000);
  await q.drain(T0 + 1_000_000, async () => false);
  assert.ok(q.has('c'));
});
