/**
 * The kubelet inside `kubeling server --runtime fake`, driven by the real kubectl: node registration, a
 * two-container pod through apply → Running → logs → exec → delete, node admission, and static pods with their
 * mirror pods. The fake runtime stands in for containers (it understands `sh -c 'echo ...; exit N'`), so this
 * runs anywhere; pod-*.test.ts repeats the user-visible parts on real containers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import { startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, getPod, nodeName, running, waitForGone, waitForPod } from './pod-helpers.ts';

let server: ServerHandle;
let node: string;

test.before(async () => {
  server = await startServer({ runtime: 'fake', storage: 'memory' });
  node = await nodeName(server);
});
test.after(async () => {
  await server?.stop();
});

test('the node registers Ready with its role, version and addresses', async () => {
  let out = '';
  await untilWith(
    async () => {
      out = (await server.kubectl(['get', 'nodes', '-o', 'wide'])).stdout;
      return /\sReady\s/.test(out);
    },
    'the node Ready',
    { timeoutMs: 30_000, intervalMs: 300 },
  ).catch(() => undefined); // the match below shows the table
  assert.match(
    out,
    new RegExp(`^${node}\\s+Ready\\s+control-plane\\s+\\S+\\s+v1\\.32\\.0-kubeling\\s+\\S+\\s+<none>\\s+`, 'm'),
  );
  const lease = await server.kubectl([
    'get',
    'lease',
    node,
    '-n',
    'kube-node-lease',
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  assert.equal(lease.stdout, node);
});

test('a two-container pod: apply, Running, logs, exec with exit codes, delete', async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  nodeName: ${node}
  containers:
  - name: a
    image: busybox:1.35
    command: ["sh", "-c", "echo hello from a; exit 0"]
    args: []
  - name: b
    image: busybox:1.35
    command: ["sh", "-c", "echo hello from b; exit 0"]
  restartPolicy: Never
`,
  );
  const pod = await waitForPod(
    server,
    'two',
    (p) => (p.status?.containerStatuses ?? []).length === 2 && !!p.status?.podIP,
    'two container statuses and a pod IP',
  );
  assert.match(pod.status!.podIP!, /^10\.42\.0\.\d+$/);
  await waitForPod(server, 'two', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
  assert.equal((await server.kubectl(['logs', 'two', '-c', 'a'])).stdout, 'hello from a\n');
  const all = await server.kubectl(['logs', 'two', '--all-containers', '--prefix']);
  // kubectl (1.32 too) fetches the containers' logs from a Go map (sequentialConsumeRequest ranges over
  // map[ObjectReference]ResponseWrapper), so the order of the blocks is random; each block is whole.
  const [blockA, blockB] = ['[pod/two/a] hello from a\n', '[pod/two/b] hello from b\n'];
  assert.ok([blockA + blockB, blockB + blockA].includes(all.stdout), all.stdout);
  assert.match(
    (await server.kubectl(['logs', 'two', '-c', 'b', '--timestamps'])).stdout,
    /^\d{4}-\d\d-\d\dT[\d:.]+Z hello from b\n$/,
  );
  const prev = await server.kubectl(['logs', 'two', '-c', 'a', '--previous']);
  assert.equal(prev.code, 1);
  assert.match(prev.stderr, /previous terminated container "a" in pod "two" not found/);
  assert.equal((await server.kubectl(['delete', 'pod', 'two'])).code, 0);
  await waitForGone(server, 'two');

  await apply(
    server,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: sleeper\nspec:\n  nodeName: ${node}\n  containers:\n  - name: main\n    image: busybox:1.35\n`,
  );
  await waitForPod(server, 'sleeper', running, 'Running');
  const ok = await server.kubectl(['exec', 'sleeper', '--', 'sh', '-c', 'echo out']);
  assert.deepEqual([ok.code, ok.stdout], [0, 'out\n']);
  const three = await server.kubectl(['exec', 'sleeper', '--', 'sh', '-c', 'echo bye; exit 3']);
  assert.equal(three.code, 3);
  assert.equal(three.stdout, 'bye\n');
  assert.match(three.stderr, /command terminated with exit code 3/);
  const nope = await server.kubectl(['exec', 'sleeper', '-c', 'nope', '--', 'true']);
  assert.notEqual(nope.code, 0);
  assert.match(nope.stderr, /container nope is not valid for pod sleeper/);

  // port-forward: the fake runtime's pod port is an echo server.
  const pf = server.spawnKubectl(['port-forward', 'pod/sleeper', ':80']);
  try {
    const line = await waitForOutput(pf.stdout!, /Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
    const localPort = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const echoed = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(localPort, '127.0.0.1', () => sock.write('ping through the pod\n'));
      let got = '';
      sock.on('data', (d) => {
        got += d.toString();
        if (got.endsWith('\n')) {
          sock.end();
          resolve(got);
        }
      });
      sock.on('error', reject);
    });
    assert.equal(echoed, 'ping through the pod\n');
  } finally {
    pf.kill('SIGTERM');
  }

  const uid = (await getPod(server, 'sleeper'))!.metadata!.uid!;
  assert.equal((await server.kubectl(['delete', 'pod', 'sleeper'])).code, 0);
  await waitForGone(server, 'sleeper');
  // Housekeeping removes the pod's directory on the node.
  const podDir = path.join(server.dataDir, 'kubelet', 'pods', uid);
  await untilWith(async () => !(await fs.stat(podDir).catch(() => undefined)), `${podDir} removed`, {
    timeoutMs: 10_000,
  }).catch(() => undefined);
  await assert.rejects(fs.stat(podDir));
});

test('node admission rejects a pod bound to a node it does not fit', async () => {
  await apply(
    server,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: misfit\nspec:\n  nodeName: ${node}\n  nodeSelector:\n    disktype: ssd\n  containers:\n  - name: c\n    image: busybox:1.35\n`,
  );
  const pod = await waitForPod(server, 'misfit', (p) => p.status?.phase === 'Failed', 'Failed');
  assert.equal(pod.status?.reason, 'NodeAffinity');
  assert.equal(
    pod.status?.message,
    "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
  );
  await apply(
    server,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: greedy\nspec:\n  nodeName: ${node}\n  containers:\n  - name: c\n    image: busybox:1.35\n    resources:\n      requests:\n        cpu: "1000"\n`,
  );
  const greedy = await waitForPod(server, 'greedy', (p) => p.status?.phase === 'Failed', 'Failed');
  assert.equal(greedy.status?.reason, 'OutOfcpu');
  assert.match(
    greedy.status?.message ?? '',
    /^Pod was rejected: Node didn't have enough resource: cpu, requested: 1000000, used: 0, capacity: \d+$/,
  );
  await server.kubectl(['delete', 'pod', 'misfit', 'greedy']);
});

test('a static pod runs from the manifest dir with its mirror pod; the mirror comes back when deleted', async () => {
  const manifest = path.join(server.dataDir, 'manifests', 'static-web.yaml');
  await fs.writeFile(
    manifest,
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: static-web\n  labels:\n    app: web\nspec:\n  containers:\n  - name: web\n    image: busybox:1.35\n',
  );
  const mirrorName = `static-web-${node}`;
  const mirror = await waitForPod(server, mirrorName, running, 'mirror pod Running');
  const ann = mirror.metadata!.annotations!;
  assert.equal(ann['kubernetes.io/config.source'], 'file');
  assert.equal(ann['kubernetes.io/config.mirror'], ann['kubernetes.io/config.hash']);
  assert.ok(ann['kubernetes.io/config.seen']);
  assert.equal(mirror.metadata!.ownerReferences?.[0]?.kind, 'Node');
  assert.deepEqual(mirror.metadata!.labels, { app: 'web' });
  const firstUid = mirror.metadata!.uid;

  assert.equal((await server.kubectl(['delete', 'pod', mirrorName])).code, 0);
  const again = await waitForPod(
    server,
    mirrorName,
    (p) => p.metadata?.uid !== firstUid && running(p),
    'a new mirror pod, Running',
  );
  // The static pod kept running: same container, no restart.
  assert.equal(again.status?.containerStatuses?.[0]?.restartCount, 0);
  assert.equal(again.status?.containerStatuses?.[0]?.containerID, mirror.status?.containerStatuses?.[0]?.containerID);

  await fs.rm(manifest);
  await waitForGone(server, mirrorName);
});
