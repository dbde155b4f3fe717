import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet } from './field-set.ts';
import { DEDUCED, fieldTypeFromOpenAPI, fieldTypeOfKind } from './field-type.ts';
import { compare, merge, removeItems, toFieldSet } from './typed-value.ts';

const POD = fieldTypeOfKind('Pod', 'v1');
const pod = (containers: unknown[], extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers, ...extra } });

test('toFieldSet: leaves, items of keyed lists (port keys defaulted), map entries; struct fields only as parents', () => {
  const set = toFieldSet({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], command: ['sh'] }], nodeSelector: {} } }, POD);
  assert.deepEqual(set.toFieldsV1(), {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:command': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } },
      'f:nodeSelector': {},
    },
  });
});

test('toFieldSet: atomic structs (a label selector) and unlisted lists (tolerations) are owned whole', () => {
  const set = toFieldSet({ spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { tolerations: [{ key: 'k' }] } } } }, fieldTypeOfKind('Deployment', 'apps/v1'));
  assert.deepEqual(set.toFieldsV1(), { 'f:spec': { 'f:selector': {}, 'f:template': { 'f:spec': { 'f:tolerations': {} } } } });
});

test('compare: leaves added, modified, removed; items added whole', () => {
  const c = compare(pod([{ name: 'a', image: '1' }]), pod([{ name: 'a', image: '2' }, { name: 'b', image: '1' }], { hostname: 'h' }), POD);
  assert.deepEqual(c.modified.paths(), [['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image']]);
  assert.deepEqual(c.added.paths(), [
    ['f:spec', 'f:containers', 'k:{"name":"b"}'], ['f:spec', 'f:containers', 'k:{"name":"b"}', 'f:image'], ['f:spec', 'f:containers', 'k:{"name":"b"}', 'f:name'], ['f:spec', 'f:hostname'],
  ]);
  assert.ok(c.removed.isEmpty());
  assert.deepEqual(compare({ a: { b: 1 } }, {}, DEDUCED).removed.paths(), [['f:a'], ['f:a', 'f:b']]);
});

test('merge: keyed items merge by key in the applied order, other items keep their place; leaves from the applied side', () => {
  const live = pod([{ name: 'a', image: '1', tty: true }, { name: 'x', image: 'x' }, { name: 'b', image: '1' }]);
  const merged = merge(live, { spec: { containers: [{ name: 'b', image: '2' }, { name: 'a', image: '2' }] } }, POD) as ReturnType<typeof pod>;
  assert.deepEqual(merged.spec.containers, [{ name: 'x', image: 'x' }, { name: 'b', image: '2' }, { name: 'a', image: '2', tty: true }]);
  assert.deepEqual(merge({ spec: { tolerations: [{ key: 'a' }] } }, { spec: { tolerations: [{ key: 'b' }] } }, POD), { spec: { tolerations: [{ key: 'b' }] } }, 'atomic lists are replaced');
});

test('removeItems drops members whole and containers it empties', () => {
  const out = removeItems({ metadata: { labels: { a: '1' } }, data: { x: '1', y: '2' } }, FieldSet.fromPaths([['f:metadata', 'f:labels', 'f:a'], ['f:data', 'f:x']]), fieldTypeOfKind('ConfigMap'));
  assert.deepEqual(out, { data: { y: '2' } });
});

test('a CRD schema: list-type map keys, sets, atomic lists and maps; no schema: maps granular, lists atomic', () => {
  const type = fieldTypeFromOpenAPI({
    type: 'object',
    properties: {
      items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], items: { type: 'object', properties: { id: { type: 'string' }, v: { type: 'integer' } } } },
      tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      args: { type: 'array', items: { type: 'string' } },
      ref: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { name: { type: 'string' } } },
    },
  });
  assert.deepEqual(toFieldSet({ items: [{ id: 'a', v: 1 }], tags: ['t'], args: ['x'], ref: { name: 'n' } }, type).toFieldsV1(), {
    'f:args': {}, 'f:items': { 'k:{"id":"a"}': { '.': {}, 'f:id': {}, 'f:v': {} } }, 'f:ref': {}, 'f:tags': { 'v:"t"': {} },
  });
  assert.deepEqual(toFieldSet({ spec: { list: [1, 2], m: { k: 'v' } } }, DEDUCED).toFieldsV1(), { 'f:spec': { '.': {}, 'f:list': {}, 'f:m': { '.': {}, 'f:k': {} } } });
});

test('a Service\'s ports are keyed by port and protocol, env by name, volume mounts by path', () => {
  const svc = toFieldSet({ spec: { ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }] } }, fieldTypeOfKind('Service', 'v1'));
  assert.deepEqual(Object.keys((svc.toFieldsV1()['f:spec'] as Record<string, Record<string, unknown>>)['f:ports']!), ['k:{"port":53,"protocol":"TCP"}', 'k:{"port":53,"protocol":"UDP"}']);
  const c = toFieldSet({ spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }], volumeMounts: [{ name: 'v', mountPath: '/data' }] }] } }, POD).paths().map((p) => p.at(-1));
  assert.ok(c.includes('k:{"name":"A"}') && c.includes('k:{"mountPath":"/data"}'));
});
