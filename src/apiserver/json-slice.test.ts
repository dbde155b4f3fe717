/** Cutting metadata out of an object's JSON: the slice must be exactly what JSON.stringify(metadata) gives. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metadataSlice, valueEnd } from './json-slice.ts';

const tricky = [
  'plain', 'a "quoted" word', 'ends with a backslash \\', '\\"', '\\\\"}', '{not: json}', '[{]}', 'tab\tnewline\n', 'ünïcödé ✓', '"}],"spec":{',
];

test('the metadata slice equals the stringified metadata, whatever the strings hold', () => {
  for (const [i, text] of tricky.entries()) {
    const metadata = {
      name: `p-${i}`, namespace: 'default', resourceVersion: '7', labels: { app: text, [text]: 'key' }, annotations: { note: text },
      managedFields: [{ manager: text, operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { [`f:${text}`]: {} } }, 'k:{"type":"Ready"}': { '.': {} } } }],
      finalizers: [text, '[', ']'],
    };
    const obj = { apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'c', image: text, args: ['}', '{', text] }] } };
    const json = Buffer.from(JSON.stringify(obj));
    const slice = metadataSlice(json);
    assert.ok(slice, `layout recognised for ${JSON.stringify(text)}`);
    assert.equal(slice.toString(), JSON.stringify(metadata));
  }
});

test('a group/version with a slash and an empty metadata are cut too', () => {
  const json = Buffer.from(JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, spec: {} }));
  assert.equal(metadataSlice(json)?.toString(), '{}');
});

test('another layout is refused rather than guessed', () => {
  for (const obj of [
    { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'a' } },
    { apiVersion: 'v1', kind: 'Pod', spec: {}, metadata: { name: 'a' } },
    { apiVersion: 'v1', metadata: { name: 'a' } },
  ]) {
    assert.equal(metadataSlice(Buffer.from(JSON.stringify(obj))), undefined, JSON.stringify(obj));
  }
  assert.equal(metadataSlice(Buffer.from('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"cut')), undefined);
});

test('valueEnd finds the end of nested objects and arrays', () => {
  const json = Buffer.from('x[1,{"a":"]"},[2]],{"b":"}"}');
  assert.equal(valueEnd(json, 1), json.indexOf(',{"b"'));
  assert.equal(valueEnd(json, json.indexOf('{"b"')), json.length);
});
