import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, comparePathElements, keyPE, pathString } from './field-set.ts';

test('FieldsV1 round trip: "." marks a member that also has children; upstream key order', () => {
  const s = FieldSet.fromPaths([
    ['f:metadata', 'f:labels'],
    ['f:metadata', 'f:labels', 'f:app'],
    ['f:spec', 'f:containers', 'k:{"name":"web"}'],
    ['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'],
    ['f:spec', 'f:replicas'],
  ]);
  const v1 = s.toFieldsV1();
  assert.deepEqual(v1, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } }, 'f:replicas': {} },
  });
  assert.deepEqual(Object.keys(v1['f:spec'] as object), ['f:containers', 'f:replicas']);
  assert.ok(FieldSet.fromFieldsV1(v1).equals(s));
});

test('fromFieldsV1 refuses what is not a field set', () => {
  assert.throws(() => FieldSet.fromFieldsV1({ 'x:bad': {} }), /unknown path element/);
  assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }), /must be an object/);
});

test('union, intersection and difference work on paths, members and children alike', () => {
  const a = FieldSet.fromPaths([['f:spec', 'f:a'], ['f:spec', 'f:b']]);
  const b = FieldSet.fromPaths([['f:spec', 'f:b'], ['f:spec', 'f:c'], ['f:spec']]);
  assert.deepEqual(a.union(b).paths(), [['f:spec'], ['f:spec', 'f:a'], ['f:spec', 'f:b'], ['f:spec', 'f:c']]);
  assert.deepEqual(a.intersection(b).paths(), [['f:spec', 'f:b']]);
  assert.deepEqual(b.difference(a).paths(), [['f:spec'], ['f:spec', 'f:c']]);
  assert.ok(a.difference(a).isEmpty());
  assert.deepEqual(b.clone().removePrefixes([['f:spec', 'f:c']]).paths(), [['f:spec'], ['f:spec', 'f:b']]);
});

test('path elements sort fields, then keys (by value, numbers numerically), then values', () => {
  const pes = ['v:"x"', keyPE({ containerPort: 443, protocol: 'TCP' }), 'f:z', keyPE({ protocol: 'TCP', containerPort: 80 }), 'f:a'];
  assert.deepEqual(pes.sort(comparePathElements), ['f:a', 'f:z', 'k:{"containerPort":80,"protocol":"TCP"}', 'k:{"containerPort":443,"protocol":"TCP"}', 'v:"x"']);
});

test('paths print as upstream prints them in conflicts', () => {
  assert.equal(pathString(['f:spec', 'f:replicas']), '.spec.replicas');
  assert.equal(pathString(['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image']), '.spec.containers[name="web"].image');
  assert.equal(pathString(['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}']), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"a"']), '.metadata.finalizers[="a"]');
});
