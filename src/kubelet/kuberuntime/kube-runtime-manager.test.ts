import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { Deferred } from '../../machinery/index.ts';
import { FakeRuntime } from '../../runtime/fake/index.ts';
import { RuntimeError, type AuthConfig, type ContainerConfig, type PodSandboxConfig } from '../../runtime/runtime.ts';
import { RecordingEventRecorder } from './events.ts';
import { KubeRuntimeManager, formatDuration, type KubeRuntimeManagerConfig } from './kube-runtime-manager.ts';
import { makePod, StaticEnvironment } from './testing.ts';
import type { Pod } from './api.ts';
import { PodTimelines } from '../timeline/index.ts';

function harness(extra: Partial<KubeRuntimeManagerConfig> = {}) {
  const clock = new FakeClock();
  const runtime = (extra.runtime as FakeRuntime | undefined) ?? new FakeRuntime({ clock });
  const recorder = new RecordingEventRecorder();
  const env = new StaticEnvironment();
  const m = new KubeRuntimeManager({
    runtime,
    environment: env,
    recorder,
    clock,
    logRoot: '/nonexistent/pods',
    nodeMemoryCapacity: 8 * 2 ** 30,
    ...extra,
  });
  const sync = async (pod: Pod) => m.syncPod(pod, await m.getPodStatus(pod.metadata!.uid!));
  const status = (pod: Pod) => m.getPodStatus(pod.metadata!.uid!);
  return { clock, runtime, recorder, env, m, sync, status };
}

test('formatDuration prints Go durations', () => {
  assert.deepEqual([10_000, 80_000, 300_000, 160_000].map(formatDuration), ['10s', '1m20s', '5m0s', '2m40s']);
});

test('syncPod: sandbox, pull, create, start, with events and a config like the real kubelet', async () => {
  const h = harness();
  const pod = makePod('web')
    .container('web', {
      image: 'busybox:1.35',
      command: ['httpd'],
      args: ['-f'],
      workingDir: '/srv',
      env: [{ name: 'A', value: '1' }],
      resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
      ports: [{ containerPort: 80, hostPort: 8080 }],
    })
    .build();
  const r = await h.sync(pod);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(h.recorder.reasons(), ['Pulling', 'Pulled', 'Created', 'Started']);
  assert.deepEqual(h.recorder.events.map((e) => e.message).slice(2), [
    'Created container: web',
    'Started container web',
  ]);
  assert.ok(h.recorder.events.every((e) => e.fieldPath === 'spec.containers{web}'));
  const sandbox = h.runtime.calls.find((c) => c.method === 'runPodSandbox')!.args[0] as PodSandboxConfig;
  assert.equal(sandbox.linux.cgroupParent, 'kubepods/burstable/poduid-web');
  assert.deepEqual(sandbox.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: undefined }]);
  assert.equal(sandbox.labels['io.kubernetes.pod.uid'], 'uid-web');
  const config = h.runtime.calls.find((c) => c.method === 'createContainer')!.args[1] as ContainerConfig;
  assert.deepEqual(
    [config.command, config.args, config.workingDir, config.envs],
    [['httpd'], ['-f'], '/srv', [{ key: 'A', value: '1' }]],
  );
  assert.deepEqual(config.linux.resources, {
    cpuShares: 256,
    cpuPeriod: 100000,
    cpuQuota: 50000,
    memoryLimitInBytes: 134217728,
    oomScoreAdj: 993,
  });
  assert.equal(config.labels['io.kubernetes.container.name'], 'web');
  assert.equal(config.annotations['io.kubernetes.container.restartCount'], '0');
  assert.match(config.annotations['io.kubernetes.container.hash'], /^[0-9a-f]{8}$/);
  assert.equal(config.logPath, 'web/0.log');
  const s = await h.status(pod);
  assert.deepEqual([s.ips.length, s.containerStatuses[0].state], [1, 'running']);
  // A second sync changes nothing.
  const before = h.runtime.calls.length;
  await h.sync(pod);
  assert.ok(
    !h.runtime
      .callNames()
      .slice(before)
      .some((n) => ['createContainer', 'runPodSandbox', 'stopContainer'].includes(n)),
  );
});

