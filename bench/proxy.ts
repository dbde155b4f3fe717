#!/usr/bin/env node
/**
 * Service proxy benchmark: prints figures (never pass/fail). Needs root and nft. `node bench/proxy.ts [services]`
 *   generate      Services + EndpointSlices -> rule text (servicePorts + generateRules), 1,000 Services x 3 endpoints
 *   apply         that text as one `nft -f -` transaction: into a fresh table, as the periodic full re-sync
 *                 (flush + refill), and a partial one (one endpoint replaced); through a child process and
 *                 through the Spawner's shell
 *   change        an EndpointSlice change (one endpoint replaced) -> the transaction holding it returned from nft,
 *                 p50/p99 over sequential changes, through the fake API server's watch and the Proxier's loop
 *                 (minSyncPeriod 100 ms, its default); and a burst of 100 changes at once -> all in place
 * The table is this benchmark's own (node `bench-proxy-<pid>`, services 10.253.0.0/16, endpoints 10.254.0.0/16,
 * addresses nothing here uses) and is deleted at the end.
 */
import { performance } from 'node:perf_hooks';
import { Client } from '../src/client/index.ts';
import { FakeApiServer } from '../src/client/testing/fake-apiserver.ts';
import { Proxier, generateRules, servicePorts, spawnNft, tableName, NftablesApplier, type NftExec } from '../src/proxy/index.ts';
import { makeService, makeSlice } from '../src/proxy/testing/builders.ts';
import { Spawner } from '../src/runtime/oci/index.ts';

