import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet } from './field-set.ts';
import { fieldTypeOfKind } from './field-type.ts';
import { ANCIENT_CHANGES, ApplyConflictError, apply, capUpdateManagers, managerId, update, type ChangeContext, type Managers } from './managers.ts';
import { conflictReport, decodeManagedFields, encodeManagedFields } from './managed-fields-entries.ts';

const ctx = (now = '2026-01-01T00:00:00Z'): ChangeContext => ({ type: fieldTypeOfKind('ConfigMap'), ignored: (s) => s.removePrefixes([['f:apiVersion'], ['f:kind'], ['f:metadata', 'f:name']]), now });
const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
const applier = (manager: string) => ({ manager, operation: 'Apply' as const, apiVersion: 'v1' });
const updater = (manager: string) => ({ manager, operation: 'Update' as const, apiVersion: 'v1' });
const fields = (m: Managers, manager: string) => [...m.values()].find((e) => e.manager === manager)?.set.toFieldsV1();

test('an apply owns exactly its configuration; a repeat changes nothing', () => {
  const m: Managers = new Map();
  const first = apply({}, cm({ a: '1' }), m, applier('alice'), false, ctx());
  assert.deepEqual(first.object, cm({ a: '1' }));
  assert.deepEqual(fields(m, 'alice'), { 'f:data': { 'f:a': {} } });
  const again = apply(first.object, cm({ a: '1' }), m, applier('alice'), false, ctx('2026-01-02T00:00:00Z'));
  assert.deepEqual(again.object, first.object);
  assert.equal(m.get(managerId(applier('alice')))!.time, '2026-01-01T00:00:00Z', 'a no-op apply keeps its time');
});

test('another manager changing an owned field conflicts; the same value is shared; force takes the field', () => {
  const m: Managers = new Map();
  const live = apply({}, cm({ a: '1', b: '2' }), m, applier('alice'), false, ctx()).object;
  assert.throws(() => apply(live, cm({ a: 'x' }), m, applier('bob'), false, ctx()), (err: unknown) => {
    assert.ok(err instanceof ApplyConflictError);
    assert.equal(conflictReport(err.conflicts).message, 'Apply failed with 1 conflict: conflict with "alice": .data.a');
    return true;
  });
  const m2: Managers = new Map();
  const live2 = apply({}, cm({ a: '1', b: '2' }), m2, applier('alice'), false, ctx()).object;
  apply(live2, cm({ a: '1' }), m2, applier('bob'), false, ctx());
  assert.ok(fields(m2, 'alice')!['f:data'] && fields(m2, 'bob')!['f:data'], 'both own data.a');
  const forced = apply(live2, cm({ a: 'x' }), m2, applier('bob'), true, ctx());
  assert.deepEqual((forced.object as ReturnType<typeof cm>).data, { a: 'x', b: '2' });
  assert.deepEqual(fields(m2, 'alice'), { 'f:data': { 'f:b': {} } });
});

test('a field the applier drops goes unless another manager owns it', () => {
  const m: Managers = new Map();
  let live = apply({}, cm({ a: '1', b: '2', c: '3' }), m, applier('alice'), false, ctx()).object;
  live = update(live, cm({ a: '1', b: '2', c: '4' }), m, updater('editor'), ctx()) && cm({ a: '1', b: '2', c: '4' });
  live = apply(live, cm({ a: '1' }), m, applier('alice'), false, ctx()).object;
  assert.deepEqual((live as ReturnType<typeof cm>).data, { a: '1', c: '4' }, 'b pruned; c now the editor\'s');
});

test('an update takes what it changed from others and keeps one entry per manager', () => {
  const m: Managers = new Map();
  const live = apply({}, cm({ a: '1' }), m, applier('alice'), false, ctx()).object;
  update(live, cm({ a: '2', b: '1' }), m, updater('kubectl-edit'), ctx('2026-01-03T00:00:00Z'));
  assert.equal(fields(m, 'alice'), undefined, 'alice lost its only field: no entry left');
  assert.deepEqual(fields(m, 'kubectl-edit'), { 'f:data': { 'f:a': {}, 'f:b': {} } });
  update(cm({ a: '2', b: '1' }), cm({ a: '2', b: '2' }), m, updater('kubectl-edit'), ctx('2026-01-04T00:00:00Z'));
  assert.equal([...m.values()].filter((e) => e.manager === 'kubectl-edit').length, 1);
  assert.equal(m.get(managerId(updater('kubectl-edit')))!.time, '2026-01-04T00:00:00Z');
});

test('past ten update managers the oldest collapse into ancient-changes', () => {
  const m: Managers = new Map();
  for (let i = 0; i < 12; i++) {
    const e = { ...updater(`u${i}`), time: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`, set: FieldSet.fromPaths([['f:data', `f:k${i}`]]) };
    m.set(managerId(e), e);
  }
  capUpdateManagers(m);
  assert.equal(m.size, 10);
  const ancient = [...m.values()].find((e) => e.manager === ANCIENT_CHANGES)!;
  assert.deepEqual(ancient.set.paths(), [['f:data', 'f:k0'], ['f:data', 'f:k1'], ['f:data', 'f:k2']]);
  assert.equal(ancient.time, '2026-01-01T00:00:02Z');
});

test('entries encode in upstream order (Apply first, then by time) and decode back', () => {
  const m: Managers = new Map();
  const live = apply({}, cm({ a: '1' }), m, applier('z-applier'), false, ctx('2026-01-02T00:00:00Z')).object;
  update(live, cm({ a: '1', b: '2' }), m, { ...updater('a-updater'), subresource: 'status' }, ctx('2026-01-01T00:00:00Z'));
  const entries = encodeManagedFields(m);
  assert.deepEqual(entries.map((e) => [e.manager, e.operation, e.subresource]), [['z-applier', 'Apply', undefined], ['a-updater', 'Update', 'status']]);
  assert.deepEqual(entries[1], { manager: 'a-updater', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:b': {} } }, subresource: 'status' });
  const back = decodeManagedFields(entries);
  assert.deepEqual(encodeManagedFields(back), entries);
  assert.throws(() => decodeManagedFields([{ manager: 'x', operation: 'Bogus' }]), /operation must be `Apply` or `Update`/);
  assert.throws(() => decodeManagedFields([{ manager: 'x', operation: 'Apply', apiVersion: 'v1' }]), /missing fieldsType/);
});

test('several conflicts are grouped by manager', () => {
  const m: Managers = new Map();
  let live = apply({}, cm({ a: '1' }), m, applier('alice'), false, ctx()).object;
  live = apply(live, cm({ b: '1' }), m, applier('bob'), false, ctx()).object;
  assert.throws(() => apply(live, cm({ a: '2', b: '2' }), m, applier('carol'), false, ctx()), (err: unknown) => {
    const r = conflictReport((err as ApplyConflictError).conflicts);
    assert.equal(r.message, 'Apply failed with 2 conflicts: conflicts with "alice":\n- .data.a\nconflicts with "bob":\n- .data.b');
    assert.deepEqual(r.causes.map((c) => [c.type, c.message, c.field]), [['FieldManagerConflict', 'conflict with "alice"', '.data.a'], ['FieldManagerConflict', 'conflict with "bob"', '.data.b']]);
    return true;
  });
});
