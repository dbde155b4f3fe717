/**
 * `activeDeadlineSeconds` on real containers (`kubeling server --runtime oci`, the real kubectl): a running pod
 * whose deadline passes is ended by the kubelet: phase Failed, reason DeadlineExceeded with Kubernetes'
 * message (and event), every container terminated and none of its processes left on the machine; the pod
 * object stays until deleted, and is then removed with nothing left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import {
  apply,
  deleteAndCheckClean,
  ociServerForFile,
  podEvents,
  podLeftovers,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});

const MESSAGE = 'Pod was active on the node longer than the specified deadline';

test('activeDeadlineSeconds ends a running pod: Failed, DeadlineExceeded, containers killed', { skip: why }, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: deadline
spec:
  activeDeadlineSeconds: 5
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox:1.35
    command: ["sh", "-c", "echo started; while true; do sleep 0.2; done"]
  - name: web
    image: busybox:1.35
    command: ["httpd", "-f", "-p", "8080"]
`,
  );
  const before = await waitForPod(server, 'deadline', running, 'Running');
  const uid = before.metadata!.uid!;
  assert.ok(podLeftovers(uid).some((l) => l.startsWith('process ')), 'the pod has processes while it runs');

  const failed = await waitForPod(
    server,
    'deadline',
    (p) => p.status?.phase === 'Failed' && (p.status.containerStatuses ?? []).every((c) => c.state?.terminated),
    'phase Failed with every container terminated',
    90_000,
  );
  assert.equal(failed.status!.reason, 'DeadlineExceeded');
  assert.equal(failed.status!.message, MESSAGE);
  for (const c of failed.status!.containerStatuses!) {
    assert.equal(c.ready, false, c.name);
    assert.equal(c.restartCount, 0, `${c.name}: killed, not restarted`);
    assert.notEqual(c.state!.terminated!.exitCode, 0, `${c.name}: ended by a signal`);
  }
  const ready = failed.status!.conditions!.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.ok((await podEvents(server, 'deadline')).includes(`DeadlineExceeded: ${MESSAGE}`));
  // STATUS in the kubectl table: upstream's printer lets a container's terminated reason (Error: killed)
  // override the pod's reason, so a pod killed at its deadline reads Error there too.
  const row = (await server.kubectl(['get', 'pod', 'deadline', '--no-headers'])).stdout;
  assert.match(row, /^deadline\s+0\/2\s+Error\s+0\s/);
  // No process of the pod is left running.
  await until(async () => !podLeftovers(uid).some((l) => l.startsWith('process ')), 'no process of the pod left');
  await deleteAndCheckClean(server, 'deadline');
});
