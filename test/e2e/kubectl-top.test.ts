/**
 * `kubectl top` on real containers: a pod spinning a busy loop shows in `kubectl top pod` with CPU above zero
 * and a memory figure, `--containers` lists its container, and `kubectl top node` lists the node. The figures
 * travel kubelet cgroups → `/stats/summary` → the server's built-in `metrics.k8s.io/v1beta1` → kubectl; the
 * first CPU rate needs two samples, so each command is retried until kubectl prints figures. The kubelet's
 * Summary is also read through `nodes/NAME/proxy/stats/summary`: the pod's network counters grow after it
 * fetches over its network and its container's rootfs after it writes a file; and `/metrics/resource` lists the
 * pod's container in upstream's Prometheus names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, importBusybox, nodeName, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();

/** The row of `kubectl top` output whose first cells are `first`, split into cells. */
function row(stdout: string, ...first: string[]): string[] | undefined {
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((cells) => first.every((f, i) => cells[i] === f));
}

test('kubectl top pod, pod --containers and node on real containers', { skip: why, timeout: 300_000 }, async (t) => {
  const server = await startServer({ runtime: 'oci' });
  t.after(async () => {
    await deleteAllPods(server);
    await server.stop();
  });
  await importBusybox(server);
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: spinner
  labels: { app: spinner }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: busy
    image: busybox:1.35
    command: [sh, -c, "while :; do :; done"]
    env:
    - name: HOST_IP
      valueFrom: { fieldRef: { fieldPath: status.hostIP } }
`,
  );
  await waitForPod(server, 'spinner', running, 'running', 120_000);

  // The metrics group is in discovery (kubectl top checks it there first).
  const versions = await server.kubectl(['api-versions']);
  assert.match(versions.stdout, /^metrics\.k8s\.io\/v1beta1$/m);

  let last = '';
  const top = async (args: string[], ...first: string[]) =>
    untilWith(
      async () => {
        const r = await server.kubectl(['top', ...args]);
        last = `${r.stdout}${r.stderr}`;
        return r.code === 0 && row(r.stdout, ...first);
      },
      `kubectl top ${args.join(' ')} lists ${first.join(' ')}`,
      { timeoutMs: 90_000, intervalMs: 1000, detail: () => `last output:\n${last}` },
    );

  const pod = await top(['pod', '-l', 'app=spinner'], 'spinner');
  // NAME CPU(cores) MEMORY(bytes): a busy loop uses CPU (millicores above zero) and some memory.
  assert.match(pod[1]!, /^\d+m$/);
  assert.ok(Number(pod[1]!.slice(0, -1)) > 0, `CPU ${pod[1]}`);
  assert.match(pod[2]!, /^\d+Mi$/);

  const containers = await top(['pod', 'spinner', '--containers'], 'spinner', 'busy');
  assert.match(containers[2]!, /^\d+m$/);
  assert.match(containers[3]!, /^\d+Mi$/);

  const node = await nodeName(server);
  const nodeRow = await top(['node'], node);
  // NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%)
  assert.match(nodeRow[1]!, /^\d+m$/);
  assert.match(nodeRow[2]!, /^\d+%$/);
  assert.match(nodeRow[3]!, /^\d+Mi$/);

  // The kubelet's Summary itself, through nodes/NAME/proxy.
  const raw = await server.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`]);
  assert.equal(raw.code, 0, raw.stderr);
  const summary = JSON.parse(raw.stdout) as { node: { nodeName: string; cpu: { usageCoreNanoSeconds: number } }; pods: { podRef: { name: string }; containers: { name: string; memory: { workingSetBytes: number } }[] }[] };
  assert.equal(summary.node.nodeName, node);
  assert.ok(summary.node.cpu.usageCoreNanoSeconds > 0);
  const spinner = summary.pods.find((p) => p.podRef.name === 'spinner');
  assert.equal(spinner?.containers[0]?.name, 'busy');
  assert.ok(spinner.containers[0].memory.workingSetBytes > 0);

  // Network and rootfs: read the Summary, make the pod fetch over its network and write 4 MiB, read again.
  type Fs = { usedBytes: number; capacityBytes: number; availableBytes: number };
  type Net = { rxBytes: number; txBytes: number; interfaces: { name: string }[] };
  type PodStats = { podRef: { name: string }; network?: Net; containers: { name: string; rootfs?: Fs; logs?: Fs }[]; 'ephemeral-storage'?: Fs };
  const spinnerStats = async () => {
    const r = await server.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { node: { fs?: Fs; runtime?: { imageFs?: Fs } }; pods: PodStats[] };
    return { node: s.node, pod: s.pods.find((p) => p.podRef.name === 'spinner')! };
  };
  const before = await untilWith(async () => {
    const s = await spinnerStats();
    return s.pod?.network && s.pod.containers[0]?.rootfs && s;
  }, 'the Summary has the pod network and rootfs', { timeoutMs: 30_000 });
  assert.deepEqual(before.pod.network!.interfaces.map((i) => i.name), ['eth0']);
  assert.ok(before.node.fs!.capacityBytes > 0 && before.node.runtime!.imageFs!.usedBytes > 0);
  const rootfs0 = before.pod.containers[0]!.rootfs!;
  assert.ok(rootfs0.capacityBytes >= rootfs0.availableBytes && rootfs0.availableBytes > 0);
  const fetched = await server.kubectl([
    'exec', 'spinner', '--', 'sh', '-c',
    'wget -q -T 5 -O /dev/null --no-check-certificate https://$HOST_IP:10250/healthz; dd if=/dev/zero of=/grown bs=1M count=4 2>/dev/null && echo wrote',
  ]);
  assert.match(fetched.stdout, /wrote/, fetched.stderr);
  let seen = '';
  await untilWith(async () => {
    const after = (await spinnerStats()).pod;
    seen = JSON.stringify({ network: after.network, rootfs: after.containers[0]?.rootfs });
    return (
      after.network!.rxBytes > before.pod.network!.rxBytes &&
      after.network!.txBytes > before.pod.network!.txBytes &&
      after.containers[0]!.rootfs!.usedBytes >= rootfs0.usedBytes + 4 * 1024 * 1024 &&
      after['ephemeral-storage']!.usedBytes >= before.pod['ephemeral-storage']!.usedBytes + 4 * 1024 * 1024
    );
  }, 'the pod network counters and rootfs grow', { timeoutMs: 60_000, intervalMs: 1000, detail: () => `before ${JSON.stringify(before.pod)}\nlast ${seen}` });

  // /metrics/resource through nodes/NAME/proxy: the pod's container, upstream names, labels and timestamps.
  const resource = await server.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/metrics/resource`]);
  assert.equal(resource.code, 0, resource.stderr);
  assert.match(resource.stdout, /^# TYPE container_cpu_usage_seconds_total counter$/m);
  assert.match(resource.stdout, /^container_cpu_usage_seconds_total\{container="busy",namespace="default",pod="spinner"\} \S+ \d{13}$/m);
  assert.match(resource.stdout, /^container_memory_working_set_bytes\{container="busy",namespace="default",pod="spinner"\} \S+ \d{13}$/m);
  assert.match(resource.stdout, /^container_start_time_seconds\{container="busy",namespace="default",pod="spinner"\} \S+$/m);
  assert.match(resource.stdout, /^pod_cpu_usage_seconds_total\{namespace="default",pod="spinner"\} \S+ \d{13}$/m);
  assert.match(resource.stdout, /^node_memory_working_set_bytes \S+ \d{13}$/m);
  assert.match(resource.stdout, /^resource_scrape_error 0$/m);

  // A user with only the view role reads the metrics (system:aggregated-metrics-reader aggregates into it).
  const viewer = await server.kubectl(['auth', 'can-i', 'list', 'pods.metrics.k8s.io', '--as=system:serviceaccount:default:default']);
  assert.equal(viewer.stdout.trim(), 'no');
  await server.kubectl(['create', 'rolebinding', 'viewer', '--clusterrole=view', '--serviceaccount=default:default']);
  const granted = await untilWith(
    async () => {
      const r = await server.kubectl(['auth', 'can-i', 'list', 'pods.metrics.k8s.io', '--as=system:serviceaccount:default:default']);
      return r.stdout.trim() === 'yes' && r;
    },
    'view grants metrics.k8s.io pods',
    { timeoutMs: 30_000 },
  );
  assert.ok(granted);
});
