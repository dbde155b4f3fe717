/** Large bodies: gzip exactly when upstream would, the same bytes either way, and no hang when the client leaves. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip, GZIP_THRESHOLD_BYTES, sendParts } from './response-writer.ts';

/** Parts of `size` bytes in all, as a list body comes: many small pieces. */
function partsOf(size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let n = 0; n < size;) {
    const piece = Buffer.from(`{"i":${n},"pad":"${'x'.repeat(Math.min(200, size - n))}"}`.slice(0, size - n));
    parts.push(piece);
    n += piece.length;
  }
  return parts;
}

async function withServer(parts: Buffer[], run: (port: number, done: Promise<void>) => Promise<void>): Promise<void> {
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const server = http.createServer((_req, res) => {
    void sendParts(res, 200, parts).then(finished);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    await run((server.address() as AddressInfo).port, done);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function get(port: number, acceptEncoding?: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

test('Accept-Encoding is read as upstream reads it: a comma-separated token that is exactly gzip', () => {
  assert.equal(acceptsGzip('gzip'), true);
  assert.equal(acceptsGzip('deflate, gzip'), true);
  assert.equal(acceptsGzip(' gzip ,br'), true);
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip(''), false);
  assert.equal(acceptsGzip('deflate'), false);
  assert.equal(acceptsGzip('gzip;q=1.0'), false);
  assert.equal(acceptsGzip('x-gzip'), false);
});

test('a body over 128 KiB is gzipped for a client that accepts gzip, and decompresses to the same bytes', async () => {
  const parts = partsOf(GZIP_THRESHOLD_BYTES * 4 + 17);
  await withServer(parts, async (port, done) => {
    const r = await get(port, 'gzip');
    await done;
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers['vary'], 'Accept-Encoding');
    assert.equal(r.headers['content-length'], undefined);
    assert.ok(r.body.length < GZIP_THRESHOLD_BYTES, `compressed to ${r.body.length} bytes`);
    assert.ok(gunzipSync(r.body).equals(Buffer.concat(parts)));
  });
});

test('the same body goes as it is (chunked: its length is not known up front) to a client that does not accept gzip', async () => {
  const parts = partsOf(GZIP_THRESHOLD_BYTES * 4 + 17);
  for (const acceptEncoding of [undefined, 'deflate', 'gzip;q=1']) {
    await withServer(parts, async (port) => {
      const r = await get(port, acceptEncoding);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.ok(r.body.equals(Buffer.concat(parts)));
    });
  }
});

test('parts are made as the client takes them, not all before the first byte goes', async () => {
  let made = 0;
  const total = 2048;
  function* lazily() {
    for (let i = 0; i < total; i++) {
      made++;
      yield Buffer.alloc(16 * 1024, 0x61);
    }
  }
  let madeAtFirstByte = -1;
  await new Promise<void>((resolve, reject) => {
    const server = http.createServer((_req, res) => void sendParts(res, 200, lazily()));
    server.listen(0, '127.0.0.1', () => {
      http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }, (res) => {
        let n = 0;
        res.once('data', () => (madeAtFirstByte = made));
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => {
          server.close();
          assert.equal(n, total * 16 * 1024);
          resolve();
        });
      }).on('error', reject);
    });
  });
  assert.ok(madeAtFirstByte < total / 2, `${madeAtFirstByte} of ${total} parts made when the first byte arrived`);
});

test('a body that ends within 128 KiB goes with its Content-Length', async () => {
  const parts = partsOf(100 * 1024);
  await withServer(parts, async (port) => {
    const r = await get(port, 'gzip');
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['content-length'], String(100 * 1024));
  });
});

test('a body of exactly 128 KiB is not compressed (upstream compresses only larger ones)', async () => {
  const parts = partsOf(GZIP_THRESHOLD_BYTES);
  await withServer(parts, async (port) => {
    const r = await get(port, 'gzip');
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.body.length, GZIP_THRESHOLD_BYTES);
  });
});

test('a client that goes away mid-body does not leave the writer waiting', async () => {
  const parts = partsOf(64 * 1024 * 1024);
  for (const acceptEncoding of [undefined, 'gzip']) {
    await withServer(parts, async (port, done) => {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => {});
        req.on('close', resolve);
        setTimeout(() => reject(new Error('no first byte')), 30_000).unref();
      });
      await done;
    });
  }
});

test('a part that fails to be made after the headers went rejects the send (the caller cuts the response)', async () => {
  for (const acceptEncoding of [undefined, 'gzip']) {
    function* failing() {
      for (let i = 0; i < 20; i++) yield Buffer.alloc(16 * 1024, 0x61);
      throw new Error('printer failed');
    }
    let failure: unknown;
    const server = http.createServer((_req, res) => {
      sendParts(res, 200, failing()).catch((err: unknown) => {
        failure = err;
        res.destroy();
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const outcome = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve('ended'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      }).on('error', () => resolve('cut'));
    });
    server.close();
    assert.equal(outcome, 'cut', `${acceptEncoding ?? 'identity'}: the client sees the response cut, not a complete body`);
    assert.match(String(failure), /printer failed/);
  }
});
