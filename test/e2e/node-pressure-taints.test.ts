/**
 * The node-pressure taints on a real node, through the real kubectl: memory pressure forced with
 * `--eviction-hard=memory.available<X` (X 3 GiB below what the machine has available when the test starts, as
 * test/e2e/pod-eviction.test.ts does) and a BestEffort pod filling a memory-backed emptyDir. While the node
 * reports MemoryPressure the node lifecycle controller keeps `node.kubernetes.io/memory-pressure:NoSchedule` on
 * it: a new BestEffort pod is not scheduled (Unschedulable, untolerated taint) while one tolerating the taint
 * is. Once the hog is evicted and the transition period (30 s here) has passed, the condition goes False, the taint is
 * removed, and the waiting pod is scheduled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { INode } from 'kubernetes-models/v1/Node';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, getPod, importBusybox, memoryHogYaml } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
const Mi = 1024 * 1024;
const TAINT = 'node.kubernetes.io/memory-pressure';

/** memory.available as the kubelet computes it: capacity − the root cgroup's working set. */
function memoryAvailable(): number {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  try {
    const usage = Number(readFileSync('/sys/fs/cgroup/memory/memory.usage_in_bytes', 'utf8'));
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(readFileSync('/sys/fs/cgroup/memory/memory.stat', 'utf8'))?.[1] ?? 0);
    return kb('MemTotal') - (usage - inactive);
  } catch {
    return kb('MemFree') + kb('Inactive\\(file\\)');
  }
}

const besteffort = (name: string, tolerate: boolean) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.35
    command: [sleep, "3600"]
${tolerate ? `  tolerations:\n  - { key: ${TAINT}, operator: Exists, effect: NoSchedule }\n` : ''}`;

test('memory-pressure taint while the condition holds: BestEffort pods wait, tolerating ones schedule', { skip: why, timeout: 600_000 }, async (t) => {
  const thresholdMi = Math.floor(memoryAvailable() / Mi) - 3072;
  const server = await startServer({
    runtime: 'oci',
    args: [`--eviction-hard=memory.available<${thresholdMi}Mi`, '--eviction-pressure-transition-period=30s'],
  });
  t.after(async () => {
    await deleteAllPods(server);
    await server.stop();
  });
  await importBusybox(server);
  const node = async () => (JSON.parse((await server.kubectl(['get', 'nodes', '-o', 'json'])).stdout) as { items: INode[] }).items[0]!;
  const tainted = (n: INode) => (n.spec?.taints ?? []).some((x) => x.key === TAINT && x.effect === 'NoSchedule');
  const pressure = (n: INode) => n.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status;
  assert.ok(!tainted(await node()), 'no memory-pressure taint before');

  await apply(server, memoryHogYaml(1));
  await untilWith(async () => {
    const n = await node();
    return pressure(n) === 'True' && tainted(n);
  }, 'MemoryPressure and the memory-pressure taint on the node', { timeoutMs: 240_000, intervalMs: 500 });

  await apply(server, besteffort('blocked', false));
  await apply(server, besteffort('tolerant', true));
  const tolerant = await untilWith(async () => {
    const p = await getPod(server, 'tolerant');
    return p?.spec?.nodeName ? p : undefined;
  }, 'the tolerating pod scheduled', { timeoutMs: 60_000, intervalMs: 300 });
  assert.ok(tolerant.spec?.nodeName);
  const blocked = await untilWith(async () => {
    const p = await getPod(server, 'blocked');
    const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
    return c?.status === 'False' && c.reason === 'Unschedulable' && p;
  }, 'the BestEffort pod unschedulable', { timeoutMs: 60_000, intervalMs: 300 });
  assert.equal(blocked.spec?.nodeName, undefined);
  assert.match(blocked.status!.conditions!.find((x) => x.type === 'PodScheduled')!.message ?? '', /untolerated taint \{node\.kubernetes\.io\/memory-pressure: \}/);

  // The hog is evicted, memory comes back; after the transition period the condition and the taint go.
  await untilWith(async () => {
    const n = await node();
    return pressure(n) === 'False' && !tainted(n);
  }, 'MemoryPressure False and the taint removed', { timeoutMs: 300_000, intervalMs: 1000 });
  await untilWith(async () => (await getPod(server, 'blocked'))?.spec?.nodeName, 'the waiting pod scheduled once the taint is gone', {
    timeoutMs: 120_000,
    intervalMs: 500,
  });
});
