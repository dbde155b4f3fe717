import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePodStatus } from './generate.ts';
import { makePod, runtimeStatus } from '../kuberuntime/testing.ts';
import type { Pod } from '../kuberuntime/api.ts';
import type { RuntimeContainerStatus } from '../kuberuntime/runtime-pod.ts';

const NOW = '2026-01-01T00:00:00Z';
type C = Partial<RuntimeContainerStatus>;

function gen(pod: Pod, containers: C[] | undefined, extra: Partial<Parameters<typeof generatePodStatus>[0]> = {}) {
  return generatePodStatus({
    pod,
    runtimeStatus: containers ? runtimeStatus(pod, containers) : undefined,
    runtimeName: 'fake',
    now: NOW,
    hostIPs: ['192.168.1.10'],
    ...extra,
  });
}

const cond = (s: ReturnType<typeof gen>, type: string) => {
  const c = s.conditions?.find((x) => x.type === type);
  return c && [c.status, c.reason, c.message].filter((x) => x !== undefined).join('|');
};

test('phase: restart policies and container states (reference §1.2)', () => {
  const one = (p: 'Always' | 'OnFailure' | 'Never') => makePod().container('a').restartPolicy(p).build();
  const cases: [string, Pod, C[] | undefined, string, boolean?][] = [
    ['nothing yet', one('Always'), undefined, 'Pending'],
    ['running', one('Always'), [{ name: 'a' }], 'Running'],
    ['Never, exit 0', one('Never'), [{ name: 'a', state: 'exited', exitCode: 0 }], 'Succeeded'],
    ['Never, exit 1', one('Never'), [{ name: 'a', state: 'exited', exitCode: 1 }], 'Failed'],
    ['OnFailure, exit 0', one('OnFailure'), [{ name: 'a', state: 'exited', exitCode: 0 }], 'Succeeded'],
    ['OnFailure, exit 1 (restarting)', one('OnFailure'), [{ name: 'a', state: 'exited', exitCode: 1 }], 'Running'],
    ['Always, exit 0 (restarting)', one('Always'), [{ name: 'a', state: 'exited', exitCode: 0 }], 'Running'],
    ['Always, exit 1, pod terminal', one('Always'), [{ name: 'a', state: 'exited', exitCode: 1 }], 'Failed', true],
    ['Always, exit 0, pod terminal', one('Always'), [{ name: 'a', state: 'exited', exitCode: 0 }], 'Succeeded', true],
    ['init running', makePod().init('i').container('a').build(), [{ name: 'i' }], 'Pending'],
    [
      'init failed, Never',
      makePod().init('i').container('a').restartPolicy('Never').build(),
      [{ name: 'i', state: 'exited', exitCode: 1 }],
      'Failed',
    ],
    [
      'sidecar running, not started',
      makePod()
        .sidecar('s', { startupProbe: { exec: { command: ['x'] } } })
        .container('a')
        .build(),
      [{ name: 's' }],
      'Pending',
    ],
    [
      'sidecar exited, app running',
      makePod().sidecar('s').container('a').build(),
      [{ name: 'a' }, { name: 's', state: 'exited', exitCode: 1 }],
      'Running',
    ],
    [
      'job with sidecar: app done',
      makePod().sidecar('s').container('a').restartPolicy('Never').build(),
      [
        { name: 'a', state: 'exited', exitCode: 0 },
        { name: 's', state: 'exited', exitCode: 137 },
      ],
      'Succeeded',
    ],
  ];
  for (const [name, pod, containers, phase, terminal] of cases)
    assert.equal(gen(pod, containers, { podIsTerminal: terminal }).phase, phase, name);
});

