import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/index.ts';
import { parseQuantity } from '../../api/index.ts';
import { groupPods, podRequests, rawResourceReplicas, resourceReplicas, ReplicaCalculationError, type CalculatorConfig, type PodMetric } from './replica-calculator.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const CONFIG: CalculatorConfig = { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000 };
const milli = (q: string | number) => parseQuantity(q).milliValue();

/** A Running, Ready pod that started 10 minutes ago (past the CPU initialization period) with one container. */
function pod(name: string, opts: { request?: string; phase?: string; ready?: 'True' | 'False'; startedAgoMs?: number; readySinceAgoMs?: number; deleted?: boolean } = {}): Pod {
  const started = NOW - (opts.startedAgoMs ?? 600_000);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'ns', ...(opts.deleted ? { deletionTimestamp: new Date(NOW).toISOString() } : {}) },
    spec: { containers: [{ name: 'c', ...(opts.request !== undefined ? { resources: { requests: { cpu: opts.request } } } : {}) }] },
    status: {
      phase: (opts.phase ?? 'Running') as 'Running',
      startTime: new Date(started).toISOString(),
      conditions: [{ type: 'Ready', status: opts.ready ?? 'True', lastTransitionTime: new Date(NOW - (opts.readySinceAgoMs ?? 590_000)).toISOString() }],
    },
  };
}

function metrics(values: Record<string, number>, ageMs = 0): Map<string, PodMetric> {
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestampMs: NOW - ageMs, windowMs: 10_000 }]));
}

function utilization(current: number, target: number, pods: Pod[], m: Map<string, PodMetric>) {
  return resourceReplicas(current, target, pods, m, 'cpu', podRequests(pods, 'cpu', milli), CONFIG, NOW);
}

test('utilization: replicas = ceil(ready pods x usage / target), with utilization and raw average', () => {
  const pods = [pod('a', { request: '100m' }), pod('b', { request: '100m' })];
  // 180m of 200m requested = 90% against 50%: ratio 1.8 -> ceil(3.6) = 4.
  assert.deepEqual(utilization(2, 50, pods, metrics({ a: 100, b: 80 })), { replicas: 4, utilization: 90, rawAverage: 90 });
  // 40% against 50% on 2 pods: ceil(1.6) = 2, so no change; 10% -> 1.
  assert.equal(utilization(2, 50, pods, metrics({ a: 10, b: 10 })).replicas, 1);
});

test('utilization: within the tolerance the current count stays', () => {
  const pods = [pod('a', { request: '100m' }), pod('b', { request: '100m' })];
  // 54% against 50%: ratio 1.08 <= 1.1.
  assert.equal(utilization(2, 50, pods, metrics({ a: 54, b: 54 })).replicas, 2);
  // 56% is outside: ceil(1.12 x 2) = 3.
  assert.equal(utilization(2, 50, pods, metrics({ a: 56, b: 56 })).replicas, 3);
});

test('a container without a request is an error; so is no pod and no usable metric', () => {
  assert.throws(() => podRequests([pod('a')], 'cpu', milli), /missing request for cpu in container c of Pod a/);
  assert.throws(() => utilization(1, 50, [], metrics({})), (e: Error) => e instanceof ReplicaCalculationError && /no pods returned by selector/.test(e.message));
  assert.throws(() => utilization(1, 50, [pod('a', { request: '100m', phase: 'Pending' })], metrics({ a: 100 })), /did not receive metrics for targeted pods/);
});

test('missing pods: on a scale down they count as using their whole request, on a scale up as using nothing', () => {
  // a uses 10% (scale-down direction); b has no sample -> assumed 100%: (10 + 100) / 200 = 55% vs 50% -> 1.1, within tolerance -> stays 2.
  const pods = [pod('a', { request: '100m' }), pod('b', { request: '100m' })];
  assert.equal(utilization(2, 50, pods, metrics({ a: 10 })).replicas, 2);
  // a uses 300% (scale up); b missing counts 0: 150% vs 50% -> ratio 3 -> ceil(3 x 2) = 6.
  assert.equal(utilization(2, 50, pods, metrics({ a: 300 })).replicas, 6);
  // Without the missing pod the answer would have been ceil(6 x 1) = 6 too, but only over the pods with samples:
  assert.equal(utilization(1, 50, [pods[0]!], metrics({ a: 300 })).replicas, 6);
});

test('unready pods count as using nothing on a scale up, and never reverse the direction', () => {
  const pods = [pod('a', { request: '100m' }), pod('b', { request: '100m', ready: 'False', readySinceAgoMs: 1000, startedAgoMs: 20_000 })];
  // a at 100% vs 50%: ratio 2; with b at 0: 50% -> ratio 1.0 -> within tolerance: stay at 2.
  assert.equal(utilization(2, 50, pods, metrics({ a: 100, b: 500 })).replicas, 2);
  // a at 300%: ratio 6; with b at 0: 150% -> ratio 3 -> ceil(3 x 2) = 6 (b's own 500m is not trusted).
  assert.equal(utilization(2, 50, pods, metrics({ a: 300, b: 500 })).replicas, 6);
});

test('groupPods: deleted and failed pods are ignored; CPU samples of starting pods are doubted', () => {
  const m = metrics({ ready: 1, deleted: 1, failed: 1, pending: 1, young: 1, youngFresh: 1, neverReady: 1 }, 1000);
  const pods = [
    pod('ready'), pod('deleted', { deleted: true }), pod('failed', { phase: 'Failed' }), pod('pending', { phase: 'Pending' }), pod('missing'),
    // Within the initialization period, ready 5 s ago: the sample (1 s old, 10 s window) predates readiness + window.
    pod('young', { startedAgoMs: 60_000, readySinceAgoMs: 5000 }),
    // Within it but ready long enough for a full window since.
    pod('youngFresh', { startedAgoMs: 120_000, readySinceAgoMs: 60_000 }),
    // Past the period, unready, and its last transition came within the initial readiness delay: never ready.
    pod('neverReady', { ready: 'False', startedAgoMs: 600_000, readySinceAgoMs: 590_000 }),
  ];
  const g = groupPods(pods, m, 'cpu', CONFIG, NOW);
  assert.equal(g.readyCount, 2);
  assert.deepEqual([...g.ignored].sort(), ['deleted', 'failed']);
  assert.deepEqual([...g.unready].sort(), ['neverReady', 'pending', 'young']);
  assert.deepEqual([...g.missing], ['missing']);
  // For memory only phase and presence matter.
  assert.equal(groupPods(pods, m, 'memory', CONFIG, NOW).readyCount, 4);
});

test('average value targets: replicas = ceil(pods x average / target)', () => {
  const pods = [pod('a'), pod('b')];
  // 300 and 500 (milli-units) average 400 against 100: ratio 4 -> 8 replicas.
  assert.deepEqual(rawResourceReplicas(2, 100, pods, metrics({ a: 300, b: 500 }), 'memory', CONFIG, NOW), { replicas: 8, rawAverage: 400 });
  assert.equal(rawResourceReplicas(2, 400, pods, metrics({ a: 380, b: 400 }), 'memory', CONFIG, NOW).replicas, 2);
});