const COUNT = Number(process.argv[2] ?? 1000);
const NODE = `bench-proxy-${process.pid}`;
const SERVICE_CIDR = '10.253.0.0/16';
const CLUSTER_CIDR = '10.254.0.0/16';

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (n: number) => `${n.toFixed(1)} ms`;
const ip = (prefix: string, i: number) => `${prefix}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;

const services = Array.from({ length: COUNT }, (_, i) =>
  makeService(`svc-${i}`, { clusterIP: ip('10.253', i), ports: [{ name: 'http', port: 80 }] }, [], `ns-${i % 20}`));
const slices = Array.from({ length: COUNT }, (_, i) =>
  makeSlice(`svc-${i}`, [0, 1, 2].map((k) => ({ ip: ip('10.254', i * 3 + k), node: k === 0 ? NODE : 'other' })), [{ name: 'http', port: 8080 }],
    { namespace: `ns-${i % 20}` }));

async function main(): Promise<void> {
  const config = { table: tableName(NODE), clusterCidr: CLUSTER_CIDR, serviceCidr: SERVICE_CIDR, nodeName: NODE };
  console.log(`service proxy, ${COUNT} Services x 3 endpoints (table ip ${config.table})`);

  const gen: number[] = [];
  let rules = generateRules(servicePorts(services, slices, NODE), config);
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    rules = generateRules(servicePorts(services, slices, NODE), config);
    gen.push(performance.now() - t);
  }
  const lines = rules.text.split('\n').length;
  console.log(`  generate                 p50 ${ms(pct(gen, 50))}  max ${ms(Math.max(...gen))}  (${lines} lines, ${(rules.text.length / 1024).toFixed(0)} KiB, ${rules.chains.length} chains)`);

  const shells = new Spawner({ max: 1 });
  const viaShell: NftExec = (args, input) => shells.run('nft', args, input !== undefined ? { input } : {});
  const applier = new NftablesApplier({ table: config.table });
  try {
    let t = performance.now();
    await applier.apply(rules);
    console.log(`  apply, fresh table       ${ms(performance.now() - t)}`);
    // One Service's endpoint replaced: what a partial sync sends.
    const changed = structuredClone(slices);
    changed[COUNT >> 1]!.endpoints![1]!.addresses = [ip('10.254', 3 * COUNT + 1)];
    const rules2 = generateRules(servicePorts(services, changed, NODE), config);
    for (const [name, exec] of [['child process', spawnNft], ['Spawner shell', viaShell]] as const) {
      const a = new NftablesApplier({ table: config.table, exec });
      await a.apply(rules, { full: true });
      const full: number[] = [];
      const partial: number[] = [];
      for (let i = 0; i < 10; i++) {
        t = performance.now();
        await a.apply(rules, { full: true });
        full.push(performance.now() - t);
        t = performance.now();
        if ((await a.apply(rules2)) !== 'partial') throw new Error('expected a partial sync');
        partial.push(performance.now() - t);
      }
      console.log(`  full re-sync (${name.padEnd(13)}) p50 ${ms(pct(full, 50))}  max ${ms(Math.max(...full))}`);
      console.log(`  partial, 1 endpoint (${name.padEnd(13)}) p50 ${ms(pct(partial, 50))}  max ${ms(Math.max(...partial))}`);
    }
    await changeLatency(config.table);
  } finally {
    await applier.remove().catch(() => {});
    await shells.close();
  }
  console.log('\n  kube-proxy for comparison: its nftables mode defaults to minSyncPeriod 1 s and syncPeriod 30 s');
  console.log('  (pkg/proxy/apis/config defaults); sig-scalability defines the network programming latency SLI');
  console.log('  (sig-scalability/slos/network_programming_latency.md) but leaves its SLO open, and the nftables');
  console.log('  announcement (kubernetes.io/blog/2025/02/28/nftables-kube-proxy) shows control-plane latency only as graphs.');
}

async function changeLatency(table: string): Promise<void> {
  const api = await new FakeApiServer().start();
  for (const s of services) api.put('services', s);
  for (const s of slices) api.put('discovery.k8s.io/endpointslices', s);
  const client = new Client({ server: api.url, token: api.token, caData: api.ca, qps: 1000, burst: 1000 });
  const waiting = new Map<string, (t: number) => void>();
  const exec: NftExec = async (args, input) => {
    const r = await spawnNft(args, input);
    const done = performance.now();
    for (const [needle, resolve] of waiting) {
      if (!input?.includes(needle)) continue;
      waiting.delete(needle);
      resolve(done);
    }
    return r;
  };
  const proxier = new Proxier({ client, nodeName: NODE, clusterCidr: CLUSTER_CIDR, serviceCidr: SERVICE_CIDR, exec });
  if (proxier.table !== table) throw new Error('unexpected table');
  const stop = new AbortController();
  const running = proxier.run(stop.signal);
  const inPlace = (needle: string) => new Promise<number>((resolve) => waiting.set(needle, resolve));
  let serial = 0;
  const change = (i: number): string => {
    const fresh = ip('10.254', 3 * COUNT + ++serial);
    const s = structuredClone(slices[i]!);
    s.endpoints![1]!.addresses = [fresh];
    api.put('discovery.k8s.io/endpointslices', s);
    return `dnat to ${fresh}:8080`;
  };
  try {
    await new Promise<void>((resolve) => proxier.onSynced(() => resolve()));
    const samples: number[] = [];
    for (let k = 0; k < 40; k++) {
      const i = Math.floor(Math.random() * COUNT);
      const t = performance.now();
      const needle = change(i);
      samples.push((await inPlace(needle)) - t);
    }
    console.log(`  endpoint change -> rules p50 ${ms(pct(samples, 50))}  p99 ${ms(pct(samples, 99))}  (${samples.length} sequential changes)`);
    const before = proxier.syncs;
    const t = performance.now();
    const needles = Array.from({ length: 100 }, (_, k) => change((k * 7) % COUNT));
    const done = await Promise.all(needles.map(inPlace));
    console.log(`  burst of 100 changes -> all in place ${ms(Math.max(...done) - t)}  (in ${proxier.syncs - before} syncs)`);
    const last = proxier.lastSync!;
    console.log(`  last sync: generate ${ms(last.generateMs)}, apply ${ms(last.applyMs)}`);
  } finally {
    stop.abort();
    await running;
    client.close();
    await api.stop();
  }
}

await main();
