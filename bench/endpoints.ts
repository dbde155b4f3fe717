#!/usr/bin/env node
/**
 * EndpointSlice and Endpoints controller benchmark: runs the real `kubeling server --no-agent` (memory store,
 * scheduler off, controllers on) with one Ready Node object, S Services each selecting P pods of their own
 * (pods bound to that node, made Ready with an IP through the status subresource, as a kubelet would), then
 * measures from this process, one change at a time:
 *
 *   readiness  a pod's Ready condition flips (status patch)   → the change seen in its EndpointSlice and in its
 *              Endpoints, over watches: latency p50/p99
 *   create     a Service over P Ready pods is created           → its first slice with P ready endpoints
 *
 * The figures are the controller manager's side of "endpoint change → rules in place" (issue 9); the proxy's
 * rule sync comes after it. They include the status write, the controllers' watch delivery and their write,
 * and the watch delivery back to this process. Prints figures only. Usage:
 *   node bench/endpoints.ts [--services 1000] [--pods 3] [--changes 200] [--creates 50]
 *
 * Figures on the team's 2-core machine shared with 8 engineers (2026-12-07, load average 11 → 16 during the
 * run, so every figure is inflated by other work), 1,000 Services × 3 pods, 100 changes, 20 creates:
 *   setup (7,000 writes, 32 in flight)                        50 s
 *   controllers converged (2,000 writes at the controller
 *   manager's client limit, QPS 20 / burst 30)                 60 s after the last setup write
 *   readiness change → EndpointSlice                           p50 149 ms, p99 556 ms
 *   readiness change → Endpoints                               p50 163 ms, p99 556 ms
 *   Service create → first slice with 3 ready endpoints        p50 141 ms, p99 368 ms
 * (50 Services, same load: 39 / 142 ms, 88 / 143 ms, 58 / 88 ms.) Upstream publishes no figure for the
 * controller alone; the Kubernetes SLO for the whole path (pod change → programmed in kube-proxy,
 * "network programming latency") is p99 ≤ 30 s at 5,000 nodes.
 */
import { parseArgs } from 'node:util';
import type { EndpointSlice, Endpoints, Node, Pod, Service } from '../src/api/index.ts';
import { Client } from '../src/client/index.ts';
import { startServer } from '../test/e2e/helpers/server.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '3' },
    changes: { type: 'string', default: '200' },
    creates: { type: 'string', default: '50' },
  },
});
const SERVICES = Number(values.services);
const PODS = Number(values.pods);
const CHANGES = Number(values.changes);
const CREATES = Number(values.creates);
const NS = 'bench';
const NODE = 'bench-node';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

const podIP = (s: number, p: number) => `10.${60 + Math.floor(s / 250)}.${s % 250}.${p + 2}`;

function service(name: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { selector: { svc: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } };
}

/** Waits for `cond` over a watch of `plural` in the bench namespace, from `resourceVersion`. */
async function watchUntil<T extends { metadata?: { resourceVersion?: string } }>(client: Client, plural: string, rv: string, cond: (obj: T) => boolean, signal: AbortSignal): Promise<void> {
  for await (const ev of client.resource<T>(plural, NS).watch({ resourceVersion: rv }, signal)) {
    if (ev.type !== 'BOOKMARK' && cond(ev.object)) return;
  }
  throw new Error(`watch of ${plural} ended`);
}

