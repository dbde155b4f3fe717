import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from '../../api/index.ts';
import { formatRFC3339Nano, TriggerTimeTracker } from './trigger-time.ts';

const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:10Z' } };
const pod = (name: string, readySince?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', creationTimestamp: '2026-01-01T00:00:05Z' },
  status: readySince ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }] } : {},
});

test('trigger time: the earliest change not yet seen, then nothing until something changes again', () => {
  const t = new TriggerTimeTracker();
  assert.equal(t.compute(svc, [pod('a', '2026-01-01T00:00:20Z'), pod('b')]), '2026-01-01T00:00:05Z', 'b without a Ready condition counts from its creation');
  assert.equal(t.compute(svc, [pod('a', '2026-01-01T00:00:20Z'), pod('b')]), undefined, 'nothing new');
  assert.equal(t.compute(svc, [pod('a', '2026-01-01T00:01:00Z'), pod('b', '2026-01-01T00:00:50Z')]), '2026-01-01T00:00:50Z');
  t.deleteService('ns', 'web');
  assert.equal(t.compute(svc, []), '2026-01-01T00:00:10Z', 'a Service seen afresh counts from its creation');
});

test('RFC 3339 with Go RFC3339Nano trimming of fractional zeros', () => {
  assert.equal(formatRFC3339Nano(Date.parse('2026-01-01T00:00:00Z')), '2026-01-01T00:00:00Z');
  assert.equal(formatRFC3339Nano(Date.parse('2026-01-01T00:00:00.500Z')), '2026-01-01T00:00:00.5Z');
  assert.equal(formatRFC3339Nano(Date.parse('2026-01-01T00:00:00.123Z')), '2026-01-01T00:00:00.123Z');
});
