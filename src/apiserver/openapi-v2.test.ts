import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startTestServer } from './testing.ts';

/** The length-delimited fields of a protobuf message, by field number (enough for gnostic's Document and Info). */
function fields(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let i = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++]!;
      n |= (b & 0x7f) << shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    assert.equal(tag & 7, 2, 'only length-delimited fields');
    const len = varint();
    out.set(tag >> 3, buf.subarray(i, i + len));
    i += len;
  }
  return out;
}

test('/openapi/v2: an empty Swagger 2.0 document, as protobuf for kubectl and JSON otherwise', async () => {
  const s = await startTestServer();
  try {
    const raw = await new Promise<{ type: string; body: Buffer }>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: s.port, path: '/openapi/v2?timeout=32s', agent: s.agent, headers: {
        authorization: `Bearer ${s.token}`, accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
      } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    assert.equal(raw.type, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const doc = fields(raw.body);
    assert.equal(doc.get(1)?.toString(), '2.0');
    const info = fields(doc.get(2)!);
    assert.equal(info.get(1)?.toString(), 'Kubernetes');
    assert.match(info.get(2)!.toString(), /^v1\.32\./);

    const json = await s.request('GET', '/openapi/v2', undefined, { accept: 'application/json' });
    assert.equal(json.status, 200);
    assert.deepEqual(json.body.paths, {});
    assert.equal(json.body.swagger, '2.0');
  } finally {
    await s.stop();
  }
});
