import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { generateEvents, GenericPLEG, type PodStatusSource } from './generic.ts';

test('generateEvents follows upstream transitions', () => {
  const cases: [string, Parameters<typeof generateEvents>[2], Parameters<typeof generateEvents>[3], string[]][] = [
    ['same state', 'running', 'running', []],
    ['started', 'non-existent', 'running', ['ContainerStarted']],
    ['died', 'running', 'exited', ['ContainerDied']],
    ['changed', 'running', 'unknown', ['ContainerChanged']],
    ['removed after exit', 'exited', 'non-existent', ['ContainerRemoved']],
    ['removed while running', 'running', 'non-existent', ['ContainerDied', 'ContainerRemoved']],
  ];
  for (const [name, from, to, want] of cases)
    assert.deepEqual(
      generateEvents('u', 'c', from, to).map((e) => e.type),
      want,
      name,
    );
});

test('relist emits events, refreshes the cache of changed pods and reports health', async () => {
  const clock = new FakeClock();
  let containers = [{ id: 'c1', state: 'CONTAINER_RUNNING' }];
  let statusReads = 0;
  let failList = false;
  const source: PodStatusSource = {
    async listPods() {
      if (failList) throw new Error('runtime down');
      return new Map([
        [
          'u1',
          { uid: 'u1', name: 'p', namespace: 'default', sandboxes: [{ id: 's1', state: 'SANDBOX_READY' }], containers },
        ],
      ]);
    },
    async getPodStatus(uid) {
      statusReads++;
      return {
        uid,
        name: 'p',
        namespace: 'default',
        ips: [],
        sandboxStatuses: [],
        containerStatuses: [],
        timestamp: clock.now(),
      };
    },
  };
  const pleg = new GenericPLEG({ runtime: source, clock });
  assert.equal(pleg.healthy().message, 'pleg has yet to be successful');
  const seen: string[] = [];
  pleg.subscribe((e) => seen.push(`${e.type}:${e.containerId}`));
  await pleg.relist();
  assert.deepEqual(seen.sort(), ['ContainerStarted:c1', 'ContainerStarted:s1']);
  assert.equal(statusReads, 1);
  assert.ok(pleg.getCachedStatus('u1'));
  await pleg.relist();
  assert.equal(statusReads, 1, 'no change, no status read');
  containers = [{ id: 'c1', state: 'CONTAINER_EXITED' }];
  await pleg.relist();
  assert.equal(seen.at(-1), 'ContainerDied:c1');
  containers = [];
  await pleg.relist();
  assert.equal(seen.at(-1), 'ContainerRemoved:c1');
  assert.deepEqual(pleg.healthy(), { ok: true, message: '' });
  failList = true;
  await assert.rejects(pleg.relist());
  await clock.step(3 * 60_000 + 5000);
  assert.deepEqual(pleg.healthy(), { ok: false, message: 'pleg was last seen active 3m5s ago; threshold is 3m0s' });
});

test('onRelist hears each relist: its duration, pods with a ready sandbox and containers by state', async () => {
  const clock = new FakeClock();
  const source: PodStatusSource = {
    async listPods() {
      await clock.step(40);
      return new Map([
        ['u1', { uid: 'u1', name: 'a', namespace: 'default', sandboxes: [{ id: 's1', state: 'SANDBOX_READY' }], containers: [{ id: 'c1', state: 'CONTAINER_RUNNING' }, { id: 'c2', state: 'CONTAINER_EXITED' }] }],
        ['u2', { uid: 'u2', name: 'b', namespace: 'default', sandboxes: [{ id: 's2', state: 'SANDBOX_NOTREADY' }], containers: [{ id: 'c3', state: 'CONTAINER_EXITED' }] }],
      ]);
    },
    async getPodStatus(uid) {
      return { uid, name: uid, namespace: 'default', ips: [], sandboxStatuses: [], containerStatuses: [], timestamp: clock.now() };
    },
  };
  const heard: unknown[] = [];
  const pleg = new GenericPLEG({ runtime: source, clock, onRelist: (ms, counts) => heard.push({ ms, ...counts }) });
  await pleg.relist();
  assert.deepEqual(heard, [{ ms: 40, runningPods: 1, containers: { CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2 } }]);
});

test('an exit hint starts the next relist at once, without waiting for the period', async () => {
  const clock = new FakeClock();
  let lists = 0;
  let state = 'CONTAINER_RUNNING';
  const source: PodStatusSource = {
    async listPods() {
      lists++;
      return new Map([['u1', { uid: 'u1', name: 'a', namespace: 'default', sandboxes: [], containers: [{ id: 'c1', state }] }]]);
    },
    async getPodStatus(uid) {
      return { uid, name: 'a', namespace: 'default', ips: [], sandboxStatuses: [], containerStatuses: [], timestamp: clock.now() };
    },
  };
  let hint: (() => void) | undefined;
  const pleg = new GenericPLEG({
    runtime: source,
    clock,
    exitHints: (h) => {
      hint = h;
      return () => (hint = undefined);
    },
  });
  const seen: string[] = [];
  pleg.subscribe((e) => seen.push(e.type));
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  const ac = new AbortController();
  const running = pleg.run(ac.signal);
  await settle();
  assert.equal(lists, 1);
  state = 'CONTAINER_EXITED';
  hint!();
  await settle();
  assert.equal(lists, 2, 'relisted on the hint, the fake clock never moved');
  assert.deepEqual(seen, ['ContainerStarted', 'ContainerDied']);
  ac.abort();
  await running;
  assert.equal(hint, undefined, 'unsubscribed when stopped');
});