test('container states, waiting reasons and lastState', () => {
  const pod = makePod('web').container('web').build();
  const s0 = gen(pod, undefined);
  assert.deepEqual(s0.containerStatuses![0].state, { waiting: { reason: 'ContainerCreating' } });
  assert.deepEqual(gen(makePod().init('i').container('a').build(), undefined).containerStatuses![0].state, {
    waiting: { reason: 'PodInitializing' },
  });
  const s = gen(
    pod,
    [
      {
        name: 'web',
        id: 'c2',
        state: 'exited',
        exitCode: 1,
        reason: 'Error',
        startedAt: 5000,
        finishedAt: 9000,
        restartCount: 3,
      },
      { name: 'web', id: 'c1', state: 'exited', exitCode: 2, finishedAt: 4000 },
    ],
    {
      reasonFor: () => ({
        reason: 'CrashLoopBackOff',
        message: 'back-off 40s restarting failed container=web pod=web_default(uid-web)',
      }),
    },
  );
  const cs = s.containerStatuses![0];
  assert.deepEqual(cs.state, {
    waiting: {
      reason: 'CrashLoopBackOff',
      message: 'back-off 40s restarting failed container=web pod=web_default(uid-web)',
    },
  });
  assert.deepEqual(cs.lastState?.terminated, {
    exitCode: 1,
    reason: 'Error',
    message: undefined,
    startedAt: '1970-01-01T00:00:05Z',
    finishedAt: '1970-01-01T00:00:09Z',
    containerID: 'fake://c2',
  });
  assert.deepEqual([cs.restartCount, cs.ready, cs.containerID], [3, false, 'fake://c2']);
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'ContainersReady'), 'False|ContainersNotReady|containers with unready status: [web]');
  assert.equal(cond(s, 'Ready'), 'False|ContainersNotReady|containers with unready status: [web]');
  // OOM reason from the runtime.
  const oom = gen(makePod().container('a').restartPolicy('Never').build(), [
    { name: 'a', state: 'exited', exitCode: 137, reason: 'OOMKilled' },
  ]);
  assert.equal(oom.containerStatuses![0].state?.terminated?.reason, 'OOMKilled');
});

test('conditions: readiness from probes, Initialized, PodCompleted, qosClass, IPs', () => {
  const pod = makePod('p')
    .init('i')
    .container('a', { readinessProbe: { exec: { command: ['x'] } } })
    .container('b')
    .build();
  const init = gen(pod, [{ name: 'i' }]);
  assert.equal(cond(init, 'Initialized'), 'False|ContainersNotInitialized|containers with incomplete status: [i]');
  assert.equal(cond(init, 'PodReadyToStartContainers'), 'True');
  const running = [
    { name: 'a', id: 'ca' },
    { name: 'b', id: 'cb' },
    { name: 'i', state: 'exited' as const, exitCode: 0 },
  ];
  const notReady = gen(pod, running, {
    probes: { ready: (id) => (id === 'ca' ? false : undefined), started: () => undefined },
  });
  assert.equal(cond(notReady, 'Initialized'), 'True');
  assert.equal(cond(notReady, 'ContainersReady'), 'False|ContainersNotReady|containers with unready status: [a]');
  assert.deepEqual(notReady.initContainerStatuses![0].ready, true);
  const ready = gen(pod, running, { probes: { ready: () => true, started: () => undefined } });
  assert.deepEqual([cond(ready, 'Ready'), cond(ready, 'ContainersReady')], ['True', 'True']);
  assert.deepEqual(
    ready.conditions!.map((c) => c.type),
    ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
  );
  assert.deepEqual(
    [ready.podIP, ready.hostIP, ready.qosClass, ready.startTime],
    ['10.42.0.9', '192.168.1.10', 'BestEffort', NOW],
  );
  const done = gen(makePod().container('a').restartPolicy('Never').build(), [
    { name: 'a', state: 'exited', exitCode: 0 },
  ]);
  assert.deepEqual([cond(done, 'Ready'), cond(done, 'Initialized')], ['False|PodCompleted', 'True|PodCompleted']);
  // lastTransitionTime is kept while a condition's status holds.
  const again = generatePodStatus({
    pod: { ...pod, status: ready },
    runtimeStatus: runtimeStatus(pod, running),
    probes: { ready: () => true, started: () => undefined },
    runtimeName: 'fake',
    now: '2026-01-01T00:05:00Z',
  });
  assert.equal(again.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, NOW);
  // A terminal phase never goes back.
  const back = generatePodStatus({
    pod: { ...pod, status: { phase: 'Failed' } },
    runtimeStatus: runtimeStatus(pod, running),
    runtimeName: 'fake',
    now: NOW,
  });
  assert.equal(back.phase, 'Failed');
});

test('a container that vanished from the runtime keeps its API state (ContainerStatusUnknown when it was running)', () => {
  const pod = makePod('v').container('a').container('b').build();
  pod.status = {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'a',
        image: 'busybox:1.35',
        imageID: '',
        ready: true,
        restartCount: 2,
        state: { running: { startedAt: NOW } },
      },
      {
        name: 'b',
        image: 'busybox:1.35',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      },
    ],
  };
  const s = gen(pod, []);
  const [a, b] = s.containerStatuses!;
  assert.deepEqual(a.lastState?.terminated?.reason, 'ContainerStatusUnknown');
  assert.deepEqual([a.restartCount, a.ready, a.state], [3, false, { waiting: { reason: 'ContainerCreating' } }]);
  assert.deepEqual(b.state, { terminated: { exitCode: 0, reason: 'Completed' } });
  assert.equal(s.phase, 'Running', 'not pushed back to Pending');
});