test('image pull policies: Never, ErrImagePull then ImagePullBackOff, retry after the back-off', async () => {
  const h = harness();
  const never = makePod('n').container('c', { image: 'absent:1', imagePullPolicy: 'Never' }).build();
  await h.sync(never);
  assert.deepEqual(h.m.reasonCache.get('uid-n', 'c'), {
    reason: 'ErrImageNeverPull',
    message: 'Container image "absent:1" is not present with pull policy of Never',
  });

  h.runtime.failPull('broken:1', 'manifest unknown');
  const pod = makePod('b').container('c', { image: 'broken:1' }).build();
  await h.sync(pod);
  assert.equal(h.m.reasonCache.get('uid-b', 'c')?.reason, 'ErrImagePull');
  await h.sync(pod);
  assert.deepEqual(h.m.reasonCache.get('uid-b', 'c'), {
    reason: 'ImagePullBackOff',
    message: 'Back-off pulling image "broken:1": ErrImagePull: manifest unknown',
  });
  assert.deepEqual(
    h.recorder.events.filter((e) => e.reason === 'BackOff').map((e) => [e.type, e.message]),
    [['Normal', 'Back-off pulling image "broken:1"']],
  );
  h.runtime.failPull('broken:1', undefined);
  await h.clock.step(10_001);
  await h.sync(pod);
  const pulled = h.recorder.events.filter((e) => e.reason === 'Pulled').at(-1);
  assert.equal(
    pulled?.message,
    'Successfully pulled image "broken:1" in 0s (0s including waiting). Image size: 1024 bytes.',
    'Go prints a zero duration as 0s',
  );
  assert.equal(h.m.reasonCache.get('uid-b', 'c'), undefined);
  assert.equal((await h.status(pod)).containerStatuses[0].state, 'running');
  // IfNotPresent with the image present: no pull, "already present".
  const present = makePod('p').container('c', { image: 'broken:1', imagePullPolicy: 'IfNotPresent' }).build();
  h.recorder.events.length = 0;
  await h.sync(present);
  assert.equal(h.recorder.events[0].message, 'Container image "broken:1" already present on machine');
});

test('pull credentials are tried in turn until one pull succeeds; without any the pull is anonymous', async () => {
  const creds = new Map<string, AuthConfig[]>([
    ['private:1', [{ username: 'wrong', password: 'x' }, { username: 'right', password: 'y' }]],
    ['denied:1', [{ username: 'wrong', password: 'x' }]],
  ]);
  const h = harness({ pullCredentials: async (_pod, image) => creds.get(image) ?? [] });
  const tried: [string, string | undefined][] = [];
  const pull = h.runtime.pullImage.bind(h.runtime);
  h.runtime.pullImage = async (ref, options = {}) => {
    tried.push([ref, options.auth?.username]);
    if (options.auth?.username === 'wrong') throw new RuntimeError('ImagePullFailed', `${ref}: unauthorized`);
    return pull(ref, options);
  };
  const ok = makePod('ok').container('c', { image: 'private:1' }).build();
  await h.sync(ok);
  assert.equal((await h.status(ok)).containerStatuses[0].state, 'running');
  const denied = makePod('d').container('c', { image: 'denied:1' }).build();
  await h.sync(denied);
  assert.deepEqual(h.m.reasonCache.get('uid-d', 'c'), { reason: 'ErrImagePull', message: 'denied:1: unauthorized' });
  const open = makePod('o').container('c', { image: 'public:1' }).build();
  await h.sync(open);
  assert.deepEqual(tried, [
    ['private:1', 'wrong'],
    ['private:1', 'right'],
    ['denied:1', 'wrong'],
    ['public:1', undefined],
  ]);
});

