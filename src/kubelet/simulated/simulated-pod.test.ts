import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../kuberuntime/api.ts';
import { SimulatedPod } from './simulated-pod.ts';
import { podScript } from './pod-script.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');

function pod(annotations: Record<string, string> = {}, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1234-5678', annotations },
    spec: { nodeName: 'sim-0', containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-07T10:00:00Z' }] },
  } as Pod;
}

/** Advances to `at` and returns the status, fed back as the API would (the next status builds on it). */
function statusAt(sim: SimulatedPod, at: number) {
  sim.advance(at);
  const status = sim.status(at);
  sim.pod = { ...sim.pod, status };
  return status;
}

const condition = (s: NonNullable<Pod['status']>, type: string) => s.conditions?.find((c) => c.type === type)?.status;

test('a bound pod runs at once: Running, Ready, its container running, an IP from the node', () => {
  const sim = new SimulatedPod(pod(), { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  const s = statusAt(sim, T0);
  assert.equal(s.phase, 'Running');
  assert.equal(condition(s, 'Ready'), 'True');
  assert.equal(condition(s, 'PodReadyToStartContainers'), 'True');
  assert.equal(s.podIP, '10.128.0.2');
  assert.equal(s.hostIP, '100.64.0.1');
  assert.ok(s.containerStatuses?.[0]?.state?.running);
  assert.equal(s.containerStatuses?.[0]?.ready, true);
  assert.match(s.containerStatuses?.[0]?.containerID ?? '', /^fake:\/\//);
});

test('start delay: ContainerCreating until it has passed', () => {
  const sim = new SimulatedPod(pod({ 'kubeling.io/simulate-start-delay': '2s' }), { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  assert.equal(sim.advance(T0), T0 + 2000, 'wakes when the delay is over');
  const before = statusAt(sim, T0 + 1000);
  assert.equal(before.phase, 'Pending');
  assert.equal(before.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
  assert.equal(statusAt(sim, T0 + 2000).phase, 'Running');
});

test('exit-after and exit-code with restartPolicy Never: the pod fails with the container terminated', () => {
  const sim = new SimulatedPod(pod({ 'kubeling.io/simulate-exit-after': '30s', 'kubeling.io/simulate-exit-code': '3' }, { restartPolicy: 'Never' }), { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  assert.equal(statusAt(sim, T0).phase, 'Running');
  assert.equal(sim.advance(T0 + 1000), T0 + 30_000);
  const s = statusAt(sim, T0 + 30_000);
  assert.equal(s.phase, 'Failed');
  assert.deepEqual([s.containerStatuses?.[0]?.state?.terminated?.exitCode, s.containerStatuses?.[0]?.state?.terminated?.reason], [3, 'Error']);
});

test('exit code 0 with restartPolicy OnFailure: Succeeded', () => {
  const sim = new SimulatedPod(pod({ 'kubeling.io/simulate-exit-after': '1s' }, { restartPolicy: 'OnFailure' }), { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  statusAt(sim, T0);
  const s = statusAt(sim, T0 + 1000);
  assert.equal(s.phase, 'Succeeded');
  assert.equal(s.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
});

test('restartPolicy Always: restarted at once, then CrashLoopBackOff for 10 s, restartCount counting', () => {
  const sim = new SimulatedPod(pod({ 'kubeling.io/simulate-exit-after': '1s', 'kubeling.io/simulate-exit-code': '1' }), { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  statusAt(sim, T0);
  const first = statusAt(sim, T0 + 1000);
  assert.equal(first.containerStatuses?.[0]?.restartCount, 1, 'first restart at once');
  assert.ok(first.containerStatuses?.[0]?.state?.running);
  assert.equal(first.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);
  const waiting = statusAt(sim, T0 + 2000);
  assert.equal(waiting.phase, 'Running');
  assert.equal(waiting.containerStatuses?.[0]?.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.match(waiting.containerStatuses?.[0]?.state?.waiting?.message ?? '', /^back-off 10s restarting failed container=c pod=p_default\(uid-1234-5678\)$/);
  assert.equal(condition(waiting, 'Ready'), 'False');
  assert.equal(sim.advance(T0 + 5000), T0 + 12_000, 'wakes when the back-off ends');
  const again = statusAt(sim, T0 + 12_000);
  assert.equal(again.containerStatuses?.[0]?.restartCount, 2);
  assert.ok(again.containerStatuses?.[0]?.state?.running);
});

test('a readiness probe passes once its initial delay is over', () => {
  const p = pod({}, { containers: [{ name: 'c', image: 'busybox:1.35', readinessProbe: { initialDelaySeconds: 5, exec: { command: ['true'] } } }] });
  const sim = new SimulatedPod(p, { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  const s = statusAt(sim, T0);
  assert.equal(s.phase, 'Running');
  assert.equal(condition(s, 'Ready'), 'False');
  assert.equal(sim.advance(T0 + 1000), T0 + 5000);
  assert.equal(condition(statusAt(sim, T0 + 5000), 'Ready'), 'True');
});

test('init containers complete before the regular ones run', () => {
  const p = pod({}, { initContainers: [{ name: 'init', image: 'busybox:1.35' }] });
  const sim = new SimulatedPod(p, { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  const s = statusAt(sim, T0);
  assert.equal(s.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  assert.equal(condition(s, 'Initialized'), 'True');
  assert.equal(s.phase, 'Running');
});

test('stop (the pod is deleted): the containers end with 143 and the pod is terminal', () => {
  const sim = new SimulatedPod(pod(), { ip: '10.128.0.2', hostIP: '100.64.0.1', now: T0 });
  statusAt(sim, T0);
  sim.stop(T0 + 1000);
  assert.equal(sim.stopped, true);
  assert.equal(sim.advance(T0 + 1000), undefined);
  const s = statusAt(sim, T0 + 1000);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.containerStatuses?.[0]?.state?.terminated?.exitCode, 143);
  assert.equal(condition(s, 'Ready'), 'False');
});

test('pod script: annotations parsed; values that do not parse are ignored', () => {
  assert.deepEqual(podScript(pod({ 'kubeling.io/simulate-start-delay': '1m30s', 'kubeling.io/simulate-exit-after': '500ms', 'kubeling.io/simulate-exit-code': '7' })), { startDelayMs: 90_000, exitAfterMs: 500, exitCode: 7 });
  assert.deepEqual(podScript(pod({ 'kubeling.io/simulate-start-delay': 'soon', 'kubeling.io/simulate-exit-after': '-1s', 'kubeling.io/simulate-exit-code': '300' })), { startDelayMs: 0, exitCode: 0 });
  assert.deepEqual(podScript(pod()), { startDelayMs: 0, exitCode: 0 });
});
