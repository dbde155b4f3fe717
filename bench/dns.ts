#!/usr/bin/env node
/**
 * Cluster DNS benchmark: one node's DnsManager (the code `kubeling server` and `agent` run) on 127.0.0.1,
 * fed by the fake API server with S Services (every tenth headless, with a 3-endpoint slice), forwarding to
 * a fake upstream on 127.0.0.2 that answers at once. A worker thread (its own event loop) sends UDP queries
 * with C in flight and times each:
 *
 *   cluster    A of random `svc-N.bench.svc.cluster.local` names   → queries/s, latency p50/p99
 *   nxdomain   A of names in the zone that do not exist            → queries/s, latency p50/p99
 *   forwarded  A of names never asked before (`hN.example.org`), via the upstream → queries/s, p50/p99
 *   cached     A of 100 names asked again and again: the reply cache (CoreDNS `cache 30`) → queries/s, p50/p99
 *
 * Prints figures only. Loopback, one process for the server (as on a node), so the numbers are the DNS
 * code's, not a pod's path through the service proxy (that figure comes with the proxy, from a pod).
 * CoreDNS publishes ~30k qps per core for cached answers; its kubernetes plugin serves from informers too.
 * With --from-pod (root) the server listens on UDP 53 of a pod bridge's gateway and the load comes from a
 * network namespace on that bridge (wired by the real CNI plugins), as a pod's queries to its node arrive.
 * Usage: node bench/dns.ts [--services 1000] [--queries 20000] [--concurrency 32] [--from-pod]
 *
 * Figures on the team's 2-core machine, 2026-12-07, defaults, shared with other engineers (load 10-12;
 * single runs: differences between phases of less than 2-3x are noise here):
 *   loopback     cluster 12,290/s p50 1.08 p99 28.8 ms   nxdomain 11,231/s p50 1.91 p99 13.7 ms
 *                forwarded 5,833/s p50 2.08 p99 70.2 ms   cached 19,405/s p50 0.73 p99 14.6 ms
 *   --from-pod   (before the cache, forwarded names then repeated) cluster 19,500/s p50 1.07 p99 8.4 ms
 *                nxdomain 8,944/s p50 2.36 p99 14.8 ms   forwarded 8,748/s p50 1.91 p99 22.2 ms
 */
import { createSocket } from 'node:dgram';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import dnsPacket from 'dns-packet';

interface Phase {
  name: string;
  names: string[];
}

interface WorkerInput {
  host: string;
  port: number;
  queries: number;
  concurrency: number;
  phases: Phase[];
}

interface PhaseResult {
  name: string;
  qps: number;
  p50: number;
  p99: number;
  errors: number;
  lost: number;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** The load generator (worker thread): C queries in flight from one UDP socket, ids mapping to start times. */
async function loadPhase(host: string, port: number, phase: Phase, total: number, concurrency: number, offset: number): Promise<PhaseResult> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, () => resolve()));
  const started = new Map<number, number>();
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let lost = 0;
  let nextId = 1;
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const send = () => {
      if (sent >= total) return;
      const id = nextId++ & 0xffff || nextId++;
      const name = phase.names[(offset + sent) % phase.names.length]!;
      sent++;
      started.set(id, performance.now());
      sock.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] }), port, host);
    };
    const finish = () => {
      if (latencies.length + lost < total) return false;
      clearInterval(sweep);
      done();
      return true;
    };
    // A query unanswered after 1 s counts as lost (UDP), and its slot sends the next one.
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const [id, t] of started) {
        if (now - t < 1000) continue;
        started.delete(id);
        lost++;
        if (!finish()) send();
      }
    }, 200);
    sock.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const t = started.get(id);
      if (t === undefined) return;
      started.delete(id);
      latencies.push(performance.now() - t);
      const rcode = msg.readUInt16BE(2) & 0xf;
      if (rcode === 2) errors++;
      if (!finish()) send();
    });
    for (let i = 0; i < concurrency; i++) send();
  });
  const elapsed = (performance.now() - t0) / 1000;
  sock.close();
  latencies.sort((a, b) => a - b);
  return { name: phase.name, qps: latencies.length / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), errors, lost };
}

