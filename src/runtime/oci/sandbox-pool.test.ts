/**
 * The pool's bookkeeping without containers: OciSandboxes and OciState stand in as stubs whose builds the test
 * finishes by hand. (On real containers: test/integration/oci-sandbox-pool.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../machinery/clock.ts';
import type { PodSandboxConfig } from '../runtime.ts';
import type { OciState } from './runtime-state.ts';
import { OciSandboxPool } from './sandbox-pool.ts';
import type { OciSandboxes } from './sandboxes.ts';
import type { SandboxRecord } from './state.ts';

const pod = (name: string): PodSandboxConfig => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
  hostname: name,
  logDirectory: `/var/log/pods/${name}`,
  portMappings: [],
  labels: {},
  annotations: {},
  linux: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' }, sysctls: {} },
});

function stubs() {
  const builds: { id: string; finish: () => void; fail: (e: Error) => void }[] = [];
  const removed: string[] = [];
  const sandboxes = {
    takeFromPool: undefined,
    handOverFailed: undefined,
    buildPooled: () =>
      new Promise<SandboxRecord>((resolve, reject) => {
        const id = `pooled-${builds.length + 1}`;
        builds.push({ id, finish: () => resolve({ id, pooled: true } as SandboxRecord), fail: reject });
      }),
    removePodSandbox: async (id: string) => void removed.push(id),
  } as unknown as OciSandboxes;
  const state = {
    handler: 'crun',
    sandboxes: new Map(),
    quietFor: () => true,
    pauseRunning: () => true,
  } as unknown as OciState;
  return { builds, removed, sandboxes, state };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

test('a pod that comes while the refill is under way takes that build instead of a second sandbox beside it', async () => {
  const { builds, sandboxes, state } = stubs();
  const clock = new FakeClock();
  const pool = new OciSandboxPool({ state, sandboxes, clock });
  const ac = new AbortController();
  const run = pool.run(1, ac.signal);
  await settle();
  assert.equal(builds.length, 1, 'the pool builds its first sandbox');

  const claimed = pool.take(pod('a'));
  assert.ok(claimed instanceof Promise, 'nothing ready: the build under way is claimed');
  assert.equal(pool.take(pod('b')), undefined, 'a claimed build is no other pod’s');
  builds[0]!.finish();
  assert.equal((await claimed)?.id, 'pooled-1');
  await settle();
  assert.equal(pool.ready, 0, 'the claimed sandbox went to the pod, not the pool');

  // The pool refills (one build at a time); a ready sandbox is taken at once.
  await clock.step(20);
  await settle();
  assert.equal(builds.length, 2);
  builds[1]!.finish();
  await settle();
  assert.equal(pool.ready, 1);
  const ready = pool.take(pod('c'));
  assert.equal((ready as SandboxRecord | undefined)?.id, 'pooled-2');

  // A claimed build that fails leaves the pod to build its own.
  await clock.step(20);
  await settle();
  const failing = pool.take(pod('d'));
  builds[2]!.fail(new Error('CNI ADD failed'));
  assert.equal(await failing, undefined);

  ac.abort();
  await clock.step(5_000);
  await run;
});

test('a pod the pool does not fit never waits for its build', async () => {
  const { builds, sandboxes, state } = stubs();
  const pool = new OciSandboxPool({ state, sandboxes, clock: new FakeClock() });
  const ac = new AbortController();
  const run = pool.run(1, ac.signal);
  await settle();
  assert.equal(builds.length, 1);
  assert.equal(pool.take({ ...pod('host'), linux: { namespaceOptions: { network: 'node', pid: 'container', ipc: 'pod' }, sysctls: {} } }), undefined);
  builds[0]!.finish();
  await settle();
  assert.equal(pool.ready, 1);
  ac.abort();
  await run;
});
