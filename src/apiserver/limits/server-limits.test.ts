/**
 * The limits through a real HTTPS API server: 413 for big bodies (read stops early, the connection closes),
 * 400 for deep nesting, 413 for objects above etcd's limit, 429 + Retry-After when the in-flight pools or a
 * user's watch share are full, 408/504 request timeouts that leave watches alone, and the header timeout that
 * closes slow-loris connections.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read untyped JSON responses */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { once } from 'node:events';
import { startTestServer, type TestServer } from '../testing.ts';
import { TokenAuthenticator } from '../auth/tokens.ts';
import type { LimitsConfig } from './request-limits.ts';
import { poll } from '../../machinery/testing/poll.ts';

const USER_TOKEN = 'user-token-for-limit-tests';

async function serverWith(limits: LimitsConfig): Promise<TestServer> {
  const authenticator = new TokenAuthenticator();
  authenticator.add('admin-token-for-tests', { name: 'admin', groups: ['system:masters'] });
  authenticator.add(USER_TOKEN, { name: 'alice', groups: ['system:authenticated'] });
  return startTestServer({ config: { authenticator, limits } });
}

/** A TLS connection to the server that the test writes raw HTTP on. */
async function rawConnection(s: TestServer): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port: s.port, ca: s.caPem, servername: 'localhost' });
  await once(socket, 'secureConnect');
  return socket;
}

/** Everything the server sends on `socket` until it closes it. */
async function readUntilClosed(socket: tls.TLSSocket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => {});
  await once(socket, 'close');
  return text;
}

function request(s: TestServer, method: string, path: string, token: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, any>; body: any }>((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: s.port, path, method, ca: s.caPem, agent: false,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try { parsed = JSON.parse(text); } catch { parsed = text; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('request bodies: 413 `Request entity too large: limit is 3145728`, refused by Content-Length or after 3 MiB, connection closed', async () => {
  const s = await serverWith({});
  try {
    const cm = (data: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: data } });
    // Declared too large: refused before the body is read.
    const declared = await rawConnection(s);
    declared.write(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n{`);
    const answer = await readUntilClosed(declared);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /connection: close/i);
    assert.match(answer, /"message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge"/);
    // Chunked, 10 MiB: the read stops after 3 MiB.
    const chunked = await request(s, 'POST', '/api/v1/namespaces/default/configmaps', s.token, Buffer.from(cm('y'.repeat(10 * 1024 * 1024))), { 'transfer-encoding': 'chunked' }).catch((err) => ({ status: 0, err, headers: {}, body: undefined }));
    // The server may close while the client still writes (EPIPE/ECONNRESET); when an answer arrives it is the 413.
    if (chunked.status !== 0) assert.equal(chunked.status, 413);
    const list = await s.request('GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(list.body.items.filter((i: any) => i.metadata.name === 'big').length, 0, 'nothing refused was stored');
    assert.equal((await s.request('GET', '/readyz')).status, 200);
  } finally {
    await s.stop();
  }
});

test('nesting: 100,000 levels are a 400, not a crash; 1,000 levels decode; YAML alias bombs are a 400', async () => {
  const s = await serverWith({});
  try {
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const tooDeep = await s.request('POST', '/api/v1/namespaces/default/configmaps', `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${deep(100_000)}}`);
    assert.equal(tooDeep.status, 400);
    assert.equal(tooDeep.body.reason, 'BadRequest');
    assert.match(tooDeep.body.message, /exceeded max depth of 1000 nested levels/);
    const arrays = await s.request('POST', '/api/v1/namespaces/default/configmaps', `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    assert.equal(arrays.status, 400);
    // Just within the limit: decoded and handled (the unknown field is dropped with a warning), never a 500.
    const ok = await s.request('POST', '/api/v1/namespaces/default/configmaps', `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${deep(998)}}`);
    assert.ok(ok.status < 500, `${ok.status} ${ok.text.slice(0, 200)}`);
    const patch = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/deep', `{"x":${deep(100_000)}}`, { 'content-type': 'application/merge-patch+json' });
    assert.equal(patch.status, 400);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n${bomb.join('\n')}\n`;
    const bombed = await s.request('POST', '/api/v1/namespaces/default/configmaps', yaml, { 'content-type': 'application/yaml' });
    assert.equal(bombed.status, 400);
    const deepYaml = await s.request('POST', '/api/v1/namespaces/default/configmaps', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\nx: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`, { 'content-type': 'application/yaml' });
    assert.equal(deepYaml.status, 400);
    assert.equal((await s.request('GET', '/readyz')).status, 200);
  } finally {
    await s.stop();
  }
});

test('objects above etcd\'s 1.5 MiB are 413 `etcdserver: request is too large` checked before any backend, and not stored', async () => {
  const s = await serverWith({});
  try {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge' }, spec: { containers: [{ name: 'c', image: 'busybox', args: ['x'.repeat(2 * 1024 * 1024)] }] } };
    const r = await s.request('POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(r.status, 413);
    assert.equal(r.body.reason, 'RequestEntityTooLarge');
    assert.equal(r.body.message, 'etcdserver: request is too large');
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/pods/huge')).status, 404);
    // An update that grows an object past the limit is refused the same way.
    const container = (args: string[]) => ({ name: 'c', image: 'busybox', args });
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'grows' },
      spec: { selector: { matchLabels: { app: 'g' } }, template: { metadata: { labels: { app: 'g' } }, spec: { containers: [container(['small'])] } } } };
    assert.equal((await s.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment)).status, 201);
    const grow = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/grows', { spec: { template: { spec: { containers: [container(['y'.repeat(1.6 * 1024 * 1024)])] } } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(grow.status, 413, grow.text.slice(0, 200));
    assert.deepEqual((await s.request('GET', '/apis/apps/v1/namespaces/default/deployments/grows')).body.spec.template.spec.containers[0].args, ['small']);
  } finally {
    await s.stop();
  }
});

