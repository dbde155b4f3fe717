import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/index.ts';
import { PodTimelines } from './pod-timelines.ts';

const pod = (uid: string, name = 'web') => ({ metadata: { uid, namespace: 'default', name } });

test('steps are kept in order with the clock’s millisecond times, per pod', async () => {
  const clock = new FakeClock(1_000);
  const t = new PodTimelines({ clock, nodeName: 'n1' });
  t.record(pod('u1'), 'PodSeen');
  await clock.step(12);
  t.record(pod('u1'), 'ContainerStarted', { container: 'app', durationMs: 7 });
  t.record(pod('u2', 'other'), 'PodSeen');
  t.record(pod('u1'), 'ContainerExited', { at: 1_005, container: 'app', exitCode: 3, reason: undefined });
  const r = t.get('default', 'web')!;
  assert.equal(r.uid, 'u1');
  assert.equal(r.node, 'n1');
  assert.deepEqual(r.steps, [
    { at: 1_000, kind: 'PodSeen' },
    { at: 1_012, kind: 'ContainerStarted', container: 'app', durationMs: 7 },
    { at: 1_005, kind: 'ContainerExited', container: 'app', exitCode: 3 },
  ]);
  assert.equal(t.get('default', 'other')!.steps.length, 1);
  assert.equal(t.get('default', 'nope'), undefined);
});

test('recordOnce records a kind once per container; a pod without a uid is not recorded', () => {
  const t = new PodTimelines({ clock: new FakeClock(0) });
  t.recordOnce(pod('u1'), 'VolumesMounted');
  t.recordOnce(pod('u1'), 'VolumesMounted');
  t.recordOnce(pod('u1'), 'PodSeen', { container: 'a' });
  t.recordOnce(pod('u1'), 'PodSeen', { container: 'b' });
  t.record({ metadata: { name: 'x' } }, 'PodSeen');
  assert.deepEqual(t.get('default', 'web')!.steps.map((s) => `${s.kind}:${s.container ?? ''}`), ['VolumesMounted:', 'PodSeen:a', 'PodSeen:b']);
});

test('pull progress lands on the container’s running pull step', () => {
  const t = new PodTimelines({ clock: new FakeClock(0) });
  t.record(pod('u1'), 'ImagePulling', { container: 'app', image: 'busybox' });
  t.record(pod('u1'), 'ImagePulling', { container: 'side', image: 'nginx' });
  t.progress(pod('u1'), 'app', { downloaded: 10, total: 100, layersDone: 0, layers: 2 });
  t.progress(pod('u1'), 'app', { downloaded: 60, total: 100, layersDone: 1, layers: 2 });
  const steps = t.get('default', 'web')!.steps;
  assert.deepEqual(steps[0]!.progress, { downloaded: 60, total: 100, layersDone: 1, layers: 2 });
  assert.equal(steps[1]!.progress, undefined);
});

test('bounded: the first steps and the newest are kept, the middle dropped and counted', () => {
  const t = new PodTimelines({ clock: new FakeClock(0), maxSteps: 5, keepFirst: 2 });
  for (let i = 0; i < 8; i++) t.record(pod('u1'), 'ContainerStarted', { container: `c${i}` });
  const r = t.get('default', 'web')!;
  assert.deepEqual(r.steps.map((s) => s.container), ['c0', 'c1', 'c5', 'c6', 'c7']);
  assert.equal(r.dropped, 3);
});

test('a gone pod’s record is served for the retention time, then forgotten; the newest uid of a name wins', async () => {
  const clock = new FakeClock(0);
  const t = new PodTimelines({ clock, retainMs: 1_000 });
  t.record(pod('old'), 'PodSeen');
  t.gone('old');
  t.record(pod('new'), 'PodSeen');
  assert.equal(t.get('default', 'web')!.uid, 'new');
  assert.equal(t.getByUid('old')!.uid, 'old');
  await clock.step(999);
  assert.ok(t.getByUid('old'));
  await clock.step(1);
  assert.equal(t.getByUid('old'), undefined);
  assert.equal(t.get('default', 'web')!.uid, 'new', 'a pod still on the node is never forgotten');
});

test('records handed out are copies', () => {
  const t = new PodTimelines({ clock: new FakeClock(0) });
  t.record(pod('u1'), 'PodSeen');
  t.get('default', 'web')!.steps.push({ at: 1, kind: 'PodGone' });
  assert.equal(t.get('default', 'web')!.steps.length, 1);
});

