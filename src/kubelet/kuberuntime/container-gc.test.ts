import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../machinery/index.ts';
import { FakeRuntime } from '../../runtime/fake/index.ts';
import type { PodSandboxConfig } from '../../runtime/runtime.ts';
import { ContainerGC, type ContainerGCPolicy, type PodStateProvider } from './container-gc.ts';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from './runtime-pod.ts';
import { restartCountByLogDir } from './kube-runtime-manager.ts';

/** A fake node: pods' sandboxes, and dead (or running) container instances made at chosen times. */
async function node() {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  const attempts = new Map<string, number>();
  const sandboxes = new Map<string, { id: string; config: PodSandboxConfig }>();
  const start = clock.now();
  await runtime.pullImage('busybox:1.35');
  const sandbox = async (uid: string) => {
    let sb = sandboxes.get(uid);
    if (!sb) {
      const config: PodSandboxConfig = {
        metadata: { name: uid, uid, namespace: 'default', attempt: 0 },
        hostname: uid,
        logDirectory: `/tmp/${uid}`,
        portMappings: [],
        labels: { [LABEL_POD_UID]: uid },
        annotations: {},
        linux: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' }, sysctls: {} },
      };
      sb = { id: await runtime.runPodSandbox(config), config };
      sandboxes.set(uid, sb);
    }
    return sb;
  };
  /** An instance of container `name` of pod `uid`, created `atSec` seconds after the start; dead unless told. */
  const instance = async (uid: string, name: string, atSec: number, running = false) => {
    // The fake clock only moves forward: instances are made in time order.
    assert.ok(start + atSec * 1000 >= clock.now(), 'instances made in time order');
    await clock.step(start + atSec * 1000 - clock.now());
    const sb = await sandbox(uid);
    const attempt = attempts.get(`${uid}/${name}`) ?? 0;
    attempts.set(`${uid}/${name}`, attempt + 1);
    const id = await runtime.createContainer(
      sb.id,
      {
        metadata: { name, attempt },
        image: 'busybox:1.35',
        command: ['sleep', '3600'],
        args: [],
        envs: [],
        mounts: [],
        labels: { [LABEL_POD_UID]: uid, [LABEL_CONTAINER_NAME]: name },
        annotations: {},
        logPath: `${name}/0.log`,
        stdin: false,
        stdinOnce: false,
        tty: false,
        linux: { securityContext: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' } } },
      },
      sb.config,
    );
    await runtime.startContainer(id);
    if (!running) runtime.exitContainer(id, 1);
    return id;
  };
  const remaining = async () => new Set((await runtime.listContainers()).map((c) => c.id));
  return { clock, runtime, instance, remaining, start };
}

const alive: PodStateProvider = { shouldPodContentBeRemoved: () => false, shouldPodRuntimeBeRemoved: () => false };
const policy = (p: Partial<ContainerGCPolicy>): ContainerGCPolicy => ({ minAgeMs: 0, maxPerPodContainer: 1, maxContainers: -1, ...p });

test('default policy: the newest dead instance of each container stays, older ones go, running ones are never touched', async () => {
  const n = await node();
  const a1 = await n.instance('p1', 'app', 1);
  const a2 = await n.instance('p1', 'app', 2);
  const a3 = await n.instance('p1', 'app', 3);
  const run = await n.instance('p1', 'app', 4, true);
  const side = await n.instance('p1', 'side', 5);
  const other = await n.instance('p2', 'app', 6);
  const gc = new ContainerGC({ runtime: n.runtime, pods: alive, clock: n.clock });
  const removed = await gc.garbageCollect(true);
  assert.deepEqual(new Set(removed), new Set([a1, a2]));
  assert.deepEqual(await n.remaining(), new Set([a3, run, side, other]));
});

test('--maximum-dead-containers-per-container keeps N per container; negative keeps all', async () => {
  const n = await node();
  const ids = [];
  for (let i = 1; i <= 5; i++) ids.push(await n.instance('p', 'app', i));
  await new ContainerGC({ runtime: n.runtime, pods: alive, clock: n.clock, policy: policy({ maxPerPodContainer: -1 }) }).garbageCollect(true);
  assert.equal((await n.remaining()).size, 5);
  await new ContainerGC({ runtime: n.runtime, pods: alive, clock: n.clock, policy: policy({ maxPerPodContainer: 3 }) }).garbageCollect(true);
  assert.deepEqual(await n.remaining(), new Set(ids.slice(2)));
  // 0 keeps none, not even the one `logs --previous` would read (as upstream).
  await new ContainerGC({ runtime: n.runtime, pods: alive, clock: n.clock, policy: policy({ maxPerPodContainer: 0 }) }).garbageCollect(true);
  assert.equal((await n.remaining()).size, 0);
});

test('--minimum-container-ttl-duration: containers created more recently are not evictable', async () => {
  const n = await node();
  const old1 = await n.instance('p', 'app', 0);
  const old2 = await n.instance('p', 'app', 10);
  const young = await n.instance('p', 'app', 100);
  await n.clock.step(n.start + 130_000 - n.clock.now());
  // Created within the last minute: young is left out, and the newest of the evictable (old2) is kept.
  await new ContainerGC({ runtime: n.runtime, pods: alive, clock: n.clock, policy: policy({ minAgeMs: 60_000 }) }).garbageCollect(true);
  assert.deepEqual(await n.remaining(), new Set([old2, young]));
  void old1;
});

test('--maximum-dead-containers: an equal share per container (at least 1), then the oldest across all', async () => {
  const n = await node();
  // Made in time order (the clock only moves forward): a at 1, 5, 9 s; b at 2, 6, 10 s; c at 3, 7 s.
  const a: string[] = [];
  const b: string[] = [];
  const c: string[] = [];
  for (const t of [1, 2, 3, 5, 6, 7, 9, 10]) {
    const [list, uid, name] = t % 4 === 1 ? [a, 'p1', 'a'] : t % 4 === 2 ? [b, 'p1', 'b'] : [c, 'p2', 'c'];
    list.push(await n.instance(uid, name, t));
  }
  const noPerContainer = policy({ maxPerPodContainer: -1 });
  // 8 dead, at most 6: 6 / 3 units = 2 each → a and b lose their oldest; c keeps both.
  await new ContainerGC({ runtime: n.runtime, pods: alive, clock: n.clock, policy: { ...noPerContainer, maxContainers: 6 } }).garbageCollect(true);
  assert.deepEqual(await n.remaining(), new Set([a[1], a[2], b[1], b[2], c[0], c[1]]));
  // At most 2: one each (3), still one too many → the oldest of those (c's newest, created at 7 s) goes.
  await new ContainerGC({ runtime: n.runtime, pods: alive, clock: n.clock, policy: { ...noPerContainer, maxContainers: 2 } }).garbageCollect(true);
  assert.deepEqual(await n.remaining(), new Set([a[2], b[2]]));
});

test('pods deleted (or unknown) lose every dead container once the sources are ready; disk pressure also takes terminated pods', async () => {
  const n = await node();
  const gone = await n.instance('deleted', 'app', 1);
  const done = await n.instance('finished', 'app', 1);
  const live = await n.instance('live', 'app', 1);
  const pods: PodStateProvider = {
    shouldPodContentBeRemoved: (uid) => uid === 'deleted',
    shouldPodRuntimeBeRemoved: (uid) => uid === 'deleted' || uid === 'finished',
  };
  const gc = new ContainerGC({ runtime: n.runtime, pods, clock: n.clock });
  // Sources not ready: a pod that seems unknown may just not be listed yet; nothing beyond the policy goes.
  assert.deepEqual(await gc.garbageCollect(false), []);
  assert.deepEqual(await gc.garbageCollect(true), [gone]);
  // The eviction manager's DeleteAllUnusedContainers (evictNonDeletedPods): a finished pod's dead ones too.
  assert.deepEqual(await gc.garbageCollect(true, true), [done]);
  assert.deepEqual(await n.remaining(), new Set([live]));
});

test('a container in unknown state is stopped before it is removed', async () => {
  const n = await node();
  const calls: string[] = [];
  const runtime = {
    listContainers: async () => [
      { id: 'u1', podSandboxId: 's', metadata: { name: 'app', attempt: 0 }, image: '', imageRef: '', state: 'CONTAINER_UNKNOWN' as const, createdAt: 1, labels: { [LABEL_POD_UID]: 'p', [LABEL_CONTAINER_NAME]: 'app' }, annotations: {} },
      { id: 'u2', podSandboxId: 's', metadata: { name: 'app', attempt: 1 }, image: '', imageRef: '', state: 'CONTAINER_EXITED' as const, createdAt: 2, labels: { [LABEL_POD_UID]: 'p', [LABEL_CONTAINER_NAME]: 'app' }, annotations: {} },
    ],
    stopContainer: async (id: string) => void calls.push(`stop ${id}`),
    removeContainer: async (id: string) => void calls.push(`remove ${id}`),
  };
  await new ContainerGC({ runtime, pods: alive, clock: n.clock }).garbageCollect(true);
  assert.deepEqual(calls, ['stop u1', 'remove u1']);
});

test('with every instance collected, the restart count continues from the log files kept (upstream calcRestartCountByLogDir)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'restart-count-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(restartCountByLogDir(join(dir, 'missing')), 0);
  for (const f of ['0.log', '1.log', '4.log.20260101-000000', 'notes.txt']) await writeFile(join(dir, f), '');
  await mkdir(join(dir, '9.log'));
  assert.equal(restartCountByLogDir(dir), 5);
});