test('ephemeral containers: statuses reported, never ready; a start failure shows until their one start', () => {
  const pod = makePod('dbg').container('app').build();
  pod.spec!.ephemeralContainers = [
    { name: 'debugger', image: 'busybox:1.35', targetContainerName: 'app' },
    { name: 'broken', image: 'nope:1' },
  ];
  const s = gen(pod, [{ name: 'app' }, { name: 'debugger', image: 'docker.io/library/busybox:1.35' }], {
    reasonFor: (n) => (n === 'broken' ? { reason: 'ErrImagePull', message: 'manifest unknown' } : undefined),
  });
  const [dbg, broken] = s.ephemeralContainerStatuses!;
  assert.equal(dbg.name, 'debugger');
  assert.ok(dbg.state?.running);
  assert.equal(dbg.ready, false);
  assert.equal(dbg.image, 'docker.io/library/busybox:1.35', 'the runtime’s normalised image');
  assert.deepEqual(broken.state, { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } });
  assert.equal(cond(s, 'Ready'), 'True', 'ephemeral containers do not count for readiness');
});

test('a container never created shows its start failure over an earlier ContainerCreating (ErrImagePull after the first status)', () => {
  const pod = makePod('img').container('c', { image: 'nope:1' }).build();
  pod.status = gen(pod, []); // the first status: ContainerCreating
  assert.deepEqual(pod.status.containerStatuses?.[0].state, { waiting: { reason: 'ContainerCreating' } });
  const s = gen(pod, [], { reasonFor: () => ({ reason: 'ErrImagePull', message: 'manifest unknown' }) });
  assert.deepEqual(s.containerStatuses?.[0].state, { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } });
  // A terminated API status of a container the runtime lost is kept, and a restart reason still shows.
  pod.status = {
    ...s,
    containerStatuses: [
      { ...s.containerStatuses![0], restartCount: 2, state: { terminated: { exitCode: 1, reason: 'Error' } } },
    ],
  };
  const again = gen(pod, [], { reasonFor: () => ({ reason: 'CrashLoopBackOff', message: 'back-off 20s ...' }) });
  assert.deepEqual(
    [again.containerStatuses?.[0].state?.waiting?.reason, again.containerStatuses?.[0].lastState?.terminated?.reason, again.containerStatuses?.[0].restartCount],
    ['CrashLoopBackOff', 'Error', 2],
  );
});

test('conditions as upstream generate.go: PodFailed whatever the readiness, every unmet readiness gate named', () => {
  const failed = makePod('f').container('a').restartPolicy('Never').build();
  failed.status = { phase: 'Failed' };
  assert.equal(cond(gen(failed, [{ name: 'a' }]), 'ContainersReady'), 'False|PodFailed');
  const gated = makePod('g').container('a').build();
  gated.spec!.readinessGates = [{ conditionType: 'example.com/one' }, { conditionType: 'example.com/two' }];
  gated.status = { conditions: [{ type: 'example.com/two', status: 'False' }] };
  assert.equal(
    cond(gen(gated, [{ name: 'a' }]), 'Ready'),
    'False|ReadinessGatesNotReady|corresponding condition of pod readiness gate "example.com/one" does not exist., the status of pod readiness gate "example.com/two" is not "True", but False',
  );
});

test('container statuses list the spec volume mounts by name (recursiveReadOnly Disabled for read-only ones)', () => {
  const pod = makePod('v')
    .container('a', {
      volumeMounts: [
        { name: 'data', mountPath: '/data' },
        { name: 'kube-api-access-x', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
      ],
    })
    .build();
  assert.deepEqual(gen(pod, [{ name: 'a' }]).containerStatuses?.[0].volumeMounts, [
    { name: 'data', mountPath: '/data' },
    {
      name: 'kube-api-access-x',
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      readOnly: true,
      recursiveReadOnly: 'Disabled',
    },
  ]);
});

test('a container in unknown state: ContainerStatusUnknown (restartCount + 1) only when it was running, else waiting', () => {
  const pod = makePod('u').container('a').build();
  assert.deepEqual(gen(pod, [{ name: 'a', state: 'unknown' }]).containerStatuses?.[0].state, { waiting: {} });
  pod.status = gen(pod, [{ name: 'a', restartCount: 2 }]);
  const s = gen(pod, [{ name: 'a', state: 'unknown', restartCount: 2 }]).containerStatuses![0];
  assert.deepEqual(
    [s.state?.terminated?.reason, s.state?.terminated?.exitCode, s.restartCount],
    ['ContainerStatusUnknown', 137, 3],
  );
});
