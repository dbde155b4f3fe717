#!/usr/bin/env node
/**
 * The API server's write path: an in-process ApiServer on a SqliteStore (a temp file) and the three writes of
 * every scheduled pod: the pod's create (defaulting, admission, validation, managed fields, storage), its
 * binding, and its Scheduled event, C at a time, sent three ways (--via):
 *   registry     the registries called directly: the write path without HTTP;
 *   in-process   a client over the server's in-process connections (what `kubeling server`'s components
 *                use): HTTP/1.1 parsed and answered, authenticated, authorized, audited, counted, no TLS;
 *   https        the same client over loopback HTTPS (what a client in another process pays, both sides here).
 * Prints the CPU time of this one process per write (process.cpuUsage: all threads, so GC and sqlite
 * included; client and server both for the last two), which the machine's load moves much less than wall
 * time. bench/apiserver.ts measures the same writes over HTTPS from another process. Usage:
 *   node [--cpu-prof] bench/write-path.ts [--pods 5000] [--concurrency 64] [--rounds 3] [--via registry,in-process,https]
 *
 * Figures (the shared 2-core machine, 2026-12-07, load 13–15, 3,000 pods, CPU µs a write, best of 3 rounds;
 * the rounds differ by up to a third under that load): before this branch (752c810) create 276, binding 286,
 * Scheduled event 123, the three 717; after 225, 199, 97, the three 521. bench/apiserver.ts has the same
 * writes over HTTPS, where each costs 2–4 times as much (see its header).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStore } from '../src/storage/index.ts';
import { startTestServer } from '../src/apiserver/testing.ts';
import { bind } from '../src/apiserver/pod-subresources.ts';
import type { KubeObject } from '../src/api/index.ts';
import { Client } from '../src/client/index.ts';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    via: { type: 'string', default: 'registry,in-process,https' },
  },
});
const VIAS = values.via.split(',');
for (const v of VIAS) if (!['registry', 'in-process', 'https'].includes(v)) throw new Error(`--via: unknown ${JSON.stringify(v)} (registry, in-process, https)`);
const PODS = Number(values.pods);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const pod = (name: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } } }] },
} as KubeObject);

const event = (ns: string, podName: string, node: string): KubeObject => {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1', kind: 'Event', metadata: { name: `${podName}.${Date.now().toString(16)}`, namespace: ns },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: podName },
    reason: 'Scheduled', message: `Successfully assigned ${ns}/${podName} to ${node}`, source: { component: 'default-scheduler' },
    firstTimestamp: now, lastTimestamp: now, count: 1, type: 'Normal', reportingComponent: 'default-scheduler', reportingInstance: '',
  } as KubeObject;
};

async function pool(total: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) await task(next++);
  }));
}

/** CPU µs per call of `task` over `total` calls. */
async function measure(total: number, task: (i: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await pool(total, task);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / total;
}

const dir = mkdtempSync(join(tmpdir(), 'kubeling-write-path-'));
const store = new SqliteStore({ path: join(dir, 'state.db') });
const s = await startTestServer({ store });
try {
  const pods = s.server.registry('pods');
  const events = s.server.registry('events');
  const opts = { user: 'admin', groups: ['system:masters'], fieldManager: 'bench' };
  const binding = (i: number) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: `pod-${i}` }, target: { kind: 'Node', name: `node-${i % 100}` } });
  type Writes = { create(ns: string, i: number): Promise<unknown>; bind(ns: string, i: number): Promise<unknown>; event(ns: string, i: number): Promise<unknown> };
  const clients: Client[] = [];
  const overClient = (client: Client): Writes => (clients.push(client), {
    create: (ns, i) => client.resource('pods', ns).create(pod(`pod-${i}`), { fieldManager: 'bench' }),
    bind: (ns, i) => client.resource('pods', ns).subresource('binding').create(`pod-${i}`, binding(i)),
    event: (ns, i) => client.resource('events', ns).create(event(ns, `pod-${i}`, `node-${i % 100}`), { fieldManager: 'bench' }),
  });
  const ways: Record<string, () => Writes> = {
    registry: () => ({
      create: (ns, i) => pods.create(ns, pod(`pod-${i}`), opts),
      bind: (ns, i) => bind(pods, ns, `pod-${i}`, binding(i) as never, { now: () => Date.now() }, false),
      event: (ns, i) => events.create(ns, event(ns, `pod-${i}`, `node-${i % 100}`), opts),
    }),
    'in-process': () => overClient(new Client({ server: s.url, token: s.token, qps: 0, maxSockets: CONCURRENCY, connect: () => s.server.connectInProcess() })),
    https: () => overClient(new Client({ server: s.url, token: s.token, caData: s.caPem, qps: 0, maxSockets: CONCURRENCY })),
  };
  console.log(`write path, ${PODS} pods × ${ROUNDS} rounds, ${CONCURRENCY} at a time (load ${loadavg()[0]!.toFixed(1)}); CPU µs per write:`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const via of VIAS) {
      const ns = `bench-${round}-${via}`;
      await s.server.registry('namespaces').create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject);
      // The service account admission waits for the namespace's default service account.
      await s.server.registry('serviceaccounts').create(ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } as KubeObject).catch(() => {});
      const w = ways[via]!();
      const create = await measure(PODS, (i) => w.create(ns, i));
      const bound = await measure(PODS, (i) => w.bind(ns, i));
      const ev = await measure(PODS, (i) => w.event(ns, i));
      for (const c of clients.splice(0)) c.close();
      console.log(`  round ${round + 1} ${via.padEnd(10)}: create ${create.toFixed(0)}, binding ${bound.toFixed(0)}, event ${ev.toFixed(0)}, all three ${(create + bound + ev).toFixed(0)} (load ${loadavg()[0]!.toFixed(1)})`);
    }
  }
} finally {
  await s.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
