/**
 * `kubeling run` on real containers (oci runtime: crun, conmon, CNI): the seeds' two-containers pod, where
 * one container writes into the shared emptyDir and the other reads it, runs to completion with both
 * containers' logs printed; afterwards no mount, sandbox, process or cgroup of the pod is left.
 * Skipped without root, crun, conmon or catatonit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { runKubelingOci } from './helpers/kubeling-run-oci.ts';
import { podLeftovers } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';
import { mountTable } from '../../src/runtime/oci/mounts.ts';

const TWO_CONTAINERS = `apiVersion: v1
kind: Pod
metadata:
  name: two-containers
spec:
  restartPolicy: Never
  volumes:
  - name: shared-data
    emptyDir: {}
  containers:
  - name: writer
    image: busybox:1.35
    volumeMounts:
    - name: shared-data
      mountPath: /pod-data
    command: ["/bin/sh", "-c", "echo Hello from the writer container > /pod-data/index.html"]
  - name: reader
    image: busybox:1.35
    volumeMounts:
    - name: shared-data
      mountPath: /data
    command: ["/bin/sh", "-c", "while [ ! -s /data/index.html ]; do sleep 0.1; done; cat /data/index.html"]
`;

test('kubeling run: the two-containers pod on real containers, and nothing left afterwards', async (t) => {
  const why = missingRealContainers();
  if (why) return t.skip(why);
  const { data, exited } = await runKubelingOci(t, 'two-containers.yaml', TWO_CONTAINERS, 90_000);
  // The pod's uid, from its log directory (<ns>_<name>_<uid>) while it exists: the kubelet removes it with the pod.
  let podLogDir: string | undefined;
  const watchLogs = setInterval(() => {
    try {
      podLogDir ??= readdirSync(join(data, 'kubelet', 'logs'))[0];
    } catch {
      // not created yet
    }
  }, 50);
  const { code, out, err } = await exited;
  clearInterval(watchLogs);
  assert.equal(code, 0, `${out}\n${err}`);
  assert.match(out, /^\[two-containers\/reader\] Hello from the writer container$/m);
  assert.match(out, /^two-containers\s+0\/2\s+Completed\s+0$/m);
  assert.doesNotMatch(err, /still holds/);

  assert.ok(podLogDir, 'the pod had a log directory');
  const uid = podLogDir.split('_').at(-1)!;
  assert.deepEqual(podLeftovers(uid), []);
  // The runtime's state tmpfs went with the last pod: nothing is mounted under the data dir any more.
  assert.deepEqual(mountTable().filter((m) => m.mountPoint.startsWith(`${realpathSync(data)}/`)), []);
  assert.deepEqual(readdirSync(join(data, 'runtime', 'layers')), [], 'no container writable layer left');
});
