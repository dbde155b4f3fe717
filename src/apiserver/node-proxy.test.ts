import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startTestServer } from './testing.ts';
import { ensurePki } from './auth/certs.ts';

test('nodes/NAME/proxy/PATH reaches the node\'s kubelet at /PATH with the kubelet token; only GET', async (t) => {
  const s = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), 'fake-kubelet-'));
  const pki = await ensurePki(dir);
  const seen: { url: string; auth: string }[] = [];
  const kubelet = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization ?? '' });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"node":{"nodeName":"n1"},"pods":[]}');
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
  t.after(async () => {
    kubelet.close();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (kubelet.address() as AddressInfo).port;
  await s.request('POST', '/api/v1/nodes', { metadata: { name: 'n1' } });
  await s.request('PATCH', '/api/v1/nodes/n1/status', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } }, { 'content-type': 'application/merge-patch+json' });

  const r = await s.request('GET', '/api/v1/nodes/n1/proxy/stats/summary?only_cpu_and_memory=true');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { node: { nodeName: 'n1' }, pods: [] });
  assert.deepEqual(seen, [{ url: '/stats/summary?only_cpu_and_memory=true', auth: `Bearer ${s.kubeletToken}` }]);

  assert.equal((await s.request('GET', '/api/v1/nodes/missing/proxy/healthz')).status, 404);
  assert.equal((await s.request('POST', '/api/v1/nodes/n1/proxy/healthz', {})).status, 405);
});