test('CrashLoopBackOff: 10 s, 20 s, 40 s between restarts, reset after 10 minutes of running', async () => {
  const h = harness();
  h.runtime.scriptContainer({ name: 'crash' }, { exitAfterMs: 1000, exitCode: 1 });
  const pod = makePod('c').container('crash').build();
  const restartsAfter = async (ms: number) => {
    await h.clock.step(ms);
    await h.sync(pod);
    return (await h.status(pod)).containerStatuses[0];
  };
  await h.sync(pod);
  let c = await restartsAfter(1000); // first exit: immediate restart
  assert.deepEqual([c.state, c.restartCount], ['running', 1]);
  const expect = async (delaySeconds: number, restartCount: number) => {
    const exited = await restartsAfter(1000);
    assert.equal(exited.state, 'exited');
    assert.deepEqual(h.m.reasonCache.get('uid-c', 'crash'), {
      reason: 'CrashLoopBackOff',
      message: `back-off ${delaySeconds}s restarting failed container=crash pod=c_default(uid-c)`,
    });
    assert.equal(
      (await restartsAfter(delaySeconds * 1000 - 10)).state,
      'exited',
      `still backing off before ${delaySeconds}s`,
    );
    const restarted = await restartsAfter(10);
    assert.deepEqual(
      [restarted.state, restarted.restartCount],
      ['running', restartCount],
      `restarted after ${delaySeconds}s`,
    );
  };
  await expect(10, 2);
  await expect(20, 3);
  await expect(40, 4);
  assert.ok(
    h.recorder.events.some(
      (e) =>
        e.reason === 'BackOff' && e.message === 'Back-off restarting failed container crash in pod c_default(uid-c)',
    ),
  );
  // Runs for more than 10 minutes, then exits: restarted at once, and the next delay is 10 s again.
  h.runtime.scriptContainer({ name: 'crash' }, { exitAfterMs: 11 * 60_000, exitCode: 1 });
  await restartsAfter(1000); // the 40 s-era instance exits; back-off is 80 s now
  c = await restartsAfter(80_000);
  assert.equal(c.state, 'running');
  c = await restartsAfter(11 * 60_000);
  assert.equal(c.state, 'running', 'restarted without back-off after a long run');
  const key = `c_default_uid-c_crash_${(await h.status(pod)).containerStatuses[0].hash}`;
  assert.equal(h.m.crashBackoff.get(key), 10_000, 'the back-off starts again at 10 s');
});

test('postStart failure kills the container: FailedPostStartHook, PostStartHookError', async () => {
  const h = harness();
  h.runtime.scriptExec(({ cmd }) => (cmd[0] === 'hook' ? { exitCode: 1, stdout: Buffer.from('boom') } : undefined));
  const pod = makePod('h')
    .container('c', { lifecycle: { postStart: { exec: { command: ['hook'] } } } })
    .build();
  const r = await h.sync(pod);
  assert.equal(r.errors[0]?.reason, 'PostStartHookError');
  assert.deepEqual(h.recorder.reasons().slice(-4), ['Created', 'Started', 'FailedPostStartHook', 'Killing']);
  // The event and the waiting message carry upstream's handler text; Killing says why.
  const hookMessage =
    'Exec lifecycle hook ([hook]) for Container "c" in Pod "h_default(uid-h)" failed - error: command \'hook\' exited with 1: , message: "boom"';
  const failed = h.recorder.events.find((e) => e.reason === 'FailedPostStartHook');
  assert.deepEqual([failed?.type, failed?.message], ['Warning', hookMessage]);
  assert.equal(h.recorder.events.find((e) => e.reason === 'Killing')?.message, 'FailedPostStartHook');
  assert.equal((await h.status(pod)).containerStatuses[0].state, 'exited');
  assert.deepEqual(h.m.reasonCache.get('uid-h', 'c'), { reason: 'PostStartHookError', message: hookMessage });
});

test('killPod: preStop shares the grace period; at least 2 s are left for the stop', async () => {
  const h = harness();
  h.runtime.scriptExec(async ({ cmd }) => {
    if (cmd[0] === 'drain') {
      await h.clock.sleep(5000);
      return { exitCode: 0 };
    }
    if (cmd[0] === 'hang') {
      await h.clock.sleep(3_600_000);
      return { exitCode: 0 };
    }
    if (cmd[0] === 'bad') return { exitCode: 1 };
    return undefined;
  });
  const pod = makePod('k')
    .container('drain', { lifecycle: { preStop: { exec: { command: ['drain'] } } } })
    .container('hang', { lifecycle: { preStop: { exec: { command: ['hang'] } } } })
    .container('bad', { lifecycle: { preStop: { exec: { command: ['bad'] } } } })
    .set((p) => (p.spec!.terminationGracePeriodSeconds = 10))
    .build();
  await h.sync(pod);
  const killing = h.m.killPod(pod, await h.status(pod));
  await new Promise((r) => setImmediate(r)); // let the hooks start before time moves
  await h.clock.step(5000);
  await h.clock.step(5000);
  await killing;
  const stops = h.runtime.calls.filter((c) => c.method === 'stopContainer').map((c) => c.args[1]);
  assert.deepEqual(
    stops.sort((a, b) => Number(a) - Number(b)),
    [2, 5, 10],
    'hang: clamped to 2; drain: 10-5; bad: 10 left',
  );
  assert.equal(h.recorder.events.filter((e) => e.reason === 'Killing').length, 3);
  assert.deepEqual(
    h.recorder.events.filter((e) => e.reason === 'FailedPreStopHook').map((e) => e.message),
    [
      'Exec lifecycle hook ([bad]) for Container "bad" in Pod "k_default(uid-k)" failed - error: command \'bad\' exited with 1: , message: ""',
    ],
  );
  const s = await h.status(pod);
  assert.ok(s.containerStatuses.every((c) => c.state === 'exited'));
  assert.equal(s.sandboxStatuses[0].state, 'SANDBOX_NOTREADY');
});