async function load(input: WorkerInput): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  for (const phase of input.phases) {
    // A short warm-up (JIT, index build), then the measured run.
    // (The measured run starts where the warm-up stopped: names meant to be new stay new.)
    const warm = Math.min(2000, input.queries);
    await loadPhase(input.host, input.port, phase, warm, input.concurrency, 0);
    results.push(await loadPhase(input.host, input.port, phase, input.queries, input.concurrency, warm));
  }
  return results;
}

/**
 * --from-pod: the node's DNS on its gateway (a bridge of a cluster CIDR no test holds), the load from a
 * network namespace wired by the real CNI plugins, as a pod's queries arrive; needs root. Returns the
 * listen address and how to run the load there; cleans up in `close`.
 */
async function podSetup(): Promise<{ host: string; prepare: () => Promise<void>; run: (input: WorkerInput) => Promise<PhaseResult[]>; close: () => Promise<void> }> {
  const [{ spawn, spawnSync }, { mkdtempSync, rmSync }, { tmpdir }, { join }] = await Promise.all([
    import('node:child_process'), import('node:fs'), import('node:os'), import('node:path'),
  ]);
  const [{ bridgeForPodCidr, serverNodePodCidr }, cni, { pickTestClusterCidr }] = await Promise.all([
    import('../src/cmd/join.ts'), import('../src/runtime/cni/index.ts'), import('../test/e2e/helpers/server.ts'),
  ]);
  const podCidr = serverNodePodCidr(pickTestClusterCidr());
  const bridge = bridgeForPodCidr(podCidr);
  const host = cni.gatewayForPodCidr(podCidr).address;
  const netns = `kldnsbench-${process.pid}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-dns-bench-'));
  const net = new cni.CniNetwork({ bridge, podCidr, dataDir });
  const attachment = { containerId: `kldnsbench${process.pid}`, netnsPath: cni.netnsPath(netns), portMappings: [] };
  let result: unknown;
  return {
    host,
    prepare: async () => {
      await cni.ensureBridge(bridge, podCidr);
    },
    run: async (input) => {
      await cni.createNetns(netns);
      result = (await net.add(attachment)).result;
      // The input (thousands of names) goes on stdin: too long for a command line.
      const child = spawn('ip', ['netns', 'exec', netns, process.execPath, new URL(import.meta.url).pathname, '--client'], { stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdin.end(JSON.stringify(input));
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (code !== 0) throw new Error(`the load in the pod netns exited with ${code}`);
      return JSON.parse(out) as PhaseResult[];
    },
    close: async () => {
      if (result !== undefined) await net.del(attachment, result).catch(() => {});
      await cni.deleteNetns(netns).catch(() => {});
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const [{ Client }, { FakeApiServer }, { DnsManager }, { createLogger }] = await Promise.all([
    import('../src/client/index.ts'),
    import('../src/client/testing/fake-apiserver.ts'),
    import('../src/dns/index.ts'),
    import('../src/machinery/index.ts'),
  ]);
  const services = arg('services', 1000);
  const queries = arg('queries', 20000);
  const concurrency = arg('concurrency', 32);

  const api = await new FakeApiServer().start();
  const client = new Client({ server: api.url, token: api.token, caData: api.ca });
  api.put('namespaces', { metadata: { name: 'bench' } });
  for (let i = 0; i < services; i++) {
    const headless = i % 10 === 0;
    api.put('services', {
      metadata: { namespace: 'bench', name: `svc-${i}` },
      spec: { clusterIP: headless ? 'None' : `10.43.${(i >> 8) & 255}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    if (headless) {
      api.put('discovery.k8s.io/endpointslices', {
        metadata: { namespace: 'bench', name: `svc-${i}-x`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
        addressType: 'IPv4',
        endpoints: [1, 2, 3].map((e) => ({ addresses: [`10.42.${e}.${i & 255}`], conditions: { ready: true } })),
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      });
    }
  }

  // The fake upstream: an A record for any name, at once.
  const upstream = createSocket('udp4');
  upstream.on('message', (msg, r) => {
    const q = dnsPacket.decode(msg);
    const name = q.questions![0]!.name;
    upstream.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name, ttl: 60, data: '192.0.2.1' }] }), r.port, r.address);
  });
  await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.2', () => resolve()));

  const fromPod = process.argv.includes('--from-pod') ? await podSetup() : undefined;
  const host = fromPod?.host ?? '127.0.0.1';
  const stop = new AbortController();
  let listening: (port: number) => void;
  const ready = new Promise<number>((resolve) => (listening = resolve));
  const manager = new DnsManager({
    client, nodeName: 'bench', listen: { host, port: fromPod ? 53 : 0 }, clusterDomain: 'cluster.local', clusterDns: ['10.43.0.10'],
    upstreams: [{ host: '127.0.0.2', port: upstream.address().port }], publishEndpoint: false,
    logger: createLogger('dns-bench'), onListening: (a) => listening(a.port), ...(fromPod ? { prepare: fromPod.prepare } : {}),
  });
  const running = manager.run(stop.signal);
  const port = await ready;
  // Wait until the last Service answers (informers synced).
  for (let i = 0; i < 500; i++) {
    const probe = createSocket('udp4');
    const rcode = await new Promise<number>((resolve) => {
      probe.on('message', (m) => resolve(m.readUInt16BE(2) & 0xf));
      probe.send(dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: `svc-${services - 1}.bench.svc.cluster.local`, type: 'A' }] }), port, host);
      setTimeout(() => resolve(-1), 200);
    });
    probe.close();
    if (rcode === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }

  const rnd = (n: number) => Math.floor(Math.random() * n);
  const phases: Phase[] = [
    { name: 'cluster', names: Array.from({ length: 5000 }, () => `svc-${rnd(services)}.bench.svc.cluster.local`) },
    { name: 'nxdomain', names: Array.from({ length: 5000 }, () => `nope-${rnd(services)}.bench.svc.cluster.local`) },
    { name: 'forwarded', names: Array.from({ length: queries + 2000 }, (_, i) => `h${i}.example.org`) },
    { name: 'cached', names: Array.from({ length: 100 }, (_, i) => `c${i}.example.org`) },
  ];
  const input: WorkerInput = { host, port, queries, concurrency, phases };
  let results: PhaseResult[];
  try {
    if (fromPod) results = await fromPod.run(input);
    else {
      const w = new Worker(new URL(import.meta.url), { workerData: input });
      results = await new Promise<PhaseResult[]>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await w.terminate();
    }
  } finally {
    stop.abort();
    await running;
    await fromPod?.close();
  }
  const { loadavg } = await import('node:os');
  console.log(`cluster DNS: ${services} Services, ${queries} UDP queries per phase, ${concurrency} in flight, from ${fromPod ? 'a pod netns to the node gateway' : 'loopback'} (load ${loadavg()[0]!.toFixed(1)})`);
  for (const r of results) {
    console.log(`  ${r.name.padEnd(10)} ${Math.round(r.qps).toString().padStart(7)} queries/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms${r.errors ? `   ${r.errors} SERVFAIL` : ''}${r.lost ? `   ${r.lost} lost` : ''}`);
  }
  upstream.close();
  client.close();
  await api.stop();
}

const clientArg = process.argv.indexOf('--client');
if (clientArg > 0) {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  process.stdout.write(JSON.stringify(await load(JSON.parse(text) as WorkerInput)));
} else if (isMainThread) await main();
else parentPort!.postMessage(await load(workerData as WorkerInput));
