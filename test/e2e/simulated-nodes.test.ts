/**
 * Simulated nodes at small scale: one `kubeling agent --simulate 100` process against a `kubeling server`
 * (no node of its own), 2,000 pods through one ReplicaSet. Every pod ends Running and Ready on a simulated
 * node, no node carries more than its capacity (pods and cpu), and every pod was bound exactly once: a watch
 * from before the ReplicaSet sees each pod get its node once and keep it, and the scheduler counts exactly
 * 2,000 successful attempts. Then `kubeling simulate kill` silences a node (its Lease stops being renewed)
 * and `revive` brings it back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Pod, ReplicaSet } from '../../src/api/index.ts';
import type { ILease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import type { ServerHandle } from './helpers/server.ts';
import { KUBELING_BIN } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until, untilWith } from './helpers/until.ts';
import { Client } from '../../src/client/index.ts';

const NODES = 100;
const PODS = 2000;
const CAPACITY = { pods: 25, milliCpu: 4000 };
const POD_CPU_MILLI = 100;

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'sqlite', runtime: 'fake', noAgent: true, args: ['--kube-api-qps', '300', '--kube-api-burst', '600'] }, (s) => ({ server, client } = s));

const milli = (q: string | undefined) => (q === undefined ? 0 : q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);

function simulate(agent: AgentHandle, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [KUBELING_BIN, 'simulate', ...args, '--data-dir', agent.dataDir], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

test(`${PODS} pods of a ReplicaSet run on ${NODES} simulated nodes of one agent, none over capacity, each bound once`, { timeout: 300_000 }, async () => {
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agent = startAgent(server, {
    runtime: 'fake', label: 'simulated',
    args: ['--token', token, '--simulate', String(NODES), '--node-name-prefix', 'sim-', '--node-capacity', `cpu=${CAPACITY.milliCpu / 1000},memory=32Gi,pods=${CAPACITY.pods}`],
  });
  const watchStop = new AbortController();
  let watching: Promise<void> = Promise.resolve();
  try {
    const nodes = client.resource<Node>('nodes');
    await untilWith(async () => {
      const items = (await nodes.list()).items;
      return items.length === NODES && items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, `${NODES} Ready simulated nodes`, { timeoutMs: 120_000, detail: () => agent.stderr().slice(-2000) });
    const one = await nodes.get('sim-7');
    assert.equal(one.status?.capacity?.pods, String(CAPACITY.pods));
    assert.equal(one.status?.allocatable?.cpu, String(CAPACITY.milliCpu / 1000));

    // Every nodeName each pod ever had, and whether it is Running and Ready now, from a watch started before
    // the first pod exists (polling 2,000 pods would cost the server more than running them).
    const pods = client.resource<Pod>('pods', 'default');
    const boundTo = new Map<string, string[]>();
    const readyNow = new Set<string>();
    watching = (async () => {
      for await (const ev of pods.watch({ labelSelector: 'app=many', resourceVersion: '0' }, watchStop.signal)) {
        const uid = ev.object.metadata?.uid ?? '';
        const ready = ev.type !== 'DELETED' && ev.object.status?.phase === 'Running' && ev.object.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready) readyNow.add(uid);
        else readyNow.delete(uid);
        const node = ev.object.spec?.nodeName;
        if (!node) continue;
        const seen = boundTo.get(uid) ?? [];
        if (seen.at(-1) !== node) seen.push(node);
        boundTo.set(uid, seen);
      }
    })().catch(() => {});

    const rs: ReplicaSet = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'many' },
      spec: {
        replicas: PODS,
        selector: { matchLabels: { app: 'many' } },
        template: {
          metadata: { labels: { app: 'many' } },
          spec: { containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: `${POD_CPU_MILLI}m`, memory: '64Mi' } } }] },
        },
      },
    };
    await client.resource<ReplicaSet>('replicasets', 'default').create(rs);
    await untilWith(() => readyNow.size === PODS, `${PODS} Running and Ready pods`, { timeoutMs: 240_000, intervalMs: 1000, detail: () => `${readyNow.size} ready; ${agent.stderr().slice(-2000)}` });
    const running = (await pods.listAll({ labelSelector: 'app=many' })).items;
    assert.ok(running.every((p) => p.status?.phase === 'Running'), 'every pod Running');
    assert.equal(running.length, PODS);

    const perNode = new Map<string, { pods: number; milliCpu: number }>();
    for (const p of running) {
      const node = p.spec?.nodeName ?? '';
      assert.match(node, /^sim-\d+$/);
      assert.ok(p.status?.podIP, `${p.metadata?.name} has a pod IP`);
      const n = perNode.get(node) ?? { pods: 0, milliCpu: 0 };
      n.pods++;
      n.milliCpu += milli(p.spec?.containers[0]?.resources?.requests?.cpu as string | undefined);
      perNode.set(node, n);
    }
    for (const [node, n] of perNode) {
      assert.ok(n.pods <= CAPACITY.pods, `${node} carries ${n.pods} pods, over its capacity of ${CAPACITY.pods}`);
      assert.ok(n.milliCpu <= CAPACITY.milliCpu, `${node} carries ${n.milliCpu}m cpu, over its ${CAPACITY.milliCpu}m`);
    }
    await until(async () => boundTo.size === PODS, 'the watch to have seen every pod bound');
    for (const [uid, seen] of boundTo) assert.equal(seen.length, 1, `pod ${uid} was bound to ${seen.join(', ')}`);
    const metrics = await server.kubectl(['get', '--raw', '/metrics']);
    const scheduled = /^scheduler_schedule_attempts_total\{[^}]*result="scheduled"[^}]*\} (\d+)$/m.exec(metrics.stdout);
    assert.equal(Number(scheduled?.[1]), PODS, 'the scheduler bound exactly one pod per pod');

    // Kill a node: its Lease stops moving while the others' go on. Revive it: it renews again.
    const leases = client.resource<ILease>('leases', 'kube-node-lease');
    const renewed = async (node: string) => (await leases.get(node)).spec?.renewTime;
    const nextRenewal = async (node: string) => {
      const before = await renewed(node);
      await until(async () => (await renewed(node)) !== before, `${node} to renew its lease`, 30_000);
    };
    assert.equal(simulate(agent, 'kill', 'sim-3').code, 0);
    assert.match(simulate(agent, 'list').out, /^sim-3 killed$/m);
    await nextRenewal('sim-4');
    const silent = await renewed('sim-3');
    await nextRenewal('sim-4');
    assert.equal(await renewed('sim-3'), silent, 'a killed node renews nothing');
    const refused = simulate(agent, 'kill', 'sim-3');
    assert.equal(refused.code, 1);
    assert.match(refused.out, /already killed/);
    assert.equal(simulate(agent, 'revive', 'sim-3').code, 0);
    await nextRenewal('sim-3');
  } finally {
    watchStop.abort();
    await watching;
    await agent.stop();
  }
});