test('CreateContainerConfigError from the environment and runAsNonRoot', async () => {
  const h = harness();
  h.env.fail = "couldn't find key password in Secret default/db";
  const pod = makePod('e').container('c').build();
  await h.sync(pod);
  assert.deepEqual(h.m.reasonCache.get('uid-e', 'c'), {
    reason: 'CreateContainerConfigError',
    message: "couldn't find key password in Secret default/db",
  });
  h.env.fail = undefined;
  const root = makePod('r')
    .container('c', { securityContext: { runAsNonRoot: true, runAsUser: 0 } })
    .build();
  await h.sync(root);
  assert.match(h.m.reasonCache.get('uid-r', 'c')!.message, /runAsUser breaks non-root policy/);
});

test('termination messages: the file (File), the log tail on failure (FallbackToLogsOnError)', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-kuberuntime-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  const env = new StaticEnvironment();
  const m = new KubeRuntimeManager({
    runtime,
    environment: env,
    recorder: new RecordingEventRecorder(),
    clock,
    logRoot: join(dir, 'logs'),
  });
  const file = join(dir, 'termination-log');
  writeFileSync(file, 'all done\n');
  env.mounts = [{ containerPath: '/dev/termination-log', hostPath: file, readonly: false }];
  runtime.scriptContainer({ name: 'msg' }, { exitAfterMs: 1000, exitCode: 0 });
  const a = makePod('a')
    .container('msg', { terminationMessagePath: '/dev/termination-log' })
    .restartPolicy('Never')
    .build();
  await m.syncPod(a, await m.getPodStatus('uid-a'));
  env.mounts = [];
  runtime.scriptContainer({ name: 'logs' }, { exitAfterMs: 1000, exitCode: 2, logs: ['starting', 'fatal: no config'] });
  const b = makePod('b')
    .container('logs', { terminationMessagePolicy: 'FallbackToLogsOnError' })
    .restartPolicy('Never')
    .build();
  await m.syncPod(b, await m.getPodStatus('uid-b'));
  await clock.step(1000);
  assert.equal((await m.getPodStatus('uid-a')).containerStatuses[0].message, 'all done\n');
  assert.equal((await m.getPodStatus('uid-b')).containerStatuses[0].message, 'starting\nfatal: no config\n');
});

test('ephemeral containers start once, never restart; orphaned pods are killed by killPod without a spec', async () => {
  const h = harness();
  const pod = makePod('dbg').container('app').build();
  await h.sync(pod);
  const withDebug = structuredClone(pod);
  withDebug.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox:1.35', targetContainerName: 'app' }];
  h.runtime.scriptContainer({ name: 'debugger' }, { exitAfterMs: 1000, exitCode: 0 });
  await h.sync(withDebug);
  const created = h.runtime.calls
    .filter((c) => c.method === 'createContainer')
    .map((c) => c.args[1] as ContainerConfig);
  const dbg = created.find((c) => c.metadata.name === 'debugger')!;
  assert.equal(dbg.linux.securityContext.namespaceOptions.pid, 'container');
  const appId = (await h.status(pod)).containerStatuses.find((c) => c.name === 'app')!.id;
  assert.equal(dbg.linux.securityContext.namespaceOptions.targetId, appId, 'joins the target container pid namespace');
  assert.equal(dbg.linux.resources, undefined);
  await h.clock.step(2000);
  await h.sync(withDebug);
  assert.equal(
    h.runtime.calls.filter((c) => c.method === 'createContainer').length,
    created.length,
    'an exited ephemeral container is not restarted',
  );
  // Orphan: the kubelet lost the pod object; grace comes from the container annotations.
  await h.m.killPod(undefined, await h.status(pod));
  const s = await h.status(pod);
  assert.ok(s.containerStatuses.every((c) => c.state === 'exited'));
  const stop = h.runtime.calls.filter((c) => c.method === 'stopContainer').map((c) => c.args[1]);
  assert.ok(stop.every((g) => g === 30));
});

