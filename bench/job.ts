#!/usr/bin/env node
/**
 * Job throughput on simulated nodes. Prints figures; asserts nothing.
 *
 *   node bench/job.ts [--completions 1000] [--parallelism 100] [--agents 2] [--storage sqlite|memory]
 *
 * Set-up: `kubeling server --runtime fake` (its own node simulated by the fake runtime) and --agents more
 * `kubeling agent --runtime fake` nodes joined to it. One Job of --completions pods of `sh -c 'exit 0'` (the
 * fake runtime exits them 10 ms after start) at --parallelism, created through the API; the Job is watched
 * until its Complete condition. Reported: completions/s over the whole run (create → Complete), the time to
 * the first and to half of the completions, and the pods made (every one must be counted exactly once:
 * status.succeeded equals the pods that succeeded).
 *
 * Figures on the team's 2-core machine, shared with other engineers (load average in brackets; they move a lot
 * with the load), 2026-12-07, defaults (1,000 completions, parallelism 100, the server's node + 2 agents, sqlite):
 *
 *   load 14.9 → 19.8    create → Complete 381 s: 2.6 completions/s; first 5.6 s, half 143 s
 *                       1,000 pods succeeded, status.succeeded 1000, status.failed 1 (one surplus active pod
 *                       deleted near the end, counted as failed as upstream counts deleted pods)
 *   (200 completions, parallelism 50, 2 nodes, load 12.5 → 16.4: 24 s, 8.2 completions/s)
 *   again later that day (scheduler with VolumeBinding, a local-path provisioner per node), load 14.5 → 19.1:
 *                       create → Complete 256 s: 3.9 completions/s; first 7.7 s, half 122 s; 1,000 pods
 *                       succeeded, status.succeeded 1000, failed 0
 *
 * The controller manager's client limit (QPS 20, burst 30, as kube-controller-manager's) bounds it: each pod
 * costs a create, a SuccessfulCreate event and a finalizer patch, plus its share of the Job status writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Job, Pod } from '../src/api/index.ts';
import { Client } from '../src/client/index.ts';
import { startServer } from '../test/e2e/helpers/server.ts';

const { values: flags } = parseArgs({
  options: {
    completions: { type: 'string', default: '1000' },
    parallelism: { type: 'string', default: '100' },
    agents: { type: 'string', default: '2' },
    storage: { type: 'string', default: 'sqlite' },
  },
});
const COMPLETIONS = Number(flags.completions);
const PARALLELISM = Number(flags.parallelism);
const AGENTS = Number(flags.agents);
const STORAGE = flags.storage as 'sqlite' | 'memory';
const BIN = new URL('../src/cmd/kubeling.ts', import.meta.url).pathname;

const load = () => loadavg()[0]!.toFixed(1);

async function main(): Promise<void> {
  const loadBefore = load();
  const server = await startServer({ storage: STORAGE, runtime: 'fake' });
  const agents: { child: ChildProcess; dir: string }[] = [];
  const client = await Client.fromKubeconfig(server.kubeconfig);
  try {
    const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
    for (let i = 0; i < AGENTS; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-agent-'));
      const child = spawn(process.execPath, [BIN, 'agent', '--server', server.url, '--token', token, '--node-name', `sim-${i}`, '--data-dir', dir, '--runtime', 'fake'], { stdio: 'ignore' });
      agents.push({ child, dir });
    }
    const nodes = client.resource('nodes');
    for (;;) {
      const ready = (await nodes.list()).items.filter((n) => (n as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      if (ready.length >= AGENTS + 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const jobs = client.resource<Job>('jobs', 'default');
    const start = performance.now();
    await jobs.create({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'bench' },
      spec: {
        completions: COMPLETIONS, parallelism: PARALLELISM, backoffLimit: COMPLETIONS,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.35', command: ['sh', '-c', 'exit 0'] }] } },
      },
    });
    let first: number | undefined;
    let half: number | undefined;
    let job: Job;
    for (;;) {
      job = await jobs.get('bench');
      const succeeded = job.status?.succeeded ?? 0;
      const now = performance.now() - start;
      if (succeeded > 0) first ??= now;
      if (succeeded >= COMPLETIONS / 2) half ??= now;
      if (job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) break;
      if (job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')) throw new Error('the Job failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    const total = (performance.now() - start) / 1000;
    const pods = (await client.resource<Pod>('pods', 'default').listAll({ labelSelector: 'batch.kubernetes.io/job-name=bench' })).items;
    const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    console.log(`job: ${COMPLETIONS} completions, parallelism ${PARALLELISM}, ${AGENTS + 1} simulated nodes, ${STORAGE} (load ${loadBefore} → ${load()})`);
    console.log(`  create → Complete       ${total.toFixed(1)} s   ${(COMPLETIONS / total).toFixed(1)} completions/s`);
    console.log(`  first / half completed  ${((first ?? 0) / 1000).toFixed(1)} s / ${((half ?? 0) / 1000).toFixed(1)} s`);
    console.log(`  pods ${pods.length}, succeeded ${succeededPods}, status.succeeded ${job.status?.succeeded}, failed ${job.status?.failed ?? 0}`);
  } finally {
    // Pods go before their nodes: a stopped kubelet leaves its pods' volume mounts behind, as upstream's does.
    await client.resource<Job>('jobs', 'default').delete('bench', { propagationPolicy: 'Background' }).catch(() => undefined);
    const pods = client.resource<Pod>('pods', 'default');
    for (let i = 0; i < 600; i++) {
      const left = (await pods.listAll({ labelSelector: 'batch.kubernetes.io/job-name=bench' }).catch(() => ({ items: [] }))).items;
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    client.close();
    for (const a of agents) {
      a.child.kill('SIGTERM');
      await new Promise((r) => (a.child.exitCode !== null ? r(undefined) : a.child.once('exit', r)));
      rmSync(a.dir, { recursive: true, force: true });
    }
    await server.stop();
  }
}

await main();
