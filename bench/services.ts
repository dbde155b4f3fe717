#!/usr/bin/env node
/**
 * Services end to end on real containers: prints figures (never pass/fail). Needs root, crun, the CNI plugins
 * and nft (as test/e2e/services.test.ts). `node bench/services.ts [rounds]` (default 20).
 *
 *   create -> answered   a ClusterIP Service for a running, ready pod is created through the API; the clock
 *                        stops when an HTTP GET from the node to its cluster IP is answered by the pod (the
 *                        allocator, the EndpointSlice controller, the proxy's informers and its nft
 *                        transaction in between). Polled every 5 ms, so figures are up to 5 ms high.
 *   delete -> gone       the Service is deleted; the clock stops when a GET to its cluster IP is no longer
 *                        answered by the pod (its rules are gone; without them the packet follows the
 *                        host's default route, where something else may answer or nothing does).
 *
 * A create takes two syncs: the Service's (its cluster IP rejects while it has no endpoints) at once, then
 * the EndpointSlice's, which the proxy's minimum gap between syncs (minSyncPeriod, 100 ms here; kube-proxy's
 * nftables mode defaults to 1 s) holds back: so about 100 ms. The delete meets an idle proxy (the bench
 * waits 300 ms first) and is one sync.
 *
 * kube-proxy publishes no comparable figure; its SLO for in-cluster network programming latency (Service or
 * endpoint change -> rules programmed on every node) is p99 <= 30 s in clusters up to 5,000 nodes.
 * The server is the e2e helper's (own data dir, cluster and service CIDRs), stopped with no pod left at the end.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { Client } from '../src/client/index.ts';
import { startServer } from '../test/e2e/helpers/server.ts';
import { deleteAllPods, importBusybox } from '../test/e2e/pod-helpers.ts';

const ROUNDS = Number(process.argv[2] ?? 20);

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}

async function poll(ok: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await ok().catch(() => false))) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const server = await startServer({ runtime: 'oci', storage: 'memory' });
try {
  await importBusybox(server);
  const client = await Client.fromKubeconfig(server.kubeconfig);
  const pods = client.resource<IPod>('pods', 'default');
  const services = client.resource<IService>('services', 'default');
  await pods.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'bench-web' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'httpd', image: 'busybox:1.35', command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www'] }],
    },
  });
  await poll(async () => (await pods.get('web')).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, 'pod web ready', 120_000);

  const created: number[] = [];
  const deleted: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const name = `bench-${i}`;
    const t0 = performance.now();
    const svc = await services.create({
      apiVersion: 'v1', kind: 'Service', metadata: { name },
      spec: { selector: { app: 'bench-web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const url = `http://${svc.spec!.clusterIP}/`;
    await poll(async () => (await get(url)).trim() === 'ok', `${url} answered`);
    created.push(performance.now() - t0);
    // Let the proxy's minimum gap between syncs (100 ms) pass: the delete then meets an idle proxy.
    await new Promise((r) => setTimeout(r, 300));
    const t1 = performance.now();
    await services.delete(name);
    await poll(async () => (await get(url).catch(() => '')).trim() !== 'ok', `${url} no longer answered by the pod`);
    deleted.push(performance.now() - t1);
  }
  const line = (what: string, s: number[]) =>
    console.log(`${what.padEnd(38)} p50 ${pct(s, 50).toFixed(1)} ms  p99 ${pct(s, 99).toFixed(1)} ms  max ${Math.max(...s).toFixed(1)} ms  (${s.length} rounds)`);
  line('Service create -> first answer (node)', created);
  line('Service delete -> pod no longer answers', deleted);
} finally {
  await deleteAllPods(server);
  await server.stop();
}