async function main(): Promise<void> {
  // Its Node has no kubelet renewing a lease: a long grace keeps the node lifecycle controller from marking
  // the pods not Ready mid-run.
  const server = await startServer({ storage: 'memory', noAgent: true, args: ['--disable-scheduler', '--node-monitor-grace-period', '24h'] });
  const client = (await Client.fromKubeconfig(server.kubeconfig)).with({ qps: 0 });
  try {
    await client.resource('namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const nodes = client.resource<Node>('nodes');
    await nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
    await nodes.patchStatus(NODE, { status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '192.0.2.1' }] } }, 'merge');

    const pods = client.resource<Pod>('pods', NS);
    const readyStatus = (ip: string, ready: boolean) => ({
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() }] },
    });
    const makePods = async (s: number, name: string) => {
      for (let p = 0; p < PODS; p++) {
        const podName = `${name}-${p}`;
        await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace: NS, labels: { svc: name } }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.35' }] } });
        await pods.patchStatus(podName, readyStatus(podIP(s, p), true), 'merge');
      }
    };
    let t0 = performance.now();
    const indexes = Array.from({ length: SERVICES }, (_, i) => i);
    await pool(indexes, 32, async (s) => {
      await makePods(s, `svc-${s}`);
      await client.resource<Service>('services', NS).create(service(`svc-${s}`));
    });
    console.log(`setup: ${SERVICES} Services with ${PODS} Ready pods each written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Every Service's slices and Endpoints hold its pods, ready.
    t0 = performance.now();
    for (;;) {
      const slices = (await client.resource<EndpointSlice>('endpointslices', NS).list()).items;
      const readyBySvc = new Map<string, number>();
      for (const sl of slices) {
        const svc = sl.metadata?.labels?.['kubernetes.io/service-name'] ?? '';
        readyBySvc.set(svc, (readyBySvc.get(svc) ?? 0) + (sl.endpoints ?? []).filter((e) => e.conditions?.ready).length);
      }
      const eps = (await client.resource<Endpoints>('endpoints', NS).list()).items;
      const full = eps.filter((e) => (e.subsets ?? []).reduce((n, ss) => n + (ss.addresses?.length ?? 0), 0) === PODS).length;
      if ([...readyBySvc.values()].filter((n) => n === PODS).length === SERVICES && full === SERVICES) break;
      if (performance.now() - t0 > 600_000) throw new Error('controllers did not converge in 10 min');
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`converged: every slice and Endpoints complete ${((performance.now() - t0) / 1000).toFixed(1)} s after the last write`);

    // Readiness flips, one at a time.
    const sliceLat: number[] = [];
    const epLat: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const s = Math.floor(Math.random() * SERVICES);
      const p = Math.floor(Math.random() * PODS);
      const name = `svc-${s}`;
      const ip = podIP(s, p);
      const current = await pods.get(`${name}-${p}`);
      const wasReady = current.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      const rv = (await client.resource('endpointslices', NS).list({ limit: 1 })).metadata.resourceVersion!;
      const ac = new AbortController();
      const start = performance.now();
      const sliceSeen = watchUntil<EndpointSlice>(client, 'endpointslices', rv, (sl) => sl.metadata?.labels?.['kubernetes.io/service-name'] === name &&
        (sl.endpoints ?? []).some((e) => e.addresses[0] === ip && e.conditions?.ready === !wasReady), ac.signal).then(() => sliceLat.push(performance.now() - start));
      const epSeen = watchUntil<Endpoints>(client, 'endpoints', rv, (ep) => ep.metadata?.name === name &&
        (ep.subsets ?? []).some((ss) => (wasReady ? ss.notReadyAddresses : ss.addresses)?.some((a) => a.ip === ip)), ac.signal).then(() => epLat.push(performance.now() - start));
      await pods.patchStatus(`${name}-${p}`, readyStatus(ip, !wasReady), 'merge');
      await Promise.all([sliceSeen, epSeen]);
      ac.abort();
    }
    sliceLat.sort((a, b) => a - b);
    epLat.sort((a, b) => a - b);
    console.log(`readiness change → EndpointSlice (${CHANGES} changes, ${SERVICES} Services): p50 ${fmt(pct(sliceLat, 50))}, p99 ${fmt(pct(sliceLat, 99))}`);
    console.log(`readiness change → Endpoints     (${CHANGES} changes, ${SERVICES} Services): p50 ${fmt(pct(epLat, 50))}, p99 ${fmt(pct(epLat, 99))}`);

    // New Services over Ready pods.
    const createLat: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      const s = SERVICES + i;
      const name = `new-${i}`;
      await makePods(s, name);
      const rv = (await client.resource('endpointslices', NS).list({ limit: 1 })).metadata.resourceVersion!;
      const ac = new AbortController();
      const start = performance.now();
      const seen = watchUntil<EndpointSlice>(client, 'endpointslices', rv, (sl) => sl.metadata?.labels?.['kubernetes.io/service-name'] === name &&
        (sl.endpoints ?? []).filter((e) => e.conditions?.ready).length === PODS, ac.signal);
      await client.resource<Service>('services', NS).create(service(name));
      await seen;
      createLat.push(performance.now() - start);
      ac.abort();
    }
    createLat.sort((a, b) => a - b);
    console.log(`Service create → first slice with its ${PODS} ready endpoints (${CREATES} creates): p50 ${fmt(pct(createLat, 50))}, p99 ${fmt(pct(createLat, 99))}`);
  } finally {
    client.close();
    await server.stop();
  }
}

await main();
