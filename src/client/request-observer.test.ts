import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from './index.ts';

test('requestObserver hears every request: method, host:port and the status code, <error> when none came', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/v1/namespaces/default/pods/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const seen: { method: string; host: string; code: string }[] = [];
  const client = new Client({ server: `http://127.0.0.1:${port}`, requestObserver: (r) => seen.push(r) });
  t.after(() => client.close());
  await client.resource('pods', 'default').list();
  await assert.rejects(client.resource('pods', 'default').get('missing'));
  assert.deepEqual(seen, [
    { method: 'GET', host: `127.0.0.1:${port}`, code: '200' },
    { method: 'GET', host: `127.0.0.1:${port}`, code: '404' },
  ]);
  // A server that is not there: no status code.
  const gone = new Client({ server: 'http://127.0.0.1:1', requestObserver: (r) => seen.push(r) });
  t.after(() => gone.close());
  await assert.rejects(gone.resource('pods', 'default').list());
  assert.deepEqual(seen.at(-1), { method: 'GET', host: '127.0.0.1:1', code: '<error>' });
});
