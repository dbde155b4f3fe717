#!/usr/bin/env node
/**
 * DaemonSet rollout benchmark: runs the real `kubeling server --no-agent` (memory store, scheduler and
 * controllers on, `--node-monitor-grace-period 1h`) with N hand-made Ready Node objects, and plays the
 * kubelets from this process: a pod bound to a node is made Running and Ready through the status
 * subresource, a pod being deleted is removed at once (grace period 0). It measures:
 *
 *   create   DaemonSet created                 → numberAvailable N (every node runs a ready daemon pod)
 *   rollout  template changed (a new image)    → updatedNumberScheduled N and numberAvailable N
 *
 * with the set's RollingUpdate maxUnavailable given by --max-unavailable (default 10%). The figures include
 * the scheduler binding each pod, the status writes made here and the controller manager's client limit
 * (QPS 20, burst 30): with one create and one delete per node per rollout that limit dominates. Prints
 * figures only. Usage:
 *   node bench/daemonset.ts [--nodes 100] [--max-unavailable 10%]
 *
 * Figures on the team's shared 2-core machine (2026-12-07, other engineers' work running alongside), 100
 * nodes, maxUnavailable 10%:
 *   create → 100 available daemon pods           4.9 s
 *   image change → 100 updated and available     13.3 s   (10 waves of delete, create, bind, Ready)
 * again later that day (load 15), with the scheduler's VolumeBinding plugin: create 7.1 s, image change 13.7 s.
 */
import { parseArgs } from 'node:util';
import type { DaemonSet, Node, Pod } from '../src/api/index.ts';
import { Client, Informer } from '../src/client/index.ts';
import { startServer } from '../test/e2e/helpers/server.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '100' }, 'max-unavailable': { type: 'string', default: '10%' } } });
const NODES = Number(values.nodes);
const MAX_UNAVAILABLE = /^\d+$/.test(values['max-unavailable']!) ? Number(values['max-unavailable']) : values['max-unavailable']!;
const NS = 'default';

async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const server = await startServer({ runtime: 'fake', storage: 'memory', noAgent: true, args: ['--node-monitor-grace-period', '1h'] });
const client = await Client.fromKubeconfig(server.kubeconfig);
const ac = new AbortController();
try {
  const nodes = client.resource<Node>('nodes');
  await pool(Array.from({ length: NODES }, (_, i) => `bench-${String(i).padStart(3, '0')}`), 16, async (name) => {
    await nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
    const now = new Date().toISOString();
    await nodes.patchStatus(name, { status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
    } }, 'merge');
  });

  // The kubelets: run what is bound, remove what is being deleted.
  const pods = client.resource<Pod>('pods', NS);
  const informer = new Informer<Pod>(pods);
  const act = (pod: Pod) => {
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp) {
      void pods.delete(name, { gracePeriodSeconds: 0 }).catch(() => {});
    } else if (pod.spec?.nodeName && pod.status?.phase !== 'Running') {
      const now = new Date().toISOString();
      void pods.patchStatus(name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, 'merge').catch(() => {});
    }
  };
  informer.onAdd(act).onUpdate((_old, pod) => act(pod));
  void informer.run(ac.signal);
  await informer.synced;

  const sets = client.resource<DaemonSet>('daemonsets', NS);
  const ds = (image: string): DaemonSet => ({
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'bench' },
    spec: {
      selector: { matchLabels: { app: 'bench' } },
      template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: MAX_UNAVAILABLE } },
    },
  });
  const rolledOut = async () => {
    const s = await sets.get('bench');
    return s.status?.observedGeneration === s.metadata?.generation && s.status?.desiredNumberScheduled === NODES &&
      s.status?.updatedNumberScheduled === NODES && s.status?.numberAvailable === NODES;
  };

  let t0 = performance.now();
  await sets.create(ds('busybox:1.35'));
  await waitFor('the first rollout', rolledOut);
  const create = performance.now() - t0;

  t0 = performance.now();
  await sets.patch('bench', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } }, 'strategic');
  await waitFor('the update', rolledOut);
  const rollout = performance.now() - t0;

  console.log(`DaemonSet on ${NODES} simulated nodes, RollingUpdate maxUnavailable ${MAX_UNAVAILABLE}`);
  console.log(`  create → ${NODES} available daemon pods       ${(create / 1000).toFixed(1)} s`);
  console.log(`  image change → ${NODES} updated and available  ${(rollout / 1000).toFixed(1)} s`);
} finally {
  ac.abort();
  client.close();
  await server.stop();
}
