#!/usr/bin/env node
/**
 * Simulated nodes at scale: one `kubeling agent --runtime fake --simulate N` against a `kubeling server` (no
 * node of its own; --kube-api-qps raised so the controllers keep up). Prints figures; asserts nothing.
 *
 *   node bench/simulated-nodes.ts [--nodes 1000] [--pods 10000] [--storage sqlite|memory]
 *
 * Reported: the time from the agent's start to every node Ready (each node asks for its own client
 * certificate first), the agent's RSS (VmRSS from /proc) with the nodes idle, after --pods pods of one
 * ReplicaSet are Running on them, and after another minute of heartbeats; the time to Running.
 *
 * Figures on the team's 2-core machine, shared with other engineers, 2026-12-07, sqlite, 1,000 nodes and 5,000
 * pods, run beside bench/scheduler.ts's last cases (load 8.7 at the start, 2.9 at the end):
 *
 *   agent start → all nodes Ready   205.7 s (1,000 certificate requests, 16 at a time, then registration)
 *   ReplicaSet → pods Running       5000/5000 in 272.6 s (--kube-api-qps 1000: the server is the limit)
 *   agent RSS                       idle 451 MiB, with the pods 523 MiB, a minute later 531 MiB
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Node, Pod, ReplicaSet } from '../src/api/index.ts';
import { Client } from '../src/client/index.ts';
import { KUBELING_BIN, startServer } from '../test/e2e/helpers/server.ts';

const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '10000' },
    storage: { type: 'string', default: 'sqlite' },
  },
});
const NODES = Number(flags.nodes);
const PODS = Number(flags.pods);
const load = () => loadavg()[0]!.toFixed(1);
const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const loadBefore = load();
const server = await startServer({ storage: flags.storage as 'sqlite' | 'memory', runtime: 'fake', noAgent: true, args: ['--kube-api-qps', '1000', '--kube-api-burst', '2000'] });
const client = (await Client.fromKubeconfig(server.kubeconfig)).with({ qps: 0 });
const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-simulated-'));
const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
const agent = spawn(process.execPath, [KUBELING_BIN, 'agent', '--server', server.url, '--token', token, '--data-dir', dir, '--runtime', 'fake', '--simulate', String(NODES)], { stdio: 'ignore' });
try {
  const start = performance.now();
  for (;;) {
    const nodes = (await client.resource<Node>('nodes').list()).items;
    if (nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= NODES) break;
    await sleep(1000);
  }
  const ready = (performance.now() - start) / 1000;
  await sleep(15_000);
  const idle = rssMiB(agent.pid!);
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'many', namespace: 'default' },
    spec: { replicas: PODS, selector: { matchLabels: { app: 'many' } }, template: { metadata: { labels: { app: 'many' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '10m' } } }] } } },
  };
  const podsStart = performance.now();
  await client.resource<ReplicaSet>('replicasets', 'default').create(rs);
  let running = 0;
  while (running < PODS && performance.now() - podsStart < 1_800_000) {
    await sleep(5000);
    running = (await client.resource<Pod>('pods', 'default').listAll({ labelSelector: 'app=many' })).items.filter((p) => p.status?.phase === 'Running').length;
  }
  const podsTime = (performance.now() - podsStart) / 1000;
  const withPods = rssMiB(agent.pid!);
  await sleep(60_000);
  const later = rssMiB(agent.pid!);
  console.log(`simulated nodes: ${NODES} nodes in one agent, ${PODS} pods, ${flags.storage} (load ${loadBefore} → ${load()})`);
  console.log(`  agent start → all nodes Ready   ${ready.toFixed(1)} s`);
  console.log(`  ReplicaSet → pods Running       ${running}/${PODS} in ${podsTime.toFixed(1)} s`);
  console.log(`  agent RSS                      idle ${idle} MiB, with the pods ${withPods} MiB, a minute later ${later} MiB`);
} finally {
  agent.kill('SIGTERM');
  await new Promise((r) => (agent.exitCode !== null ? r(undefined) : agent.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
  client.close();
  await server.stop();
}
