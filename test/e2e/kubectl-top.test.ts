/**
 * `kubectl top` on real containers: a pod spinning a busy loop shows in `kubectl top pod` with CPU above zero
 * and a memory figure, `--containers` lists its container, and `kubectl top node` lists the node. The figures
 * travel kubelet cgroups → `/stats/summary` → the server's built-in `metrics.k8s.io/v1beta1` → kubectl; the
 * first CPU rate needs two samples, so each command is retried until kubectl prints figures. The kubelet's
 * Summary is also read through `nodes/NAME/proxy/stats/summary`.
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
