import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from '../../api/index.ts';
import { buildTimeline, formatTimeline } from './timeline.ts';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const t = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

function ev(reason: string, at: number, fieldPath?: string, message = '', count = 1, last = at): Event {
  return {
    apiVersion: 'v1', kind: 'Event', metadata: { name: `x.${reason}${at}` },
    involvedObject: { kind: 'Pod', name: 'web', fieldPath }, reason, message, count,
    firstTimestamp: t(at), lastTimestamp: t(last),
  } as Event;
}

const pod: Pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', creationTimestamp: t(0) },
  spec: { containers: [{ name: 'app', image: 'busybox' }], initContainers: [{ name: 'init', image: 'busybox' }] },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t(1) },
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: t(2) },
      { type: 'Initialized', status: 'True', lastTransitionTime: t(6) },
      { type: 'Ready', status: 'True', lastTransitionTime: t(20) },
    ],
    initContainerStatuses: [{ name: 'init', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t(3), finishedAt: t(5) } } }],
    containerStatuses: [{
      name: 'app', image: 'busybox', imageID: '', ready: true, restartCount: 1, started: true,
      state: { running: { startedAt: t(15) } },
      lastState: { terminated: { exitCode: 2, reason: 'Error', message: 'oops', startedAt: t(8), finishedAt: t(12) } },
    }],
  },
};

const events = [
  ev('Scheduled', 1, undefined, 'Successfully assigned default/web to n1'),
  ev('Pulling', 2, 'spec.initContainers{init}', 'Pulling image "busybox"'),
  ev('Pulled', 3, 'spec.initContainers{init}', 'Successfully pulled image "busybox" in 1.1s'),
  ev('Started', 3, 'spec.initContainers{init}'),
  ev('Started', 8, 'spec.containers{app}', 'Started container app', 2, 15),
];

test('buildTimeline: every step in order, with durations where a step has an end', () => {
  const lines = formatTimeline(pod, buildTimeline(pod, events));
  const steps = lines.map((l) => l.replace(/^\S+\s+\+\S+\s+/, ''));
  assert.deepEqual(steps, [
    'pod created',
    'scheduled (took 1s): Successfully assigned default/web to n1',
    'sandbox ready (network and volumes set up)',
    'init container init pulling image: Pulling image "busybox"',
    'init container init image pulled (took 1s): Successfully pulled image "busybox" in 1.1s',
    'init container init started',
    'init container init running',
    'init container init exited with code 0 (took 2s): Completed',
    'init containers done (Initialized)',
    'container app started (x2, last 2026-01-01T12:00:15.000Z): Started container app',
    'container app running (run 1)',
    'container app exited with code 2 (run 1) (took 4s): Error: oops',
    'container app running (run 2)',
    'pod Ready (took 20s)',
  ]);
  assert.match(lines[0]!, /^2026-01-01T12:00:00Z {2}\+0s {5}pod created$/);
  assert.match(lines.at(-1)!, /^2026-01-01T12:00:20Z {2}\+20s/);
});

test('buildTimeline: a deleted pod shows the request and the end of its grace period', () => {
  const deleted: Pod = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: t(60), deletionGracePeriodSeconds: 30 } };
  const steps = buildTimeline(deleted, []).map((s) => s.step);
  assert.deepEqual(steps.slice(-2), ['deletion requested (grace period 30s: preStop, then SIGTERM)', 'grace period ends (SIGKILL for what is left)']);
});

test('buildTimeline: steps recorded in the same second keep the order a pod lives them', () => {
  const fast: Pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', creationTimestamp: t(0) },
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t(0) }, { type: 'Initialized', status: 'True', lastTransitionTime: t(0) }],
      initContainerStatuses: [{ name: 'init', image: 'b', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, startedAt: t(0), finishedAt: t(0) } } }],
      containerStatuses: [{ name: 'app', image: 'b', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: t(0) } } }],
    },
  };
  const steps = buildTimeline(fast, [ev('Started', 0, 'spec.containers{app}'), ev('Pulled', 0, 'spec.containers{app}'), ev('Scheduled', 0), ev('Started', 0, 'spec.initContainers{init}')]).map((s) => s.step);
  assert.deepEqual(steps, [
    'pod created', 'scheduled', 'init container init started', 'init container init running', 'init container init exited with code 0',
    'init containers done (Initialized)', 'container app image pulled', 'container app started', 'container app running', 'pod Ready',
  ]);
});
