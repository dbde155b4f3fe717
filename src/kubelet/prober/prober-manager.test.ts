import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { ProbeManager } from './prober-manager.ts';
import type { ProbeResult } from './probe.ts';
import { RecordingEventRecorder } from '../kuberuntime/events.ts';
import { makePod, runtimeStatus } from '../kuberuntime/testing.ts';

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

test('probe workers: initial values, initialDelay, thresholds, startup gating, hold after liveness failure', async () => {
  const clock = new FakeClock();
  const start = clock.now();
  const pod = makePod('p')
    .container('web', {
      startupProbe: { exec: { command: ['s'] }, periodSeconds: 1, failureThreshold: 30 },
      livenessProbe: { exec: { command: ['l'] }, periodSeconds: 1, failureThreshold: 3 },
      readinessProbe: { exec: { command: ['r'] }, periodSeconds: 1, initialDelaySeconds: 8, successThreshold: 2 },
    })
    .build();
  const status = runtimeStatus(pod, [{ name: 'web', id: 'c1', startedAt: start }]);
  const answers: Record<string, ProbeResult> = { s: 'Failure', l: 'Success', r: 'Success' };
  const ran: string[] = [];
  const recorder = new RecordingEventRecorder();
  const woke: string[] = [];
  const pm = new ProbeManager({
    runtime: { execSync: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }) },
    recorder,
    clock,
    random: () => 0,
    statusOf: () => status,
    prober: async (probe) => {
      const cmd = probe.exec!.command![0];
      ran.push(cmd);
      return { result: answers[cmd], output: `${cmd} said no` };
    },
  });
  pm.subscribe((uid) => woke.push(uid));
  pm.addPod(pod);
  pm.addPod(pod);
  assert.equal(pm.workerCount, 3, 'one worker per (container, kind), idempotent');
  await settle();
  assert.deepEqual([pm.liveness('c1'), pm.ready('c1'), pm.startup('c1')], ['Success', false, 'Unknown']);
  await clock.step(3000);
  await settle();
  assert.ok(!ran.includes('l') && !ran.includes('r'), 'liveness and readiness wait for startup');
  assert.equal(recorder.events[0].message, 'Startup probe failed: s said no');
  answers.s = 'Success';
  await clock.step(1000);
  await settle();
  assert.equal(pm.started('c1'), true);
  await clock.step(1000);
  await settle();
  assert.ok(ran.includes('l'));
  assert.ok(!ran.includes('r'), 'readiness waits initialDelaySeconds');
  await clock.step(3000);
  await settle();
  assert.ok(ran.includes('r'));
  assert.equal(pm.ready('c1'), false, 'successThreshold 2 not reached yet');
  await clock.step(1000);
  await settle();
  assert.equal(pm.ready('c1'), true);
  answers.l = 'Failure';
  await clock.step(2000);
  await settle();
  assert.equal(pm.liveness('c1'), 'Success', 'two failures are below the threshold');
  await clock.step(1000);
  await settle();
  assert.equal(pm.liveness('c1'), 'Failure');
  const livenessRuns = ran.filter((c) => c === 'l').length;
  await clock.step(3000);
  await settle();
  assert.equal(ran.filter((c) => c === 'l').length, livenessRuns, 'on hold until the container is replaced');
  assert.ok(woke.length > 0 && woke.every((u) => u === 'uid-p'));
  // The container is replaced: the worker starts over for the new id.
  status.containerStatuses[0] = { ...status.containerStatuses[0], id: 'c2', startedAt: clock.now() };
  answers.l = 'Success';
  answers.s = 'Success';
  await clock.step(1000);
  await settle();
  assert.equal(pm.liveness('c2'), 'Success');
  assert.equal(pm.liveness('c1'), undefined, 'results of the old container dropped');
  await pm.removePod('uid-p');
  assert.equal(pm.workerCount, 0);
});

