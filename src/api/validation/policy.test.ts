import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printTable } from '../printers/index.ts';
import { validateObject } from './index.ts';

const pdbs = 'poddisruptionbudgets';
const pdb = (spec: object) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b', namespace: 'd' }, spec });

test('PodDisruptionBudget validation: minAvailable xor maxUnavailable, int or percent up to 100 %, selector', () => {
  const fields = (spec: object) => validateObject(pdbs, pdb(spec)).map((e) => `${e.field}: ${e.message.replace(/^.*: /, '')}`);
  assert.deepEqual(fields({ minAvailable: 2, selector: { matchLabels: { app: 'web' } } }), []);
  assert.deepEqual(fields({ maxUnavailable: '50%' }), []);
  assert.deepEqual(fields({ minAvailable: 1, maxUnavailable: 1 }), ['spec: minAvailable and maxUnavailable cannot be both set']);
  assert.deepEqual(fields({ minAvailable: -1 }), ['spec.minAvailable: must be greater than or equal to 0']);
  assert.deepEqual(fields({ maxUnavailable: '120%' }), ['spec.maxUnavailable: must not be greater than 100%']);
  assert.equal(fields({ minAvailable: 1, selector: { matchLabels: { 'bad key!': 'x' } } }).length, 1);
  assert.deepEqual(fields({ unhealthyPodEvictionPolicy: 'Sometimes' }), ['spec.unhealthyPodEvictionPolicy: "AlwaysAllow", "IfHealthyBudget"']);
});

test('get pdb columns: NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE', () => {
  const now = Date.parse('2026-01-03T03:00:00Z');
  const obj = { ...pdb({ minAvailable: 2 }), metadata: { name: 'b', namespace: 'd', creationTimestamp: '2026-01-01T00:00:00Z' }, status: { disruptionsAllowed: 1 } };
  const table = printTable(pdbs, [obj], { now });
  assert.deepEqual(table.columnDefinitions.map((c) => c.name), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
  assert.deepEqual(table.rows[0]!.cells, ['b', '2', 'N/A', 1, '2d3h']);
});
