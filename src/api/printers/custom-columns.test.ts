import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customColumnCells, customColumnDefinitions, evaluateSimpleJsonPath, parseSimpleJsonPath } from './custom-columns.ts';

test('simple JSONPaths as CRD printer columns use them', () => {
  assert.deepEqual(parseSimpleJsonPath('.spec.replicas'), ['spec', 'replicas']);
  assert.deepEqual(parseSimpleJsonPath('{.status.conditions[0].type}'), ['status', 'conditions', 0, 'type']);
  assert.deepEqual(parseSimpleJsonPath(".metadata.labels['app.kubernetes.io/name']"), ['metadata', 'labels', 'app.kubernetes.io/name']);
  assert.equal(parseSimpleJsonPath('.spec[?(@.x)]'), undefined);
  const obj = { metadata: { labels: { 'a.b/c': 'x' } }, status: { conditions: [{ type: 'Ready' }] } };
  assert.equal(evaluateSimpleJsonPath(obj, '.status.conditions[0].type'), 'Ready');
  assert.equal(evaluateSimpleJsonPath(obj, ".metadata.labels['a.b/c']"), 'x');
  assert.equal(evaluateSimpleJsonPath(obj, '.status.missing.deeper'), undefined);
});

test('cells by column type: NAME first, ages for dates, nothing for a missing value', () => {
  const columns = [
    { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'boolean', jsonPath: '.status.ready' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', priority: 1 },
  ];
  assert.deepEqual(customColumnDefinitions(columns).map((c) => [c.name, c.type, c.priority]), [['Name', 'string', 0], ['Spec', 'string', 0], ['Replicas', 'integer', 0], ['Ready', 'boolean', 0], ['Age', 'date', 1]]);
  const now = Date.parse('2026-01-01T00:01:00Z');
  const obj = { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { cronSpec: '* * * * *', replicas: 2 } };
  assert.deepEqual(customColumnCells(columns, obj, now), ['n', '* * * * *', 2, null, '60s']);
});
