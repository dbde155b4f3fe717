import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import type { Node, Pod } from '../../api/index.ts';
import { selfSignedServingCert } from '../../kubelet/server/tls.ts';
import { ApiError } from '../status.ts';
import { SummaryScraper, type KubeletSummary } from './kubelet-summary.ts';
import { handleMetrics, type MetricsRequest } from './metrics-api.ts';

const TIME = '2026-01-01T00:00:10Z';
const cpu = (n: number) => ({ time: TIME, usageNanoCores: n });
const mem = (b: number) => ({ time: TIME, workingSetBytes: b });

const summary: KubeletSummary = {
  node: { nodeName: 'n1', cpu: cpu(250_000_000), memory: mem(512 * 1024 * 1024) },
  pods: [
    { podRef: { name: 'web', namespace: 'default', uid: 'u1' }, containers: [{ name: 'a', cpu: cpu(12_000_000), memory: mem(1_536_000) }, { name: 'b', cpu: cpu(123456), memory: mem(1000) }] },
    { podRef: { name: 'db', namespace: 'default', uid: 'u2' }, containers: [{ name: 'c', cpu: cpu(1_000_000), memory: mem(4096) }] },
    // No CPU rate yet: left out, as metrics-server leaves it out.
    { podRef: { name: 'new', namespace: 'default', uid: 'u3' }, containers: [{ name: 'd', cpu: { time: TIME }, memory: mem(4096) }] },
  ],
};

interface Metrics {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string };
  window: string;
  containers: unknown[];
  items: Metrics[];
}

/** Captures what sendJson writes. */
function response(): { res: ServerResponse; body: () => Metrics } {
  let text = '';
  const res = { writeHead: () => res, end: (b: Buffer) => { text = b.toString(); }, headersSent: false };
  return { res: res as unknown as ServerResponse, body: () => JSON.parse(text) as Metrics };
}

test('metrics.k8s.io nodes and pods from the kubelet summary: list, get, selectors, NotFound', async (t) => {
  const tls = await selfSignedServingCert('n1', ['127.0.0.1']);
  const auth: string[] = [];
  const kubelet = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    auth.push(String(req.headers.authorization));
    if (req.url !== '/stats/summary') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summary));
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
  t.after(() => kubelet.close());
  const port = (kubelet.address() as AddressInfo).port;
  const node: Node = {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { zone: 'a' } },
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
  };
  const pod = (name: string, uid: string, labels: Record<string, string>, namespace = 'default'): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid, labels }, spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running' },
  });
  const pods = [pod('web', 'u1', { app: 'web' }), pod('db', 'u2', { app: 'db' }), pod('new', 'u3', { app: 'web' }), pod('other', 'u4', {}, 'kube-system')];
  let now = 0;
  const deps = { nodes: () => [node], pods: () => pods, scraper: new SummaryScraper('kubelet-token', () => now, 10_000) };
  const call = async (r: Partial<MetricsRequest>) => {
    const { res, body } = response();
    await handleMetrics({ method: 'GET', verb: 'list', resource: 'pods', namespace: '', name: '', subresource: '', query: new URLSearchParams(), ...r }, res, deps, '2026-01-01T00:00:11Z');
    return body();
  };

  const nodes = await call({ resource: 'nodes' });
  assert.equal(nodes.kind, 'NodeMetricsList');
  assert.equal(nodes.apiVersion, 'metrics.k8s.io/v1beta1');
  assert.deepEqual(nodes.items[0], {
    kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'n1', creationTimestamp: '2026-01-01T00:00:11Z', labels: { zone: 'a' } },
    timestamp: TIME, window: '10s', usage: { cpu: '250m', memory: '512Mi' },
  });
  assert.equal(auth[0], 'Bearer kubelet-token');

  const list = await call({ namespace: 'default' });
  assert.equal(list.kind, 'PodMetricsList');
  assert.deepEqual(list.items.map((i) => i.metadata.name), ['web', 'db']);
  assert.deepEqual(list.items[0].containers, [
    { name: 'a', usage: { cpu: '12m', memory: '1500Ki' } },
    { name: 'b', usage: { cpu: '123456n', memory: '1000' } },
  ]);
  const selected = await call({ namespace: 'default', query: new URLSearchParams({ labelSelector: 'app=web' }) });
  assert.deepEqual(selected.items.map((i) => i.metadata.name), ['web']);
  const got = await call({ verb: 'get', namespace: 'default', name: 'db' });
  assert.equal(got.kind, 'PodMetrics');
  assert.equal(got.metadata.namespace, 'default');
  // Within the cache period the kubelet was asked once.
  assert.equal(auth.length, 1);

  await assert.rejects(call({ verb: 'get', namespace: 'default', name: 'new' }), (e: ApiError) => e.code === 404 && e.message === 'podmetrics.metrics.k8s.io "new" not found');
  await assert.rejects(call({ verb: 'get', resource: 'nodes', name: 'n2' }), (e: ApiError) => e.code === 404 && e.message === 'nodemetrics.metrics.k8s.io "n2" not found');
  await assert.rejects(call({ verb: 'watch' }), (e: ApiError) => e.code === 405);

  // After the cache period the kubelet is asked again, and the window is the time between the scrapes.
  now += 15_000;
  const again = await call({ resource: 'nodes' });
  assert.equal(auth.length, 2);
  assert.equal(again.items[0].window, '15s');
});
