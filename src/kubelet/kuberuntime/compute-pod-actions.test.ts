import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePodActions, type ProbeResultsView } from './compute-pod-actions.ts';
import { makePod, runtimeStatus } from './testing.ts';

const summary = (a: ReturnType<typeof computePodActions>) => ({
  killPod: a.killPod,
  createSandbox: a.createSandbox,
  init: a.initContainersToStart,
  start: a.containersToStart,
  kill: [...a.containersToKill.values()].map((k) => k.message),
});

const probes = (liveness: Record<string, string>, startup: Record<string, string> = {}): ProbeResultsView => ({
  liveness: (id) => liveness[id] as never,
  startup: (id) => startup[id] as never,
});

test('computePodActions: table', () => {
  const two = makePod().container('a').container('b');
  const cases: {
    name: string;
    pod: ReturnType<typeof two.build>;
    status: ReturnType<typeof runtimeStatus>;
    probes?: ProbeResultsView;
    want: Partial<ReturnType<typeof summary>>;
  }[] = [
    {
      name: 'new pod: create sandbox, start all containers',
      pod: two.build(),
      status: runtimeStatus(two.build(), [], { noSandbox: true }),
      want: { killPod: true, createSandbox: true, init: [], start: [0, 1], kill: [] },
    },
    {
      name: 'all running: nothing to do',
      pod: two.build(),
      status: runtimeStatus(two.build(), [{ name: 'a' }, { name: 'b' }]),
      want: { killPod: false, createSandbox: false, start: [], kill: [] },
    },
    {
      name: 'Always: exited 0 restarts',
      pod: two.build(),
      status: runtimeStatus(two.build(), [{ name: 'a', state: 'exited', exitCode: 0 }, { name: 'b' }]),
      want: { start: [0] },
    },
    {
      name: 'OnFailure: exited 0 stays, exited 1 restarts',
      pod: makePod().container('a').container('b').restartPolicy('OnFailure').build(),
      status: runtimeStatus(makePod().container('a').container('b').build(), [
        { name: 'a', state: 'exited', exitCode: 0 },
        { name: 'b', state: 'exited', exitCode: 1 },
      ]),
      want: { start: [1], killPod: false },
    },
    {
      name: 'Never: all exited → kill pod, no restarts',
      pod: makePod().container('a').restartPolicy('Never').build(),
      status: runtimeStatus(makePod().container('a').build(), [{ name: 'a', state: 'exited', exitCode: 1 }]),
      want: { killPod: true, createSandbox: false, start: [] },
    },
    {
      name: 'Never: sandbox died after containers ran → no new sandbox',
      pod: makePod().container('a').restartPolicy('Never').build(),
      status: (() => {
        const s = runtimeStatus(makePod().container('a').build(), [{ name: 'a', state: 'exited', exitCode: 0 }], {
          sandboxReady: false,
        });
        s.sandboxStatuses[0].metadata.attempt = 0;
        return s;
      })(),
      want: { createSandbox: false, killPod: true },
    },
    {
      name: 'sandbox not ready: recreate, start again',
      pod: two.build(),
      status: runtimeStatus(two.build(), [{ name: 'a', state: 'exited', exitCode: 137 }], { sandboxReady: false }),
      want: { killPod: true, createSandbox: true, start: [0, 1] },
    },
    {
      name: 'spec changed: restart that container',
      pod: two.build(),
      status: runtimeStatus(two.build(), [{ name: 'a', hash: 'old' }, { name: 'b' }]),
      want: { start: [0], kill: ['Container a definition changed, will be restarted'] },
    },
    {
      name: 'liveness failure: kill and restart',
      pod: makePod()
        .container('a', { livenessProbe: { exec: { command: ['true'] } } })
        .build(),
      status: runtimeStatus(
        makePod()
          .container('a', { livenessProbe: { exec: { command: ['true'] } } })
          .build(),
        [{ name: 'a', id: 'c-a' }],
      ),
      probes: probes({ 'c-a': 'Failure' }),
      want: { start: [0], kill: ['Container a failed liveness probe, will be restarted'] },
    },
    {
      name: 'liveness failure with Never: killed, not restarted',
      pod: makePod()
        .container('a', { livenessProbe: { exec: { command: ['true'] } } })
        .restartPolicy('Never')
        .build(),
      status: runtimeStatus(
        makePod()
          .container('a', { livenessProbe: { exec: { command: ['true'] } } })
          .build(),
        [{ name: 'a', id: 'c-a' }],
      ),
      probes: probes({ 'c-a': 'Failure' }),
      want: { start: [], kill: ['Container a failed liveness probe'], killPod: true },
    },
  ];
  for (const c of cases) {
    const got = summary(computePodActions(c.pod, c.status, c.probes));
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[k as keyof typeof got], v, `${c.name}: ${k}`);
  }
});