test('killPod stops regular containers first, then sidecars in reverse order', async () => {
  const h = harness();
  const pod = makePod('sc').sidecar('a').sidecar('b').container('app').build();
  h.runtime.scriptContainer({ name: 'app' }, { stopDelayMs: 3000 });
  const plan = async () => h.sync(pod);
  await plan();
  await plan();
  await plan();
  const names = (await h.status(pod)).containerStatuses
    .filter((c) => c.state === 'running')
    .map((c) => c.name)
    .sort();
  assert.deepEqual(names, ['a', 'app', 'b']);
  const killing = h.m.killPod(pod, await h.status(pod));
  await new Promise((r) => setImmediate(r));
  await h.clock.step(3000);
  await killing;
  const order = h.recorder.events.filter((e) => e.reason === 'Killing').map((e) => e.fieldPath);
  assert.deepEqual(order, ['spec.containers{app}', 'spec.initContainers{b}', 'spec.initContainers{a}']);
  const grace = h.runtime.calls.filter((c) => c.method === 'stopContainer').map((c) => c.args[1]);
  assert.deepEqual(grace, [30, 27, 27], 'sidecars get what is left of the grace period');
});

test('an image reference that does not parse: InvalidImageName with InspectFailed, no pull', async () => {
  const h = harness();
  const pod = makePod('bad').container('c', { image: 'BusyBox:1.35' }).build();
  const r = await h.sync(pod);
  const message =
    'Failed to apply default image tag "BusyBox:1.35": couldn\'t parse image name "BusyBox:1.35": invalid reference format: repository name must be lowercase';
  assert.deepEqual(r.errors, [{ name: 'c', reason: 'InvalidImageName', message }]);
  assert.deepEqual(
    h.recorder.events.map((e) => [e.type, e.reason, e.message]),
    [
      ['Warning', 'InspectFailed', message],
      ['Warning', 'Failed', 'Error: InvalidImageName'],
    ],
  );
  assert.ok(!h.runtime.callNames().includes('pullImage'), 'no pull of a bad reference');
  assert.deepEqual(h.m.reasonCache.get('uid-bad', 'c'), { reason: 'InvalidImageName', message });
  // The next sync says the same; the image back-off never grows (nothing was pulled).
  await h.sync(pod);
  assert.equal(h.m.reasonCache.get('uid-bad', 'c')?.reason, 'InvalidImageName');
  assert.ok(!h.runtime.callNames().includes('pullImage'));
});

test('container image and imageID as containerd shows them: repo tag, repo digest else image id', async () => {
  const h = harness();
  const imported = h.runtime.addImage('docker.io/library/busybox:1.35');
  const pod = makePod('img').container('a', { image: 'busybox:1.35' }).container('b', { image: 'nginx:1.27' }).build();
  await h.sync(pod);
  const s = await h.status(pod);
  const a = s.containerStatuses.find((c) => c.name === 'a')!;
  const b = s.containerStatuses.find((c) => c.name === 'b')!;
  assert.deepEqual([a.image, a.imageRef], ['docker.io/library/busybox:1.35', imported]);
  assert.equal(b.image, 'docker.io/library/nginx:1.27');
  assert.match(b.imageRef, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/, 'a pulled image has a repo digest');
});

test('an ephemeral container whose target does not run: CreateContainerConfigError "unable to find target container"', async () => {
  const h = harness();
  h.runtime.scriptContainer({ name: 'app' }, { exitAfterMs: 10, exitCode: 1 });
  const pod = makePod('dbg2').container('app').build();
  await h.sync(pod);
  await h.clock.step(1000);
  pod.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox:1.35', targetContainerName: 'app' }];
  const r = await h.sync(pod);
  assert.deepEqual(r.errors, [
    { name: 'debugger', reason: 'CreateContainerConfigError', message: 'unable to find target container app' },
  ]);
  assert.ok(h.recorder.events.some((e) => e.message === 'Error: unable to find target container app' && e.fieldPath === 'spec.ephemeralContainers{debugger}'));
  assert.ok(!h.runtime.calls.some((c) => c.method === 'createContainer' && (c.args[1] as ContainerConfig).metadata.name === 'debugger'));
});

