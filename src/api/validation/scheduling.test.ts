import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults.ts';
import { printTable } from '../printers/table.ts';
import type { PriorityClass } from '../types.ts';
import { validateObject, validateObjectUpdate } from './index.ts';

const R = 'priorityclasses.scheduling.k8s.io';
const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name, resourceVersion: '1' }, value, ...extra });

test('PriorityClass validation: system- prefix reserved, user values capped, policy checked', () => {
  assert.deepEqual(validateObject(R, pc('high', 1000)), []);
  assert.deepEqual(validateObject(R, pc('system-node-critical', 2000001000)), []);
  const sys = validateObject(R, pc('system-mine', 5));
  assert.deepEqual(sys.map((e) => [e.field, e.message]), [['metadata.name', "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"]]);
  assert.deepEqual(validateObject(R, pc('huge', 1_000_000_001)).map((e) => [e.field, e.message]), [['value', 'Forbidden: maximum allowed value of a user defined priority is 1000000000']]);
  assert.deepEqual(validateObject(R, pc('p', 1, { preemptionPolicy: 'Sometimes' as never })).map((e) => e.field), ['preemptionPolicy']);
});

test('PriorityClass defaults and immutable fields', () => {
  const a = applyDefaults(R, pc('high', 1000));
  assert.equal(a.preemptionPolicy, 'PreemptLowerPriority');
  assert.deepEqual(validateObjectUpdate(R, { ...a, value: 2 }, a).map((e) => [e.field, e.message]), [['value', 'Forbidden: may not be changed in an update.']]);
  assert.deepEqual(validateObjectUpdate(R, { ...a, preemptionPolicy: 'Never' }, a).map((e) => e.field), ['preemptionPolicy']);
  assert.deepEqual(validateObjectUpdate(R, { ...a, description: 'x' }, a), []);
});

test('kubectl get pc columns: NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY', () => {
  const t = printTable(R, [applyDefaults(R, pc('high', 1000, { globalDefault: true }))], { now: Date.now() });
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']);
  assert.deepEqual([t.rows[0]!.cells[0], t.rows[0]!.cells[1], t.rows[0]!.cells[2], t.rows[0]!.cells[4]], ['high', 1000, true, 'PreemptLowerPriority']);
});