test('computePodActions: init containers run one at a time, in order', () => {
  const pod = makePod().init('i1').init('i2').container('a').build();
  assert.deepEqual(summary(computePodActions(pod, runtimeStatus(pod, [], { noSandbox: true }))).init, [0]);
  assert.deepEqual(summary(computePodActions(pod, runtimeStatus(pod, []))).init, [0]);
  const i1Running = summary(computePodActions(pod, runtimeStatus(pod, [{ name: 'i1' }])));
  assert.deepEqual([i1Running.init, i1Running.start], [[], []]);
  const i1Done = summary(computePodActions(pod, runtimeStatus(pod, [{ name: 'i1', state: 'exited', exitCode: 0 }])));
  assert.deepEqual([i1Done.init, i1Done.start], [[1], []]);
  const i2Done = summary(
    computePodActions(
      pod,
      runtimeStatus(pod, [
        { name: 'i2', state: 'exited' },
        { name: 'i1', state: 'exited' },
      ]),
    ),
  );
  assert.deepEqual([i2Done.init, i2Done.start], [[], [0]]);
  const i1Failed = summary(computePodActions(pod, runtimeStatus(pod, [{ name: 'i1', state: 'exited', exitCode: 1 }])));
  assert.deepEqual(i1Failed.init, [0], 'failed init container restarts under Always');
  const never = makePod().init('i1').container('a').restartPolicy('Never').build();
  const neverFailed = summary(
    computePodActions(never, runtimeStatus(never, [{ name: 'i1', state: 'exited', exitCode: 1 }])),
  );
  assert.deepEqual([neverFailed.killPod, neverFailed.init, neverFailed.start], [true, [], []]);
  // Once a regular container exists, init containers never run again (even if they were removed).
  const after = summary(computePodActions(pod, runtimeStatus(pod, [{ name: 'a' }])));
  assert.deepEqual([after.init, after.start], [[], []]);
});

test('computePodActions: native sidecars gate the next init container on started, restart on exit', () => {
  const withProbe = { startupProbe: { exec: { command: ['true'] } } };
  const pod = makePod().sidecar('proxy', withProbe).init('migrate').container('app').build();
  const sc = (state: 'running' | 'exited' = 'running') => ({ name: 'proxy', id: 'c-proxy', state });
  // Sidecar running, startup probe not yet successful: wait.
  assert.deepEqual(summary(computePodActions(pod, runtimeStatus(pod, [sc()]))).init, []);
  // Startup probe failed: kill and restart it.
  const failed = summary(computePodActions(pod, runtimeStatus(pod, [sc()]), probes({}, { 'c-proxy': 'Failure' })));
  assert.deepEqual([failed.init, failed.kill], [[0], ['Init container proxy failed startup probe']]);
  // Started: the next init container may start.
  assert.deepEqual(
    summary(computePodActions(pod, runtimeStatus(pod, [sc()]), probes({}, { 'c-proxy': 'Success' }))).init,
    [1],
  );
  // Init done, sidecar running: regular containers start, sidecar kept.
  const ready = summary(
    computePodActions(
      pod,
      runtimeStatus(pod, [{ name: 'migrate', state: 'exited' }, sc()]),
      probes({}, { 'c-proxy': 'Success' }),
    ),
  );
  assert.deepEqual([ready.init, ready.start], [[], [0]]);
  // After initialization a sidecar that exits is restarted, even under restartPolicy Never.
  const never = makePod().sidecar('proxy').container('app').restartPolicy('Never').build();
  const exited = summary(
    computePodActions(never, runtimeStatus(never, [{ name: 'app' }, { name: 'proxy', state: 'exited', exitCode: 1 }])),
  );
  assert.deepEqual([exited.init, exited.killPod], [[0], false]);
  // Main containers done under Never: the pod is killed, sidecars with it (they do not block completion).
  const done = summary(
    computePodActions(never, runtimeStatus(never, [{ name: 'app', state: 'exited', exitCode: 0 }, { name: 'proxy' }])),
  );
  assert.deepEqual([done.killPod, done.init], [true, []]);
  // A sidecar without a startup probe counts as started once running.
  const plain = makePod().sidecar('log').init('i').container('a').build();
  assert.deepEqual(summary(computePodActions(plain, runtimeStatus(plain, [{ name: 'log' }]))).init, [1]);
});

test('computePodActions: init as upstream computeInitContainerActions (sidecar restarted while a later init runs; exited apps do not count as initialized)', () => {
  // The sidecar exits while the regular init container after it still runs: it is restarted at once.
  const pod = makePod('i').sidecar('proxy').init('migrate').container('app').build();
  const midInit = computePodActions(
    pod,
    runtimeStatus(pod, [
      { name: 'migrate', state: 'running' },
      { name: 'proxy', state: 'exited', exitCode: 1 },
    ]),
  );
  assert.deepEqual(summary(midInit), { killPod: false, createSandbox: false, init: [0], start: [], kill: [] });
  // Only an exited app instance (init statuses gone, as after a node reboot): initialization runs again.
  const rebooted = makePod('r').init('setup').container('app').build();
  const again = computePodActions(rebooted, runtimeStatus(rebooted, [{ name: 'app', state: 'exited', exitCode: 0 }]));
  assert.deepEqual(again.initContainersToStart, [0]);
  assert.deepEqual(again.containersToStart, []);
  // A running app: init is done whatever the runtime still has.
  const running = computePodActions(rebooted, runtimeStatus(rebooted, [{ name: 'app' }]));
  assert.deepEqual([running.initContainersToStart, running.containersToStart], [[], []]);
});

test('computePodActions: Killing messages for liveness and startup failures, restart per policy', () => {
  const pod = makePod('k')
    .container('a', { livenessProbe: { exec: { command: ['l'] } } })
    .container('b', { startupProbe: { exec: { command: ['s'] } } })
    .build();
  const st = runtimeStatus(pod, [
    { name: 'a', id: 'ca' },
    { name: 'b', id: 'cb' },
  ]);
  const always = computePodActions(pod, st, probes({ ca: 'Failure' }, { cb: 'Failure' }));
  assert.deepEqual(summary(always).kill, [
    'Container a failed liveness probe, will be restarted',
    'Container b failed startup probe, will be restarted',
  ]);
  assert.deepEqual(
    [...always.containersToKill.values()].map((k) => k.reason),
    ['LivenessProbe', 'StartupProbe'],
  );
  const never = structuredClone(pod);
  never.spec!.restartPolicy = 'Never';
  assert.deepEqual(summary(computePodActions(never, st, probes({ ca: 'Failure' }))).kill, ['Container a failed liveness probe']);
});
