/** List bodies spliced from each object's JSON must say exactly what the objects themselves say. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printTable, toResourceInfo, type KubeObject } from '../api/index.ts';
import { objectListParts, partialListParts, tableParts } from './list-body.ts';

const PODS = toResourceInfo('pods');
const now = Date.parse('2026-01-01T00:10:00Z');

function pod(name: string, phase: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'ns "q"', resourceVersion: '12', creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'a}b' },
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } }],
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'n1' },
    status: { phase, podIP: '10.0.0.7', podIPs: [{ ip: '10.0.0.7' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:01Z' } } }] },
  } as KubeObject;
}

const objects = [pod('a', 'Running'), pod('b', 'Succeeded')];
// Objects' JSON as the registry keeps it (spliced into object lists and includeObject=Object rows).
const objectJson = (o: KubeObject) => (o.metadata?.name === 'a' ? Buffer.from(JSON.stringify(o)) : JSON.stringify(o));
const parse = (parts: Iterable<Buffer>) => JSON.parse(Buffer.concat([...parts]).toString()) as Record<string, unknown>;

test('a Table body is the printed Table, with PartialObjectMetadata of the Table\'s version and managedFields kept', () => {
  for (const version of ['v1', 'v1beta1']) {
    const body = parse(tableParts({ info: PODS, version, listMeta: { resourceVersion: '12', continue: 'abc' }, objects, now, includeObject: 'Metadata', objectJson }));
    const expected = printTable(PODS, objects, { now, includeObject: 'None' });
    assert.equal(body.kind, 'Table');
    assert.equal(body.apiVersion, `meta.k8s.io/${version}`);
    assert.deepEqual(body.metadata, { resourceVersion: '12', continue: 'abc' });
    assert.deepEqual(body.columnDefinitions, expected.columnDefinitions);
    const rows = body.rows as { cells: unknown[]; conditions?: unknown; object: unknown }[];
    assert.deepEqual(rows.map((r) => r.cells), expected.rows.map((r) => r.cells));
    assert.deepEqual(rows.map((r) => r.conditions), expected.rows.map((r) => r.conditions));
    assert.deepEqual(rows.map((r) => r.object), objects.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata })));
  }
});

test('includeObject=Object carries the whole object and None no object member', () => {
  const full = parse(tableParts({ info: PODS, version: 'v1', listMeta: {}, objects, now, includeObject: 'Object', objectJson }));
  assert.deepEqual((full.rows as { object: unknown }[]).map((r) => r.object), objects);
  const none = parse(tableParts({ info: PODS, version: 'v1', listMeta: {}, objects, now, includeObject: 'None', objectJson }));
  assert.ok((none.rows as object[]).every((r) => !('object' in r)));
  const empty = parse(tableParts({ info: PODS, version: 'v1', listMeta: { resourceVersion: '3' }, objects: [], now, includeObject: 'Metadata', objectJson }));
  assert.deepEqual(empty.rows, []);
});

test('a PartialObjectMetadataList carries each whole ObjectMeta; an object list splices each object\'s JSON', () => {
  const partial = parse(partialListParts('v1', { resourceVersion: '12' }, objects));
  assert.deepEqual(partial, {
    kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '12' },
    items: objects.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })),
  });
  const list = parse(objectListParts('PodList', 'v1', { resourceVersion: '12' }, objects.map(objectJson)));
  assert.deepEqual(list, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '12' }, items: objects });
  assert.deepEqual(parse(objectListParts('PodList', 'v1', {}, [])).items, []);
});

test('rows stringified in batches join into one valid Table, every row once and in order', () => {
  const many = Array.from({ length: 150 }, (_, i) => pod(`p-${i}`, 'Running'));
  for (const includeObject of ['Metadata', 'None', 'Object'] as const) {
    const body = parse(tableParts({ info: PODS, version: 'v1', listMeta: {}, objects: many, now, includeObject, objectJson }));
    assert.deepEqual((body.rows as { cells: string[] }[]).map((r) => r.cells[0]), many.map((o) => o.metadata!.name), includeObject);
  }
  const partial = parse(partialListParts('v1', {}, many));
  assert.equal((partial.items as unknown[]).length, 150);
});
