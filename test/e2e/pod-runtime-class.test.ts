/**
 * RuntimeClass end to end, through the real kubectl, on a real node (whose one runtime handler is its OCI
 * runtime, crun): `kubectl get runtimeclass` prints NAME HANDLER AGE; a pod of a class with handler `crun` gets
 * the class's overhead and node selector from the RuntimeClass admission plugin and runs under crun (its
 * container is in crun's state directory); a pod naming a class that does not exist is refused with upstream's
 * message; a pod whose class names a handler the node lacks stays ContainerCreating with containerd's
 * FailedCreatePodSandBox message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, importBusybox, podEvents, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
const pod = (name: string, runtimeClassName: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  runtimeClassName: ${runtimeClassName}
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.35
    command: [sleep, "3600"]
`;

test('RuntimeClass: served, admitted as upstream, the handler picks the runtime', { skip: why, timeout: 300_000 }, async (t) => {
  const server = await startServer({ runtime: 'oci' });
  t.after(async () => {
    await deleteAllPods(server);
    await server.stop();
  });
  await importBusybox(server);
  await apply(
    server,
    `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: crun
handler: crun
overhead:
  podFixed: { cpu: 10m, memory: 8Mi }
scheduling:
  nodeSelector: { kubernetes.io/os: linux }
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: gvisor
handler: runsc
`,
  );
  const table = await server.kubectl(['get', 'runtimeclass']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  assert.match(lines[0]!, /^NAME\s+HANDLER\s+AGE$/);
  assert.match(lines[1]!, /^crun\s+crun\s+\d+s$/);
  assert.match(lines[2]!, /^gvisor\s+runsc\s+\d+s$/);
  const bad = await server.kubectl(['apply', '-f', '-'], { input: 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: { name: bad }\nhandler: Not_A_Label\n' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /The RuntimeClass "bad" is invalid: handler: Invalid value: "Not_A_Label": a lowercase RFC 1123 label/);

  // A class that does not exist: refused at admission.
  const missing = await server.kubectl(['apply', '-f', '-'], { input: pod('nowhere', 'missing') });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /pods "nowhere" is forbidden: pod rejected: RuntimeClass "missing" not found/);

  // The node's own handler: overhead and node selector from the class, and the container runs under crun.
  await apply(server, pod('in-crun', 'crun'));
  const p = await waitForPod(server, 'in-crun', running, 'running', 120_000);
  assert.deepEqual(p.spec?.overhead, { cpu: '10m', memory: '8Mi' });
  assert.deepEqual(p.spec?.nodeSelector, { 'kubernetes.io/os': 'linux' });
  const id = p.status!.containerStatuses![0]!.containerID!.replace(/^[^:]+:\/\//, '');
  assert.ok(fs.existsSync(join(server.dataDir, 'runtime', 'run', 'crun', id)), `crun's state for ${id}`);

  // A handler the node does not have: the sandbox fails as containerd's does, the pod waits.
  await apply(server, pod('in-runsc', 'gvisor'));
  const events = await untilWith(
    async () => {
      const e = await podEvents(server, 'in-runsc');
      return e.some((x) => x.startsWith('FailedCreatePodSandBox')) && e;
    },
    'FailedCreatePodSandBox for in-runsc',
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.ok(
    events.includes('FailedCreatePodSandBox: Failed to create pod sandbox: failed to get sandbox runtime: no runtime for "runsc" is configured'),
    events.join('\n'),
  );
  const waiting = await waitForPod(server, 'in-runsc', (x) => x.status?.phase === 'Pending', 'pending', 10_000);
  assert.equal(waiting.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating', 'ContainerCreating');
});