test('exits are recorded once per container, at the runtime’s finish time, oldest first', () => {
  const t = new PodTimelines({ clock: new FakeClock(10_000) });
  const c = (id: string, name: string, state: string, finishedAt: number) => ({
    id, name, type: 'regular', state, exitCode: 137, reason: 'Error', message: ' killed \n', startedAt: 1_000, finishedAt, restartCount: 2,
  });
  const statuses = [c('b', 'app', 'exited', 5_000), c('a', 'side', 'exited', 4_000), c('r', 'web', 'running', 0)];
  t.exits(pod('u1'), statuses);
  t.exits(pod('u1'), statuses);
  assert.deepEqual(t.get('default', 'web')!.steps, [
    { at: 4_000, kind: 'ContainerExited', container: 'side', containerType: 'regular', exitCode: 137, restartCount: 2, reason: 'Error', message: 'killed', durationMs: 3_000 },
    { at: 5_000, kind: 'ContainerExited', container: 'app', containerType: 'regular', exitCode: 137, restartCount: 2, reason: 'Error', message: 'killed', durationMs: 4_000 },
  ]);
});

test('removed: one PodGone step on a known pod’s record, nothing for an unknown pod', () => {
  const t = new PodTimelines({ clock: new FakeClock(7) });
  t.record(pod('u1'), 'PodSeen');
  t.removed('u1');
  t.removed('u1');
  t.removed('other');
  assert.deepEqual(t.get('default', 'web')!.steps.map((s) => s.kind), ['PodSeen', 'PodGone']);
  assert.equal(t.getByUid('other'), undefined);
});

test('a container that exits before its start call returns: the start goes before the exit, at the runtime’s start time', () => {
  const clock = new FakeClock(1_000);
  const t = new PodTimelines({ clock });
  const run = (restartCount: number, startedAt: number, finishedAt: number) => ({
    id: `init-${restartCount}`, name: 'init', type: 'init', state: 'exited', exitCode: 0, reason: 'Completed', message: '', startedAt, finishedAt, restartCount,
  });
  t.record(pod('u1'), 'ContainerCreated', { container: 'init', durationMs: 37 });
  t.exits(pod('u1'), [run(0, 1_005, 1_009)]); // the exit event beat the start call
  t.record(pod('u1'), 'ContainerStarted', { at: 1_015, container: 'init', durationMs: 10 });
  // A second run started normally: its start comes after its own create, not before the first run's exit.
  t.record(pod('u1'), 'ContainerCreated', { at: 2_000, container: 'init' });
  t.record(pod('u1'), 'ContainerStarted', { at: 2_010, container: 'init' });
  t.exits(pod('u1'), [run(0, 1_005, 1_009), run(1, 2_008, 2_050)]);
  const steps = t.get('default', 'web')!.steps;
  assert.deepEqual(steps.map((s) => `${s.kind}@${s.at}`), [
    'ContainerCreated@1000', 'ContainerStarted@1005', 'ContainerExited@1009',
    'ContainerCreated@2000', 'ContainerStarted@2010', 'ContainerExited@2050',
  ]);
});

test('a run shorter than its start call: the start step, taken when the call returned, moves to the runtime’s start time', () => {
  const t = new PodTimelines({ clock: new FakeClock(1_000) });
  t.record(pod('u1'), 'ContainerCreated', { at: 1_000, container: 'init' });
  t.record(pod('u1'), 'ContainerStarted', { at: 1_015, container: 'init', durationMs: 10 });
  t.exits(pod('u1'), [{ id: 'i0', name: 'init', type: 'init', state: 'exited', exitCode: 0, reason: 'Completed', message: '', startedAt: 1_005, finishedAt: 1_009, restartCount: 0 }]);
  const steps = t.get('default', 'web')!.steps;
  assert.deepEqual(steps.map((s) => `${s.kind}@${s.at}`), ['ContainerCreated@1000', 'ContainerStarted@1005', 'ContainerExited@1009']);
  // A longer run leaves the start where it was.
  t.record(pod('u1'), 'ContainerCreated', { at: 2_000, container: 'init' });
  t.record(pod('u1'), 'ContainerStarted', { at: 2_010, container: 'init' });
  t.exits(pod('u1'), [{ id: 'i1', name: 'init', type: 'init', state: 'exited', exitCode: 0, reason: 'Completed', message: '', startedAt: 2_008, finishedAt: 2_500, restartCount: 1 }]);
  assert.equal(t.get('default', 'web')!.steps.find((s) => s.kind === 'ContainerStarted' && s.at >= 2_000)!.at, 2_010);
});
