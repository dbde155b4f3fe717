import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod, PodTimelineRecord } from '../../api/index.ts';
import { describeEntry, mergeTimeline } from './kubelet-timeline.ts';
import { formatTimeline } from './timeline.ts';
import { formatBytes, formatMs } from './format.ts';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString().replace(/\.\d+Z$/, 'Z');

const pod: Pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: iso(0), deletionTimestamp: iso(9_000), deletionGracePeriodSeconds: 5 },
  spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] },
  status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(1_400) }] },
};
const events = [
  { reason: 'Scheduled', message: 'Successfully assigned default/web to n1', firstTimestamp: iso(0), involvedObject: { kind: 'Pod', name: 'web' } },
  { reason: 'Started', message: 'Started container app', firstTimestamp: iso(1_000), involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' } },
  { reason: 'BackOff', message: 'Back-off restarting', firstTimestamp: iso(3_000), count: 2, involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' } },
] as Event[];
const record: PodTimelineRecord = {
  kind: 'PodTimeline', namespace: 'default', name: 'web', uid: 'u1', node: 'n1',
  steps: [
    { at: T0 + 20, kind: 'PodSeen' },
    { at: T0 + 900, kind: 'ImagePulled', container: 'app', containerType: 'regular', image: 'busybox', durationMs: 750, progress: { downloaded: 2_100_000, total: 2_100_000, layersDone: 1, layers: 1 } },
    { at: T0 + 1_450, kind: 'ContainerStarted', container: 'app', containerType: 'regular', durationMs: 30 },
    // Recorded after the start (the PLEG's exit time is the runtime's): the merge puts it in time order.
    { at: T0 + 1_430, kind: 'ContainerCreated', container: 'app', containerType: 'regular', durationMs: 12 },
    { at: T0 + 4_100, kind: 'PreStopStarted', container: 'app', containerType: 'regular', message: 'grace period 5s' },
    { at: T0 + 4_350, kind: 'ContainerExited', container: 'app', containerType: 'regular', exitCode: 143, restartCount: 0, reason: 'Error', durationMs: 2_900 },
  ],
};

test('mergeTimeline: the API’s creation, scheduling, deletion and kept events, and the kubelet’s steps, in time order', () => {
  const steps = mergeTimeline(pod, events, record);
  assert.deepEqual(steps.map((s) => `${s.at - T0} ${s.step}`), [
    '0 pod created',
    '0 scheduled',
    '20 pod seen by the kubelet',
    '900 container app image "busybox" pulled',
    '1430 container app created',
    '1450 container app started',
    '1450 pod Ready',
    '3000 container app BackOff (x2)',
    '4000 deletion requested (grace period 5s)',
    '4100 container app preStop hook started',
    '4350 container app exited with code 143 (run 1)',
  ]);
  assert.equal(steps.find((s) => s.step === 'pod Ready')!.source, 'api');
  assert.equal(steps.find((s) => s.step.endsWith('started'))!.source, 'kubelet');
  assert.ok(!steps.some((s) => s.step.includes('Started')), 'the kubelet’s events are not shown twice');
  const lines = formatTimeline(pod, steps);
  assert.match(lines[3]!, /^2026-01-01T12:00:00\.900Z {2}\+900ms {2}container app image "busybox" pulled \(took 750ms\): 2\.1MB, 1\/1 layer$/);
  assert.match(lines.at(-1)!, /\+4\.35s {2}container app exited with code 143 \(run 1\) \(took 2\.9s\): Error$/);
});

test('describeEntry: a pull in progress shows bytes of the total and layers', () => {
  assert.deepEqual(describeEntry({ at: 0, kind: 'ImagePulling', container: 'app', containerType: 'init', image: 'x', progress: { downloaded: 1_500, total: 3_000_000, layersDone: 0, layers: 2 } }), {
    step: 'init container app pulling image "x"',
    detail: '1.5kB/3MB, 0/2 layers',
  });
});

test('formatMs and formatBytes', () => {
  assert.deepEqual([0, 7, 999, 1_000, 1_234, 59_999, 125_000].map(formatMs), ['0s', '7ms', '999ms', '1s', '1.234s', '59.999s', '2m5s']);
  assert.deepEqual([0, 999, 1_000, 2_160_000, 3_000_000_000].map(formatBytes), ['0B', '999B', '1kB', '2.2MB', '3GB']);
});
