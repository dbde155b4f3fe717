import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobuf } from './decode.ts';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited protobuf field (wire type 2). */
function field(num: number, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([varint((num << 3) | 2), varint(b.length), b]);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = field(1, Buffer.concat([field(1, apiVersion), field(2, kind)]));
  return Buffer.concat([Buffer.from('k8s\0'), typeMeta, field(2, raw)]);
}

test('fields Go embeds inline decode into their parent, as the JSON has them', () => {
  // Pod{spec: {volumes: [{name: host-root, hostPath: {path: /}}, {name: cm, configMap: {name: settings}}]}}
  const hostRoot = Buffer.concat([field(1, 'host-root'), field(2, field(1, field(1, '/')))]);
  const cm = Buffer.concat([field(1, 'cm'), field(2, field(19, field(1, field(1, 'settings'))))]);
  const pod = field(2, Buffer.concat([field(1, hostRoot), field(1, cm)]));
  const decoded = decodeProtobuf(envelope('v1', 'Pod', pod));
  assert.deepEqual(decoded, {
    apiVersion: 'v1',
    kind: 'Pod',
    spec: {
      volumes: [
        { name: 'host-root', hostPath: { path: '/' } },
        { name: 'cm', configMap: { name: 'settings' } },
      ],
    },
  });
});
