/**
 * The kubelet's pod timeline on real containers (oci runtime, a loopback registry): a pod with an init
 * container pulled from the registry, two containers, a postStart hook, a readiness probe and a preStop hook
 * leaves every step in the kubelet's record in order with millisecond times (read through the API server's
 * nodes/proxy after the pod is deleted, as the record outlives it); `kubeling why --timeline` shows it merged
 * with the API's steps; `kubeling run` prints the steps as they happen, the pull with its bytes and layers.
 * Skipped without root, crun, conmon, catatonit or the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodTimelineEntry, PodTimelineRecord } from '../../src/api/index.ts';
import { startBusyboxRegistry } from '../../scripts/registry.ts';
import type { ServerHandle } from './helpers/server.ts';
import { runKubelingOci } from './helpers/kubeling-run-oci.ts';
import { untilWith } from './helpers/until.ts';
import { kubelingWhy } from './helpers/why.ts';
import { apply, nodeName, ociServerForFile, ready, waitForGone, waitForPod } from './pod-helpers.ts';
import { missingRealContainers, missingRegistry } from '../prerequisites.ts';

const why = missingRealContainers() ?? missingRegistry();
let server: ServerHandle;
let registry: Awaited<ReturnType<typeof startBusyboxRegistry>> | undefined;
ociServerForFile(why, async (started) => {
  server = started;
  registry = await startBusyboxRegistry();
});
test.after(async () => {
  await registry?.stop();
});

/** `web` serves until killed (its `sleep` ignores SIGTERM as pid 1: SIGKILL after the grace period). */
const lifecyclePod = (image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: tl
spec:
  terminationGracePeriodSeconds: 3
  initContainers:
  - name: init
    image: ${image}
    imagePullPolicy: Always
    command: ["sh", "-c", "echo init done"]
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 3600"]
    lifecycle:
      postStart:
        exec:
          command: ["sh", "-c", "echo started > /tmp/post-start"]
      preStop:
        exec:
          command: ["sleep", "1"]
    readinessProbe:
      exec:
        command: ["cat", "/tmp/ready"]
      periodSeconds: 1
  - name: side
    image: busybox:1.35
    command: ["sh", "-c", "exec sleep 3600"]
`;

/** Asserts `want` (`kind` or `kind:container`) appear in this order among `steps` (time order). */
function assertInOrder(steps: PodTimelineEntry[], want: string[], record: unknown): void {
  const labels = steps.map((s) => `${s.kind}${s.container ? `:${s.container}` : ''}`);
  let from = 0;
  for (const w of want) {
    const i = labels.indexOf(w, from);
    assert.ok(i >= 0, `${w} after ${want[want.indexOf(w) - 1] ?? 'the start'} in ${labels.join(', ')}\n${JSON.stringify(record)}`);
    from = i + 1;
  }
}

test('the kubelet keeps every step of a pod in order with ms times; why --timeline merges it with the API', { skip: why }, async () => {
  await apply(server, lifecyclePod(registry!.image));
  await waitForPod(server, 'tl', ready, 'Ready', 90_000);

  const timeline = await kubelingWhy(server, ['--timeline', 'pod/tl']);
  assert.equal(timeline.code, 0, timeline.stderr);
  assert.match(timeline.stdout, /^pod\/tl timeline \(kubelet record from node \S+, ms times\):$/m);
  const lines = timeline.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.trim().replace(/^\S+\s+\+\S+\s+/, ''));
  const order = [
    'pod created', 'scheduled', 'pod seen by the kubelet', 'volumes mounted', 'sandbox created (network)',
    `init container init image "${registry!.image}" pulled`, 'init container init exited with code 0 (run 1)',
    'container web started', 'container web postStart hook done', 'container side started', 'container web ready (readiness probe passed)',
  ];
  const at = order.map((s) => lines.findIndex((l) => l.startsWith(s)));
  assert.ok(at.every((i) => i >= 0), `${order.find((_, i) => at[i]! < 0)} missing:\n${timeline.stdout}`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, timeline.stdout);
  assert.match(timeline.stdout, /init container init image "[^"]+" pulled \(took \d+(\.\d+)?m?s\): \d+(\.\d)?[kM]?B, 1\/1 layer/);

  const node = await nodeName(server);
  const del = await server.kubectl(['delete', 'pod', 'tl', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  await waitForGone(server, 'tl', 60_000);
  // The record outlives the pod on the node; its last step says the pod is gone.
  const record = await untilWith(
    async () => {
      const r = await server.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/podTimeline/default/tl`]);
      if (r.code !== 0) return false;
      const rec = JSON.parse(r.stdout) as PodTimelineRecord;
      return rec.steps.some((s) => s.kind === 'PodGone') && rec;
    },
    'the kubelet record of pod tl to end with PodGone',
    { timeoutMs: 30_000, intervalMs: 300, retryErrors: false },
  );
  assert.equal(record.kind, 'PodTimeline');
  assert.equal(record.node, node);
  const steps = [...record.steps].sort((a, b) => a.at - b.at);
  assert.ok(steps.every((s) => Number.isInteger(s.at)), 'times are integer ms');
  assert.ok(steps.some((s) => s.at % 1000 !== 0), 'times are not whole seconds');
  assertInOrder(steps, [
    'PodSeen', 'VolumesMounted', 'SandboxCreated',
    'ImagePulling:init', 'ImagePulled:init', 'ContainerCreated:init', 'ContainerStarted:init', 'ContainerExited:init',
    'ContainerCreated:web', 'ContainerStarted:web', 'PostStartDone:web', 'ContainerStarted:side', 'ContainerReady:web',
    'PreStopStarted:web', 'PreStopDone:web', 'StopSignalSent:web', 'ContainerExited:web', 'PodGone',
  ], record);
  // The exit (the runtime's time) and the kubelet seeing its stop call return come in either order.
  assertInOrder(steps, ['StopSignalSent:web', 'ContainerStopped:web', 'PodGone'], record);
  assertInOrder(steps, ['ContainerStarted:side', 'StopSignalSent:side', 'ContainerExited:side', 'PodGone'], record);
  assertInOrder(steps, ['StopSignalSent:side', 'ContainerStopped:side', 'PodGone'], record);
  const find = (kind: string, container?: string) => steps.find((s) => s.kind === kind && s.container === container)!;
  assert.ok(find('ImagePulled', 'init').progress!.downloaded > 0, JSON.stringify(find('ImagePulled', 'init')));
  assert.equal(find('ImagePulled', 'init').progress!.layers, 1);
  assert.equal(find('ContainerExited', 'init').exitCode, 0);
  assert.equal(find('ContainerExited', 'init').containerType, 'init');
  // preStop `sleep 1` took its second; sleep as pid 1 ignores SIGTERM, so the rest of the grace period ran out.
  assert.ok(find('PreStopDone', 'web').durationMs! >= 900, JSON.stringify(find('PreStopDone', 'web')));
  assert.equal(find('ContainerExited', 'web').exitCode, 137);
  assert.equal(find('ContainerStopped', 'side').message, 'SIGKILL after the grace period');
  assert.equal(find('ContainerExited', 'side').exitCode, 137);
});

