/**
 * A pod's containers on real containers start together where Kubernetes defines no order, and in order where
 * it does: a native sidecar (restartable init container) runs before any regular container starts, and a
 * regular container after one with a postStart hook starts only once that hook has finished (upstream starts
 * regular containers one by one, each postStart running to its end first). Driven with the real kubectl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerHandle } from './helpers/server.ts';
import { apply, getPod, ociServerForFile, ready, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});

const podYaml = `apiVersion: v1
kind: Pod
metadata: {name: ordered}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: shared, emptyDir: {}}]
  initContainers:
  - name: sidecar
    image: busybox:1.35
    restartPolicy: Always
    command: ["sh", "-c", "touch /shared/sidecar; exec sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    startupProbe: {exec: {command: ["test", "-e", "/shared/sidecar"]}, periodSeconds: 1}
  containers:
  - name: first
    image: busybox:1.35
    command: ["sh", "-c", "[ -e /shared/sidecar ] && touch /shared/first-saw-sidecar; exec sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: hooked
    image: busybox:1.35
    command: ["sleep", "3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      postStart: {exec: {command: ["sh", "-c", "sleep 2; touch /shared/hook-done"]}}
  - name: after-hook
    image: busybox:1.35
    command: ["sh", "-c", "[ -e /shared/hook-done ] && touch /shared/after-saw-hook; exec sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: also-after
    image: busybox:1.35
    command: ["sh", "-c", "[ -e /shared/hook-done ] && touch /shared/also-saw-hook; exec sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
`;

test('sidecar before regular containers; containers after a postStart hook start once it has finished', { skip: why, timeout: 180_000 }, async () => {
  await apply(server, podYaml);
  await waitForPod(server, 'ordered', ready, 'ordered Ready', 120_000);
  const ls = await server.kubectl(['exec', 'ordered', '-c', 'first', '--', 'ls', '/shared']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['after-saw-hook', 'also-saw-hook', 'first-saw-sidecar', 'hook-done', 'sidecar']);
  // The two after the hook were started no earlier than the hook's end.
  const pod = (await getPod(server, 'ordered'))!;
  const startedAt = (name: string) => Date.parse(pod.status!.containerStatuses!.find((s) => s.name === name)!.state!.running!.startedAt!);
  assert.ok(startedAt('after-hook') >= startedAt('hooked') + 1000, 'after-hook waited for the 2 s hook');
  assert.ok(startedAt('also-after') >= startedAt('hooked') + 1000, 'also-after waited for the 2 s hook');
});
