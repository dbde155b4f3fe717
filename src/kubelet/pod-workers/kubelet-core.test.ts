/**
 * The kubelet core composed as kubelet-node wires it (src/kubelet/index.ts), on FakeRuntime and FakeClock,
 * with an in-memory API: pods go through their whole life and the written status is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeRuntimeManager, type Pod } from '../index.ts';
import { StaticEnvironment, makePod } from '../kuberuntime/testing.ts';
import { startKubelet } from './testing.ts';

const kubelet = () => startKubelet();

test('restart policies: Never/OnFailure reach Succeeded/Failed, Always keeps Running', async () => {
  const k = await kubelet();
  k.runtime.scriptContainer({ name: 'ok' }, { exitAfterMs: 2000, exitCode: 0 });
  k.runtime.scriptContainer({ name: 'bad' }, { exitAfterMs: 2000, exitCode: 3 });
  const never0 = makePod('never-ok').container('ok').restartPolicy('Never').build();
  const never1 = makePod('never-bad').container('bad').restartPolicy('Never').build();
  const onFailure0 = makePod('onfailure-ok').container('ok').restartPolicy('OnFailure').build();
  const always = makePod('always').container('ok').restartPolicy('Always').build();
  for (const p of [never0, never1, onFailure0, always]) k.add(p);
  await k.advance(1000);
  assert.equal(k.status(never0)?.phase, 'Running');
  assert.equal(k.status(never0)?.containerStatuses?.[0].state?.running !== undefined, true);
  await k.advance(5000);
  assert.equal(k.status(never0)?.phase, 'Succeeded');
  assert.equal(k.status(never1)?.phase, 'Failed');
  assert.equal(k.status(never1)?.containerStatuses?.[0].state?.terminated?.exitCode, 3);
  assert.equal(k.status(never1)?.containerStatuses?.[0].state?.terminated?.reason, 'Error');
  assert.equal(k.status(onFailure0)?.phase, 'Succeeded');
  assert.equal(k.status(onFailure0)?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  assert.equal(k.status(always)?.phase, 'Running');
  assert.ok((k.status(always)?.containerStatuses?.[0].restartCount ?? 0) >= 1);
  assert.equal(k.podWorkers.state('uid-never-ok'), 'finished');
  await k.stop();
});

test('init containers run in order before the app; status shows PodInitializing then Running', async () => {
  const k = await kubelet();
  k.runtime.scriptContainer({ name: 'i1' }, { exitAfterMs: 3000 });
  k.runtime.scriptContainer({ name: 'i2' }, { exitAfterMs: 3000 });
  const pod = makePod('init').init('i1').init('i2').container('app').build();
  k.add(pod);
  await k.advance(1000);
  let s = k.status(pod)!;
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(
    s.initContainerStatuses?.map((c) => Object.keys(c.state ?? {})[0]),
    ['running', 'waiting'],
  );
  assert.deepEqual(s.containerStatuses?.[0].state, { waiting: { reason: 'PodInitializing' } });
  assert.equal(
    s.conditions?.find((c) => c.type === 'Initialized')?.message,
    'containers with incomplete status: [i1 i2]',
  );
  await k.advance(4000);
  s = k.status(pod)!;
  assert.deepEqual(
    s.initContainerStatuses?.map((c) => Object.keys(c.state ?? {})[0]),
    ['terminated', 'running'],
  );
  await k.advance(4000);
  s = k.status(pod)!;
  assert.equal(s.phase, 'Running');
  assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  const creates = k.runtime.calls
    .filter((c) => c.method === 'createContainer')
    .map((c) => (c.args[1] as { metadata: { name: string } }).metadata.name);
  assert.deepEqual(creates, ['i1', 'i2', 'app']);
  await k.stop();
});

test('native sidecar: next init waits for its startup probe; job completes and the sidecar is stopped', async () => {
  const k = await kubelet();
  let proxyStarted = false;
  k.runtime.scriptExec(({ containerName }) =>
    containerName === 'proxy' ? { exitCode: proxyStarted ? 0 : 1 } : undefined,
  );
  k.runtime.scriptContainer({ name: 'job' }, { exitAfterMs: 5000, exitCode: 0 });
  const pod = makePod('sc')
    .sidecar('proxy', { startupProbe: { exec: { command: ['ready'] }, periodSeconds: 1, failureThreshold: 100 } })
    .container('job')
    .restartPolicy('Never')
    .build();
  k.add(pod);
  await k.advance(5000);
  assert.ok(
    !k.runtime.calls.some(
      (c) => c.method === 'createContainer' && (c.args[1] as { metadata: { name: string } }).metadata.name === 'job',
    ),
    'job waits for the sidecar',
  );
  assert.equal(k.status(pod)?.phase, 'Pending');
  proxyStarted = true;
  await k.advance(3000);
  assert.equal(k.status(pod)?.phase, 'Running');
  assert.equal(k.status(pod)?.initContainerStatuses?.[0].started, true);
  await k.advance(8000);
  const s = k.status(pod)!;
  assert.equal(s.phase, 'Succeeded');
  assert.ok(s.initContainerStatuses?.[0].state?.terminated, 'sidecar stopped after the job');
  await k.stop();
});

test('liveness failure restarts the container with Unhealthy and Killing events', async () => {
  const k = await kubelet();
  let healthy = true;
  k.runtime.scriptExec(({ cmd }) =>
    cmd[0] === 'check'
      ? {
          exitCode: healthy ? 0 : 1,
          stdout: Buffer.from(healthy ? '' : 'cat: /tmp/healthy: No such file or directory'),
        }
      : undefined,
  );
  const pod = makePod('live')
    .container('web', { livenessProbe: { exec: { command: ['check'] }, periodSeconds: 5, failureThreshold: 3 } })
    .build();
  k.add(pod);
  await k.advance(10_000);
  assert.equal(k.status(pod)?.containerStatuses?.[0].restartCount, 0);
  healthy = false;
  await k.advance(16_000);
  const unhealthy = k.recorder.events.filter((e) => e.reason === 'Unhealthy');
  assert.ok(unhealthy.length >= 3);
  assert.equal(unhealthy[0].message, 'Liveness probe failed: cat: /tmp/healthy: No such file or directory');
  assert.ok(
    k.recorder.events.some(
      (e) => e.reason === 'Killing' && e.message === 'Container web failed liveness probe, will be restarted',
    ),
  );
  healthy = true;
  await k.advance(3000);
  const cs = k.status(pod)?.containerStatuses?.[0];
  assert.equal(cs?.restartCount, 1);
  assert.ok(cs?.state?.running);
  assert.ok(cs?.lastState?.terminated);
  await k.stop();
});

test('readiness flips Ready both ways', async () => {
  const k = await kubelet();
  let ready = false;
  k.runtime.scriptExec(({ cmd }) => (cmd[0] === 'ready' ? { exitCode: ready ? 0 : 1 } : undefined));
  const pod = makePod('rd')
    .container('web', { readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 2 } })
    .build();
  k.add(pod);
  const readyCond = () => k.status(pod)?.conditions?.find((c) => c.type === 'Ready');
  await k.advance(5000);
  assert.deepEqual([readyCond()?.status, readyCond()?.message], ['False', 'containers with unready status: [web]']);
  ready = true;
  await k.advance(4000);
  assert.equal(readyCond()?.status, 'True');
  assert.equal(k.status(pod)?.containerStatuses?.[0].ready, true);
  ready = false;
  await k.advance(8000);
  assert.equal(readyCond()?.status, 'False');
  assert.equal(k.status(pod)?.containerStatuses?.[0].restartCount, 0, 'readiness never restarts');
  await k.stop();
});

test('activeDeadlineSeconds fails the pod with DeadlineExceeded', async () => {
  const k = await kubelet();
  const pod = makePod('dl')
    .container('c')
    .set((p) => (p.spec!.activeDeadlineSeconds = 10))
    .build();
  k.add(pod);
  await k.advance(5000);
  assert.equal(k.status(pod)?.phase, 'Running');
  await k.advance(6000); // the worker wakes when the deadline is due
  const s = k.status(pod)!;
  assert.deepEqual(
    [s.phase, s.reason, s.message],
    ['Failed', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline'],
  );
  assert.ok(s.containerStatuses?.[0].state?.terminated);
  assert.ok(k.recorder.events.some((e) => e.reason === 'DeadlineExceeded'));
  await k.stop();
});

test('graceful delete: preStop, stop within the grace period, runtime cleaned, pod handed back for deletion', async () => {
  const k = await kubelet();
  k.runtime.scriptContainer({ name: 'web' }, { stopDelayMs: 60_000 });
  const pod = makePod('del')
    .container('web', { lifecycle: { preStop: { sleep: { seconds: 3 } } } })
    .build();
  k.add(pod);
  await k.advance(2000);
  const deleting: Pod = {
    ...pod,
    metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:01:00Z', deletionGracePeriodSeconds: 10 },
  };
  k.podWorkers.updatePod({ type: 'kill', pod: deleting });
  await k.advance(2000);
  assert.ok(k.recorder.events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container web'));
  assert.deepEqual(k.deleted, []);
  await k.advance(10_000);
  const stop = k.runtime.calls.find((c) => c.method === 'stopContainer');
  assert.equal(stop?.args[1], 7, 'grace 10 s minus 3 s of preStop');
  assert.deepEqual(k.deleted, ['del']);
  assert.deepEqual(await k.runtime.listContainers(), []);
  assert.deepEqual(await k.runtime.listPodSandbox(), []);
  assert.deepEqual(k.volumes.unmounted, ['uid-del']);
  await k.stop();
});

test('a restarted kubelet adopts running containers without restarting them', async () => {
  const k = await kubelet();
  const pod = makePod('adopt').container('web').build();
  k.add(pod);
  await k.advance(2000);
  const creates = k.runtime.calls.filter((c) => c.method === 'createContainer').length;
  // A second kubelet on the same runtime (state survives the caller) plans nothing for the running pod.
  const m2 = new KubeRuntimeManager({
    runtime: k.runtime,
    environment: new StaticEnvironment(),
    recorder: k.recorder,
    clock: k.clock,
    logRoot: '/nonexistent/pods',
  });
  const r = await m2.syncPod(pod, await m2.getPodStatus('uid-adopt'));
  assert.equal(
    r.actions.containersToStart.length + r.actions.containersToKill.size + (r.actions.createSandbox ? 1 : 0),
    0,
  );
  assert.equal(k.runtime.calls.filter((c) => c.method === 'createContainer').length, creates);
  await k.stop();
});