test('the pod timeline gets the sync’s and the kill’s steps with their durations (pull with its bytes, postStart, preStop, stop)', async () => {
  const timeline = new PodTimelines({ clock: new FakeClock() });
  const h = harness({ timeline });
  h.runtime.scriptExec(async ({ cmd }) => {
    if (cmd[0] === 'drain') {
      await h.clock.sleep(1500);
      return { exitCode: 0 };
    }
    return cmd[0] === 'hook' ? { exitCode: 0 } : undefined;
  });
  const pod = makePod('t')
    .container('web', { image: 'busybox:1.35', lifecycle: { postStart: { exec: { command: ['hook'] } }, preStop: { exec: { command: ['drain'] } } } })
    .container('side', { image: 'busybox:1.35' })
    .set((p) => (p.spec!.terminationGracePeriodSeconds = 10))
    .build();
  await h.sync(pod);
  const killing = h.m.killPod(pod, await h.status(pod));
  await new Promise((r) => setImmediate(r)); // let the hooks start before time moves
  await h.clock.step(1500);
  await killing;
  const steps = timeline.get('default', 't')!.steps;
  assert.deepEqual(steps.map((s) => `${s.kind}${s.container ? `:${s.container}` : ''}`), [
    'SandboxCreated',
    'ImagePulling:web', 'ImagePulled:web', 'ContainerCreated:web', 'ContainerStarted:web', 'PostStartDone:web',
    'ImagePresent:side', 'ContainerCreated:side', 'ContainerStarted:side',
    'PreStopStarted:web', 'StopSignalSent:side', 'ContainerStopped:side',
    'PreStopDone:web', 'StopSignalSent:web', 'ContainerStopped:web',
  ]);
  const pulled = steps.find((s) => s.kind === 'ImagePulled')!;
  assert.deepEqual([pulled.image, pulled.containerType, pulled.progress], ['busybox:1.35', 'regular', { downloaded: 1024, total: 1024 }]);
  assert.equal(steps.find((s) => s.kind === 'PreStopDone')!.durationMs, 1500);
  assert.equal(steps.find((s) => s.kind === 'StopSignalSent' && s.container === 'web')!.message, 'grace period 9s, then SIGKILL');
  assert.equal(steps.find((s) => s.kind === 'StopSignalSent' && s.container === 'side')!.message, 'grace period 10s, then SIGKILL');
});

/** Lets every pending promise chain run (no timers involved). */
async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

test('syncPod creates and starts a pod\'s regular containers together', async () => {
  const gate = new Deferred<void>();
  const creating: string[] = [];
  class SlowCreates extends FakeRuntime {
    override async createContainer(...args: Parameters<FakeRuntime['createContainer']>): Promise<string> {
      creating.push(args[1].metadata.name);
      await gate.promise;
      return super.createContainer(...args);
    }
  }
  const runtime = new SlowCreates({ clock: new FakeClock() });
  const h = harness({ runtime });
  const pod = makePod('together').container('a').container('b').container('c').build();
  const syncing = h.m.syncPod(pod, await h.m.getPodStatus('uid-together'));
  await settle();
  assert.deepEqual([...creating].sort(), ['a', 'b', 'c'], 'all three are being created at once');
  gate.resolve();
  assert.deepEqual((await syncing).errors, []);
  assert.deepEqual((await h.m.getPodStatus('uid-together')).containerStatuses.map((s) => s.state), ['running', 'running', 'running']);
});

test('syncPod keeps upstream\'s order around a postStart hook: after those before it started, before those after it', async () => {
  const h = harness();
  const hook = new Deferred<void>();
  const seenAtHook: string[] = [];
  const named = (method: string) =>
    h.runtime.calls.filter((c) => c.method === method).map((c) => (method === 'createContainer' ? (c.args[1] as ContainerConfig).metadata.name : String(c.args[0])));
  h.runtime.scriptExec(async ({ cmd }) => {
    if (cmd[0] !== 'hook') return undefined;
    seenAtHook.push(...named('createContainer'));
    await hook.promise;
    return { exitCode: 0 };
  });
  const pod = makePod('hooked')
    .container('a')
    .container('b', { lifecycle: { postStart: { exec: { command: ['hook'] } } } })
    .container('c')
    .container('d')
    .build();
  const syncing = h.m.syncPod(pod, await h.m.getPodStatus('uid-hooked'));
  await settle();
  assert.deepEqual(seenAtHook, ['a', 'b'], 'a and b were created before b\'s hook ran; c and d wait for it');
  const started = named('startContainer');
  assert.equal(started.length, 2, 'a started before b, as upstream');
  hook.resolve();
  assert.deepEqual((await syncing).errors, []);
  assert.deepEqual(named('createContainer'), ['a', 'b', 'c', 'd']);
});
