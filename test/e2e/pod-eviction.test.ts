/**
 * Node-pressure eviction on real containers, through the real kubectl:
 *
 *   1. an emptyDir with `sizeLimit: 1Mi` into which its container writes 4 MiB: the pod is evicted (Failed,
 *      reason Evicted, upstream's message, a DisruptionTarget condition) with no node pressure at all;
 *   2. memory pressure forced with `--eviction-hard=memory.available<X`, X 3 GiB below what the machine has
 *      available when the test starts (a wide margin: the machine is shared): a Burstable pod using less than
 *      it requests and a BestEffort pod filling a memory-backed emptyDir 32 MiB at a time (at most 6 GiB)
 *      until it is evicted. The BestEffort pod is evicted first (the Burstable one, if at all, only after it),
 *      and the node reports MemoryPressure with upstream's reason (kept for the 2 min transition period; the
 *      `node.kubernetes.io/memory-pressure` taint is the node lifecycle controller's to add from it).
 *
 * Every pod is deleted at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { INode } from 'kubernetes-models/v1/Node';
import { Quantity } from '../../src/api/index.ts';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, deleteAndCheckClean, getPod, importBusybox, memoryHogYaml, podEvents, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
const Mi = 1024 * 1024;

/** memory.available as the kubelet computes it: capacity − the root cgroup's working set. */
function memoryAvailable(): number {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  const total = kb('MemTotal');
  try {
    const usage = Number(readFileSync('/sys/fs/cgroup/memory/memory.usage_in_bytes', 'utf8'));
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(readFileSync('/sys/fs/cgroup/memory/memory.stat', 'utf8'))?.[1] ?? 0);
    return total - (usage - inactive);
  } catch {
    return kb('MemFree') + kb('Inactive\\(file\\)');
  }
}

const evicted = (p: { status?: { phase?: string; reason?: string } }) => p.status?.phase === 'Failed' && p.status.reason === 'Evicted';

test('node-pressure eviction: emptyDir over its sizeLimit, then memory pressure in QoS order', { skip: why, timeout: 600_000 }, async (t) => {
  const thresholdMi = Math.floor(memoryAvailable() / Mi) - 3072;
  const threshold = Quantity.fromValue(thresholdMi * Mi, 'BinarySI').toString();
  const server = await startServer({
    runtime: 'oci',
    args: [`--eviction-hard=memory.available<${thresholdMi}Mi`, '--eviction-pressure-transition-period=2m'],
  });
  t.after(async () => {
    await deleteAllPods(server);
    await server.stop();
  });
  await importBusybox(server);

  // ---- 1. emptyDir sizeLimit
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: scratch
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: writer
    image: busybox:1.35
    command: [sh, -c, "dd if=/dev/zero of=/data/fill bs=1M count=4 && sleep 3600"]
    volumeMounts: [{ name: scratch, mountPath: /data }]
  volumes:
  - name: scratch
    emptyDir: { sizeLimit: 1Mi }
`,
  );
  const scratch = await waitForPod(server, 'scratch', evicted, 'evicted for its emptyDir', 120_000);
  assert.equal(scratch.status?.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
  const disruption = scratch.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  assert.equal(disruption?.status, 'True');
  assert.equal(disruption?.reason, 'TerminationByKubelet');
  await waitForPod(server, 'scratch', (p) => !!p.status?.containerStatuses?.[0]?.state?.terminated && evicted(p), 'its container stopped', 60_000);
  const events = await podEvents(server, 'scratch');
  assert.ok(events.some((e) => e.startsWith('Evicted: Usage of EmptyDir volume "scratch"')), events.join('\n'));
  await deleteAndCheckClean(server, 'scratch');

  // ---- 2. memory pressure: BestEffort before Burstable
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: burstable
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: app
    image: busybox:1.35
    command: [sh, -c, "dd if=/dev/zero of=/mem/fill bs=1M count=20 && echo filled && sleep 3600"]
    resources: { requests: { memory: 200Mi } }
    volumeMounts: [{ name: mem, mountPath: /mem }]
  volumes:
  - name: mem
    emptyDir: { medium: Memory }
`,
  );
  await waitForPod(server, 'burstable', running, 'running', 120_000);
  await untilWith(async () => (await server.kubectl(['logs', 'burstable'])).stdout.includes('filled'), 'burstable filled its memory', { timeoutMs: 60_000, intervalMs: 500 });
  await apply(server, memoryHogYaml(5));
  const hog = await waitForPod(server, 'hog', evicted, 'evicted under memory pressure', 180_000);
  assert.match(
    hog.status?.message ?? '',
    new RegExp(`^The node was low on resource: memory\\. Threshold quantity: ${threshold}, available: \\d+Ki\\. Container hog was using \\d+(Ki|Mi|Gi), request is 0, has larger consumption of memory\\. $`),
  );
  assert.equal(hog.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'TerminationByKubelet');
  // The Burstable pod (under its request) was not evicted before the BestEffort one.
  const burstable = await getPod(server, 'burstable');
  if (evicted(burstable ?? {})) {
    const at = (p: typeof hog | undefined) => Date.parse(p?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.lastTransitionTime ?? '');
    assert.ok(at(burstable) >= at(hog), 'the Burstable pod went after the BestEffort one');
  }

  // The node said so: MemoryPressure with upstream's reason.
  let lastNode: INode | undefined;
  const node = await untilWith(
    async () => {
      const r = await server.kubectl(['get', 'nodes', '-o', 'json']);
      const n = (lastNode = (JSON.parse(r.stdout) as { items: INode[] }).items[0]);
      const cond = n?.status?.conditions?.find((c) => c.type === 'MemoryPressure');
      return cond?.status === 'True' && n;
    },
    'MemoryPressure on the node',
    { timeoutMs: 60_000, intervalMs: 300, detail: () => `last seen: ${JSON.stringify({ spec: lastNode?.spec, conditions: lastNode?.status?.conditions })}\nserver log tail:\n${server.stderr().slice(-3000)}` },
  );
  assert.equal(node.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.reason, 'KubeletHasInsufficientMemory');
  await waitForPod(server, 'hog', (p) => !!p.status?.containerStatuses?.[0]?.state?.terminated && evicted(p), 'its container stopped', 60_000);
  const get = await server.kubectl(['get', 'pod', 'hog']);
  // STATUS is the pod reason until the containers are terminated, then (as upstream prints it) theirs.
  assert.match(get.stdout, /hog\s+0\/1\s+(Evicted|Error)\s/);
});