const runPod = (image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: steps
spec:
  restartPolicy: Never
  initContainers:
  - name: init
    image: ${image}
    imagePullPolicy: Always
    command: ["sh", "-c", "echo init done"]
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "sleep 1; echo web done"]
    lifecycle:
      postStart:
        exec:
          command: ["sh", "-c", "echo started > /tmp/post-start"]
  - name: side
    image: busybox:1.35
    command: ["sh", "-c", "echo side done"]
`;

test('kubeling run prints each step of its pod as it happens, the pull with bytes and layers', { skip: why }, async (t) => {
  const { code, out, err } = await (await runKubelingOci(t, 'steps.yaml', runPod(registry!.image), 120_000)).exited;
  assert.equal(code, 0, `${out}\n${err}`);
  // Off a terminal: one line a step, no progress redraws.
  assert.doesNotMatch(out, /\r|\x1b\[/);
  const step = (text: string) => new RegExp(`^  - steps \\+\\d+(\\.\\d+)?m?s ${text}`, 'm');
  const want = [
    step('pod seen by the kubelet'),
    step('sandbox created \\(network\\) \\(took \\d+(\\.\\d+)?m?s\\): IP \\d+\\.\\d+\\.\\d+\\.\\d+'),
    step(`init container init image "${registry!.image.replace(/[.]/g, '\\.')}" pulled \\(took \\d+(\\.\\d+)?m?s\\): \\d+(\\.\\d)?[kM]?B, 1/1 layer$`),
    step('init container init exited with code 0 \\(run 1\\)'),
    step('container web started'),
    step('container web postStart hook done'),
    step('container web exited with code 0 \\(run 1\\)'),
    step('containers and sandbox removed \\(pod gone from the node\\)'),
  ];
  const at = want.map((re) => out.search(re));
  assert.ok(at.every((i) => i >= 0), `${want.find((_, i) => at[i]! < 0)} missing:\n${out}`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, out);
  assert.match(out, step('container side exited with code 0 \\(run 1\\)'));
  assert.match(out, /^all pods completed$/m);
});
