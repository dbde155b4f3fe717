/**
 * The QoS parent cgroups on a real node: once the kubelet runs, `kubepods` is limited to the node's memory
 * capacity with cpu shares for its cores (upstream's node allocatable enforcement, `pods` level) and
 * `kubepods/besteffort` holds the minimum 2 shares (upstream's QOS container manager); a Burstable pod's own
 * cgroup sits under `kubepods/burstable`. The test first puts the kernel's defaults back (unlimited memory,
 * 1024 shares), so the values it reads are the kubelet's. The Burstable tier's sum of requests is not read
 * here: every node on this machine shares `kubepods` (test/integration/qos-cgroups.test.ts proves it under a
 * cgroup of its own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INode } from 'kubernetes-models/v1/Node';
import { parseQuantity } from '../../src/api/index.ts';
import { cpuSharesToCpuWeight } from '../../src/kubelet/cm/index.ts';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, importBusybox, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
const ROOT = '/sys/fs/cgroup';
const v2 = existsSync(join(ROOT, 'cgroup.controllers'));
const file = (controller: string, rel: string, v1File: string, v2File: string) =>
  v2 ? join(ROOT, rel, v2File) : join(ROOT, controller, rel, v1File);
const cpuFile = (rel: string) => file('cpu', rel, 'cpu.shares', 'cpu.weight');
const memFile = (rel: string) => file('memory', rel, 'memory.limit_in_bytes', 'memory.max');
const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const shares = (n: number) => String(v2 ? cpuSharesToCpuWeight(n) : n);

test('QoS parent cgroups: kubepods limited to the node, besteffort at the minimum', { skip: why, timeout: 300_000 }, async (t) => {
  // The kernel's defaults back, where the tree exists already (an earlier node made it).
  const reset = (f: string, value: string) => {
    if (existsSync(f)) writeFileSync(f, value);
  };
  reset(cpuFile('kubepods/besteffort'), v2 ? '100' : '1024');
  reset(memFile('kubepods'), v2 ? 'max' : '-1');

  const server = await startServer({ runtime: 'oci' });
  t.after(async () => {
    await deleteAllPods(server);
    await server.stop();
  });
  const node = JSON.parse((await server.kubectl(['get', 'nodes', '-o', 'json'])).stdout).items[0] as INode;
  const capacityMemory = parseQuantity(node.status!.capacity!.memory!).value();
  const cores = Number(node.status!.capacity!.cpu);

  await untilWith(
    async () => read(cpuFile('kubepods/besteffort')) === shares(2),
    `kubepods/besteffort at 2 shares (now ${read(cpuFile('kubepods/besteffort'))})`,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  assert.equal(read(memFile('kubepods')), String(capacityMemory));
  assert.equal(read(cpuFile('kubepods')), shares(cores * 1024));

  await importBusybox(server);
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: burst
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.35
    command: [sleep, "3600"]
    resources: { requests: { cpu: 100m } }
`,
  );
  const pod = await waitForPod(server, 'burst', running, 'running', 120_000);
  assert.ok(existsSync(cpuFile(`kubepods/burstable/pod${pod.metadata!.uid}`)), 'the Burstable pod cgroup is under kubepods/burstable');
  // Still set after a pod start (the start path asks for an update too).
  assert.equal(read(cpuFile('kubepods/besteffort')), shares(2));
});
