import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Pod } from '../api/index.ts';
import { FakeClock } from '../machinery/index.ts';
import { Client } from './index.ts';
import { testCertificate } from './testing/fake-apiserver.ts';

/**
 * A TLS server that counts connections, holds `/slow` requests until released, and keeps `/watch` requests
 * open (a chunked body that never ends) until it stops.
 */
async function countingServer() {
  const { cert, key } = testCertificate();
  const held: (() => void)[] = [];
  let requests = 0;
  const server = https.createServer({ cert, key }, (req, res) => {
    requests++;
    const answer = () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ kind: 'Pod', metadata: { name: 'x' } }));
    if (req.url?.includes('watch=true')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('');
    } else if (req.url?.includes('slow')) held.push(answer);
    else answer();
  });
  let connections = 0;
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: cert,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    held,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('a burst of requests shares at most maxSockets connections and one TLS secure context', async (t) => {
  const srv = await countingServer();
  t.after(() => srv.stop());
  const real = tls.createSecureContext;
  let contexts = 0;
  tls.createSecureContext = ((...args: Parameters<typeof real>) => {
    contexts++;
    return real(...args);
  }) as typeof real;
  t.after(() => (tls.createSecureContext = real));

  const client = new Client({ server: srv.url, caData: srv.ca, maxSockets: 4, qps: 0 });
  t.after(() => client.close());
  const pods = client.resource<Pod>('pods', 'default');
  const burst = Array.from({ length: 40 }, () => pods.get('slow'));
  // Only maxSockets requests reach the server; the rest wait for a free socket.
  while (srv.held.length < 4) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(srv.held.length, 4);
  while (srv.requests < 40 || srv.held.length > 0) {
    srv.held.splice(0).forEach((answer) => answer());
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal((await Promise.all(burst)).length, 40);
  assert.equal(srv.connections, 4);
  assert.equal(contexts, 1, 'one secure context, made by the client, for every connection');
});

test('open watches do not use up the sockets of short requests', async (t) => {
  const srv = await countingServer();
  t.after(() => srv.stop());
  const client = new Client({ server: srv.url, caData: srv.ca, maxSockets: 2, qps: 0 });
  const stop = new AbortController();
  t.after(() => {
    stop.abort();
    client.close();
  });
  const pods = client.resource<Pod>('pods', 'default');
  const watches = Array.from({ length: 5 }, async () => {
    try {
      for await (const _ of pods.watch({}, stop.signal));
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    }
  });
  while (srv.requests < 5) await new Promise((r) => setTimeout(r, 5));
  const got = await pods.get('x');
  assert.equal(got.metadata?.name, 'x');
  stop.abort();
  await Promise.all(watches);
});

test('requests wait for the rate limiter (QPS/burst from the config; defaults 50/100)', async (t) => {
  const srv = await countingServer();
  t.after(() => srv.stop());
  const clock = new FakeClock(0);
  const client = new Client({ server: srv.url, caData: srv.ca, qps: 5, burst: 2, clock });
  t.after(() => client.close());
  assert.deepEqual(client.transport.rateLimit, { qps: 5, burst: 2 });
  assert.deepEqual(new Client({ server: srv.url }).transport.rateLimit, { qps: 50, burst: 100 });
  assert.deepEqual(client.with({ qps: 20, burst: 30 }).transport.rateLimit, { qps: 20, burst: 30 });

  const pods = client.resource<Pod>('pods', 'default');
  const gets = Array.from({ length: 3 }, () => pods.get('x'));
  await Promise.all(gets.slice(0, 2));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(srv.requests, 2, 'the third request waits for a token');
  await clock.step(200);
  await gets[2];
  assert.equal(srv.requests, 3);
});