test('max in-flight: a full pool answers 429 with Retry-After: 1 and upstream\'s message; system:masters is served; reads are a separate pool', async () => {
  const s = await serverWith({ maxRequestsInflight: 1, maxMutatingRequestsInflight: 1 });
  try {
    // A slow upload holds the one write slot while its body trickles in.
    const slow = await rawConnection(s);
    slow.write(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${USER_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' } });
    const refused = await poll(async () => {
      const r = await request(s, 'POST', '/api/v1/namespaces/default/configmaps', USER_TOKEN, body);
      return r.status === 429 ? r : undefined;
    }, 'a 429 while the slow upload holds the slot', { intervalMs: 20, timeoutMs: 10_000 });
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.body.reason, 'TooManyRequests');
    assert.equal(refused.body.message, 'Too many requests, please try again later.');
    assert.equal(refused.body.details.retryAfterSeconds, 1);
    assert.equal((await request(s, 'GET', '/api/v1/namespaces/default/configmaps', USER_TOKEN)).status, 200, 'reads have their own pool');
    assert.equal((await request(s, 'POST', '/api/v1/namespaces/default/configmaps', s.token, body)).status, 201, 'system:masters is served');
    assert.equal((await s.request('GET', '/readyz')).status, 200);
    slow.destroy();
    await poll(async () => (await request(s, 'DELETE', '/api/v1/namespaces/default/configmaps/second', USER_TOKEN)).status === 200, 'the slot is free again', { intervalMs: 20, timeoutMs: 10_000 });
  } finally {
    await s.stop();
  }
});

test('watch cap: a user\'s watch beyond --max-watches-per-user is 429; another user and a freed slot are fine', async () => {
  const s = await serverWith({ maxWatchesPerUser: 2 });
  try {
    const open: ReturnType<typeof https.request>[] = [];
    const watch = (token: string) => new Promise<number>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: s.port, path: '/api/v1/namespaces/default/configmaps?watch=true', ca: s.caPem, agent: false,
        headers: { authorization: `Bearer ${token}` } }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      req.on('error', (err) => (open.includes(req) ? undefined : reject(err)));
      open.push(req);
      req.end();
    });
    assert.equal(await watch(USER_TOKEN), 200);
    assert.equal(await watch(USER_TOKEN), 200);
    assert.equal(await watch(USER_TOKEN), 429);
    assert.equal(await watch(s.token), 200, 'system:masters is not capped');
    open[0]!.destroy();
    await poll(async () => (await watch(USER_TOKEN)) === 200, 'a freed watch slot', { intervalMs: 20, timeoutMs: 10_000 });
    for (const r of open) r.destroy();
  } finally {
    await s.stop();
  }
});

test('timeouts: a slow upload is cut with 408, a watch outlives the request timeout, slow-loris headers are closed', async () => {
  const s = await serverWith({ requestTimeoutMs: 300, readHeaderTimeoutMs: 300, connectionsCheckingIntervalMs: 50 });
  try {
    const events: string[] = [];
    const watchReq = https.request({ host: '127.0.0.1', port: s.port, path: '/api/v1/namespaces/default/configmaps?watch=true', ca: s.caPem, agent: false,
      headers: { authorization: `Bearer ${s.token}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => events.push(d));
    });
    watchReq.on('error', () => {});
    watchReq.end();
    // Headers that never finish: closed by the header timeout.
    const loris = await rawConnection(s);
    loris.write('GET /readyz HTTP/1.1\r\nHost: x\r\n');
    const lorisClosed = readUntilClosed(loris);
    // A body that never finishes: 408 after the request timeout.
    const slow = await rawConnection(s);
    slow.write(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const slowAnswer = await readUntilClosed(slow);
    assert.match(slowAnswer, /^HTTP\/1\.1 408 /);
    assert.match(slowAnswer, /"reason":"Timeout"/);
    await lorisClosed;
    // Both timeouts have passed; the watch is still open and delivers.
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } })).status, 201);
    await poll(() => events.join('').includes('"name":"after"'), 'the watch delivers after the timeouts', { intervalMs: 20, timeoutMs: 10_000 });
    watchReq.destroy();
  } finally {
    await s.stop();
  }
});

test('a watch with an absurd timeoutSeconds stays open (Node would fire a timer beyond 2^31-1 ms at once)', async () => {
  const s = await serverWith({});
  try {
    let text = '';
    let ended = false;
    const req = https.request({ host: '127.0.0.1', port: s.port, path: '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=99999999999', ca: s.caPem, agent: false,
      headers: { authorization: `Bearer ${s.token}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => (ended = true));
    });
    req.on('error', () => {});
    req.end();
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' } })).status, 201);
    await poll(() => text.includes('"name":"later"'), 'the watch delivers', { intervalMs: 20, timeoutMs: 10_000 });
    assert.equal(ended, false);
    req.destroy();
  } finally {
    await s.stop();
  }
});
