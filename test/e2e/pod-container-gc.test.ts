/**
 * Dead-container garbage collection on real containers, through the real kubectl: a node started with
 * `--maximum-dead-containers-per-container=3` runs a container that crashes at once (restartPolicy Always, so
 * it crash-loops with back-off). Its dead instances pile up between the kubelet's one-minute collections and
 * are cut back to the newest 3 (what the runtime keeps on disk: state and writable layer), while more than
 * 3 instances were made; `kubectl logs --previous` still reads the newest dead one. Without the collector
 * (or with the kubelet's old fixed pruning, which kept two instances) the count of 3 with 4 made is never seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAndCheckClean, getPod, importBusybox } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();

/** The pod's containers the runtime keeps (its state dir and writable layer), dead or alive. */
function containersOnDisk(dataDir: string, uid: string): number {
  const dir = join(dataDir, 'runtime', 'run', 'containers');
  let n = 0;
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    try {
      if (fs.readFileSync(join(dir, id, 'state.json'), 'utf8').includes(uid)) n++;
    } catch {
      // being removed
    }
  }
  return n;
}

test('a crash-looping container keeps at most --maximum-dead-containers-per-container dead instances', { skip: why, timeout: 420_000 }, async (t) => {
  const server = await startServer({ runtime: 'oci', args: ['--maximum-dead-containers-per-container=3'] });
  t.after(() => server.stop());
  await importBusybox(server);
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.35
    command: [sh, -c, "echo run; exit 3"]
`,
  );
  const uid = (await untilWith(async () => (await getPod(server, 'crasher'))?.metadata?.uid, 'the pod', { timeoutMs: 30_000 }))!;
  await untilWith(
    async () => {
      const pod = await getPod(server, 'crasher');
      const restarts = pod?.status?.containerStatuses?.[0]?.restartCount ?? 0;
      // At least 4 instances made (restarts ≥ 3), exactly 3 kept: the collector removed the oldest.
      return restarts >= 3 && containersOnDisk(server.dataDir, uid) === 3;
    },
    "3 dead instances kept after at least 4 were made",
    { timeoutMs: 300_000, intervalMs: 500 },
  );
  const previous = await server.kubectl(['logs', 'crasher', '--previous']);
  assert.equal(previous.code, 0, previous.stderr);
  assert.equal(previous.stdout.trim(), 'run');
  await deleteAndCheckClean(server, 'crasher');
  assert.equal(containersOnDisk(server.dataDir, uid), 0);
});