test('first probes after a kubelet start are spread by a random fraction of the period; later workers are not', async () => {
  const clock = new FakeClock();
  const probe = { exec: { command: ['r'] }, periodSeconds: 10 };
  const a = makePod('a').container('web', { readinessProbe: probe }).build();
  const b = makePod('b').container('web', { readinessProbe: probe }).build();
  const statuses = new Map([
    ['uid-a', runtimeStatus(a, [{ name: 'web', id: 'ca', startedAt: clock.now() }])],
    ['uid-b', runtimeStatus(b, [{ name: 'web', id: 'cb', startedAt: clock.now() }])],
  ]);
  const ran: { id: string; at: number }[] = [];
  const pm = new ProbeManager({
    runtime: { execSync: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }) },
    recorder: new RecordingEventRecorder(),
    clock,
    random: () => 0.35,
    statusOf: (uid) => statuses.get(uid),
    prober: async (_p, target) => {
      ran.push({ id: target.containerId, at: clock.now() });
      return { result: 'Success', output: '' };
    },
  });
  const t0 = clock.now();
  pm.addPod(a);
  await settle();
  assert.equal(ran.length, 0, 'no probe at once after the kubelet started');
  for (let i = 0; i < 4; i++) {
    await clock.step(1000);
    await settle();
  }
  assert.deepEqual(ran, [{ id: 'ca', at: t0 + 3500 }], '35 % of the 10 s period');
  await clock.step(10_000);
  await settle();
  assert.deepEqual(ran.map((r) => r.at - t0), [3500, 13500], 'then every period from there');
  // A pod added long after the start is probed at once.
  pm.addPod(b);
  await settle();
  assert.deepEqual(ran.at(-1), { id: 'cb', at: t0 + 14_000 });
  await pm.stop();
});

test('a probe that cannot run: Unhealthy "errored and resulted in unknown state", result not counted', async () => {
  const clock = new FakeClock();
  const pod = makePod('u')
    .container('web', { livenessProbe: { exec: { command: ['l'] }, periodSeconds: 1, failureThreshold: 1 } })
    .build();
  const status = runtimeStatus(pod, [{ name: 'web', id: 'c1', startedAt: clock.now() }]);
  const recorder = new RecordingEventRecorder();
  const pm = new ProbeManager({
    runtime: { execSync: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }) },
    recorder,
    clock,
    random: () => 0,
    statusOf: () => status,
    prober: async () => ({ result: 'Unknown', output: 'container c1 is not running' }),
  });
  pm.addPod(pod);
  for (let i = 0; i < 3; i++) {
    await clock.step(1000);
    await settle();
  }
  assert.equal(pm.liveness('c1'), 'Success', 'an errored probe never fails the container');
  assert.equal(
    recorder.events[0].message,
    'Liveness probe errored and resulted in unknown state: container c1 is not running',
  );
  assert.equal(recorder.events[0].reason, 'Unhealthy');
  await pm.stop();
});

test('network probes dial the pod IP, and the node IP for a hostNetwork pod (its sandbox has none)', async () => {
  const clock = new FakeClock();
  const probe = { tcpSocket: { port: 80 }, periodSeconds: 1 };
  const pod = makePod('pod').container('web', { readinessProbe: probe }).build();
  const host = makePod('host')
    .container('web', { readinessProbe: probe })
    .set((p) => (p.spec!.hostNetwork = true))
    .build();
  const podStatus = runtimeStatus(pod, [{ name: 'web', id: 'cp', startedAt: clock.now() }]);
  const hostStatus = { ...runtimeStatus(host, [{ name: 'web', id: 'ch', startedAt: clock.now() }]), ips: [] };
  const dialed = new Map<string, string>();
  const pm = new ProbeManager({
    runtime: { execSync: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }) },
    recorder: new RecordingEventRecorder(),
    clock,
    random: () => 0,
    statusOf: (uid) => (uid === 'uid-host' ? hostStatus : podStatus),
    hostIPs: () => ['192.0.2.7'],
    prober: async (_probe, target) => {
      dialed.set(target.pod.metadata!.name!, target.podIP);
      return { result: 'Success', output: '' };
    },
  });
  pm.addPod(pod);
  pm.addPod(host);
  await settle();
  await clock.step(1000);
  await settle();
  assert.deepEqual(Object.fromEntries(dialed), { pod: '10.42.0.9', host: '192.0.2.7' });
  assert.equal(pm.ready('ch'), true);
  await pm.removePod('uid-pod');
  await pm.removePod('uid-host');
});
