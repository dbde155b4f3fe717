import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/index.ts';
import { deepFreeze } from '../machinery/index.ts';
import { compactManagedFields, stringifyCached } from './managed-fields-text.ts';
import { StringInterner } from './string-interner.ts';

const pod = (name: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: {
    name, namespace: 'default', labels: { app: 'web' },
    managedFields: [
      { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-12-07T20:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } } } },
      { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-12-07T20:00:01Z', fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {} } } },
    ],
  },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
} as KubeObject);

test('cached managed fields are kept as text and read back as the same plain value everywhere', () => {
  const original = pod('a');
  const cached = pod('a');
  const texts: string[] = [];
  compactManagedFields(cached, (t) => (texts.push(t), t));
  assert.equal(texts.length, 2);
  const entry = cached.metadata!.managedFields![0]!;
  assert.ok(Object.getOwnPropertyDescriptor(entry, 'fieldsV1')?.get, 'an accessor, not a tree of objects');
  assert.ok(Object.isFrozen(entry));
  assert.deepEqual(entry.fieldsV1, original.metadata!.managedFields![0]!.fieldsV1);
  assert.equal(JSON.stringify(cached), JSON.stringify(original));
  assert.ok(isDeepStrictEqual(cached, original));
  const copy = structuredClone(cached);
  assert.deepEqual(copy, original);
  assert.equal(Object.getOwnPropertyDescriptor(copy.metadata!.managedFields![0]!, 'fieldsV1')?.get, undefined, 'a copy is plain and writable');
  assert.deepEqual({ ...entry }, original.metadata!.managedFields![0]);
  // Freezing the cached object (in-process readers) leaves it readable.
  deepFreeze(cached);
  assert.deepEqual(cached.metadata!.managedFields![1]!.fieldsV1, { 'f:status': { 'f:phase': {} } });
});

test('pods of one template share their managed fields texts; compacting twice is harmless', () => {
  const interner = new StringInterner(10, Infinity);
  const seen = new Set<string>();
  const a = pod('a');
  const b = pod('b');
  let calls = 0;
  const intern = (t: string) => (calls++, seen.add(t), interner.string(t));
  compactManagedFields(a, intern);
  compactManagedFields(b, intern);
  assert.equal(seen.size, 2, "the two pods' four entries are two texts");
  compactManagedFields(a, intern);
  assert.equal(calls, 4, 'an entry already compacted (frozen) is left alone');
  const none = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } as KubeObject;
  compactManagedFields(none, intern);
  assert.deepEqual(none, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
});

test("an entry's own strings go through internValue before it is frozen (a later walk skips frozen entries)", () => {
  const values: string[] = [];
  const a = pod('a');
  compactManagedFields(a, (t) => t, (v) => (values.push(v), v));
  assert.deepEqual(values, ['kube-controller-manager', 'Update', 'v1', '2026-12-07T20:00:00Z', 'FieldsV1', 'kubelet', 'Update', 'v1', '2026-12-07T20:00:01Z', 'FieldsV1', 'status']);
  const shared = new StringInterner();
  const b = pod('b');
  compactManagedFields(b, (t) => t, (v) => shared.string(v));
  assert.equal(shared.size, 8, 'the distinct values of both entries');
  assert.deepEqual({ ...b.metadata!.managedFields![1]! }, pod('b').metadata!.managedFields![1]);
});

test('stringifyCached puts the texts in without parsing them, and gives what JSON.stringify gives', () => {
  const originals = [pod('a'), pod('b')];
  const cached = [pod('a'), pod('b')];
  for (const c of cached) compactManagedFields(c, (t) => t);
  deepFreeze(cached);
  // A list page's rows, as the Table body makes them: the metadata (with its entries) inside another object.
  const rows = cached.map((o) => ({ cells: [o.metadata!.name], object: { kind: 'PartialObjectMetadata', metadata: o.metadata } }));
  const plainRows = originals.map((o) => ({ cells: [o.metadata!.name], object: { kind: 'PartialObjectMetadata', metadata: o.metadata } }));
  const parse = JSON.parse;
  let parsed = 0;
  JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => (parsed++, parse(text, reviver))) as typeof JSON.parse;
  let out: string;
  let whole: string;
  try {
    out = stringifyCached(rows);
    whole = stringifyCached(cached[0]);
  } finally {
    JSON.parse = parse;
  }
  assert.equal(parsed, 0, 'no entry text was parsed');
  assert.equal(out, JSON.stringify(plainRows));
  assert.equal(whole, JSON.stringify(originals[0]));
  // Outside it, an entry serialises as any object: the getter, no placeholder.
  assert.equal(JSON.stringify(cached[1]), JSON.stringify(originals[1]));
  assert.ok(!('toJSON' in { ...cached[0]!.metadata!.managedFields![0]! }), 'copies do not carry the hook');
  // A stored string shaped like a placeholder (without this process's token) is left alone.
  const odd = { ...originals[0]!, metadata: { ...originals[0]!.metadata, annotations: { a: 'fieldsV1-0' } } };
  assert.equal(stringifyCached(odd), JSON.stringify(odd));
});
