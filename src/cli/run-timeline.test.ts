import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodTimelineEntry, PodTimelineRecord } from '../api/index.ts';
import { LiveOutput, RunTimeline, pullStatus, runningPulls, timelineLine } from './run-timeline.ts';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const pod: Pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T12:00:00Z' },
  spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] },
};
const record = (steps: PodTimelineEntry[]): PodTimelineRecord => ({ kind: 'PodTimeline', namespace: 'default', name: 'web', uid: 'u1', steps });

test('timelineLine: name, offset from creation, step, duration, detail', () => {
  assert.equal(
    timelineLine(pod, { at: T0 + 1_234, kind: 'ContainerStarted', container: 'app', containerType: 'regular', durationMs: 21 }),
    '  - web +1.234s container app started (took 21ms)',
  );
  assert.equal(
    timelineLine(pod, { at: T0 + 3_000, kind: 'ContainerExited', container: 'app', exitCode: 1, restartCount: 2, reason: 'Error', message: 'bad config', durationMs: 1_500 }),
    '  - web +3s container app exited with code 1 (run 3) (took 1.5s): Error: bad config',
  );
});

test('runningPulls and pullStatus: a pull without its end, as a bar with bytes and layers', () => {
  const r = record([
    { at: T0, kind: 'ImagePulling', container: 'init', image: 'a' },
    { at: T0 + 1, kind: 'ImagePulled', container: 'init', image: 'a' },
    { at: T0 + 2, kind: 'ImagePulling', container: 'app', image: 'nginx', progress: { downloaded: 1_000_000, total: 4_000_000, layersDone: 1, layers: 3 } },
  ]);
  assert.deepEqual(runningPulls(r).map((s) => s.container), ['app']);
  assert.equal(pullStatus(pod, runningPulls(r)[0]!), 'web pulling "nginx" [#####...............] 1MB/4MB 1/3 layers');
});

test('RunTimeline prints each new step once, a running pull only on the live line, and stops after the pod is gone', async () => {
  const steps: PodTimelineEntry[] = [{ at: T0 + 100, kind: 'PodSeen' }];
  const printed: string[] = [];
  const statuses: (string | undefined)[] = [];
  let reads = 0;
  let unbound = 0;
  const tl = new RunTimeline({
    fetch: async (p) => {
      if (!p.spec?.nodeName) unbound++;
      reads++;
      return record(steps.map((s) => ({ ...s })));
    },
    print: (l) => printed.push(l),
    status: (s) => statuses.push(s),
    intervalMs: 5,
  });
  tl.observe({ ...pod, spec: { containers: [] } }); // not bound yet: not read
  tl.observe(pod);
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 5));
  };
  await until(() => printed.length === 1);
  steps.push({ at: T0 + 200, kind: 'ImagePulling', container: 'app', image: 'busybox', progress: { downloaded: 10, total: 100 } });
  await until(() => statuses.some((s) => s?.includes('pulling')));
  steps.push({ at: T0 + 300, kind: 'ImagePulled', container: 'app', image: 'busybox', durationMs: 100, progress: { downloaded: 100, total: 100 } });
  steps.push({ at: T0 + 400, kind: 'PodGone' });
  await until(() => printed.length === 3);
  const after = reads;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(reads, after, 'no reads once the pod is gone');
  await tl.stop();
  assert.equal(unbound, 0);
  assert.deepEqual(printed, [
    '  - web +100ms pod seen by the kubelet',
    '  - web +300ms container app image "busybox" pulled (took 100ms): 100B',
    '  - web +400ms containers and sandbox removed (pod gone from the node)',
  ]);
  assert.ok(statuses.includes('web pulling "busybox" [##..................] 10B/100B'), JSON.stringify(statuses));
  assert.equal(statuses.at(-1), undefined, 'the live line is cleared');
});

test('LiveOutput: lines print above the live line on a terminal; off a terminal no live line at all', () => {
  const tty: string[] = [];
  const live = new LiveOutput({ write: (t) => tty.push(t), isTTY: true, columns: 12 });
  live.line('a');
  live.status('pulling something long');
  live.line('b');
  live.status(undefined);
  assert.deepEqual(tty, ['a\n', '\rpulling som\x1b[K', '\r\x1b[K', 'b\n', 'pulling som', '\r\x1b[K']);
  const piped: string[] = [];
  const plain = new LiveOutput({ write: (t) => piped.push(t) });
  plain.status('pulling');
  plain.line('a');
  assert.deepEqual(piped, ['a\n']);
});

test('RunTimeline: a pull that ended is erased from the live line before its end is printed', async () => {
  const steps: PodTimelineEntry[] = [{ at: T0 + 200, kind: 'ImagePulling', container: 'app', image: 'b', progress: { downloaded: 1, total: 2 } }];
  const seen: string[] = [];
  const tl = new RunTimeline({
    fetch: async () => record(steps.map((s) => ({ ...s }))),
    print: (l) => seen.push(`print ${l.trim()}`),
    status: (s) => seen.push(`status ${s ?? '-'}`),
    intervalMs: 5,
  });
  tl.observe(pod);
  while (!seen.length) await new Promise((r) => setTimeout(r, 5));
  steps.push({ at: T0 + 300, kind: 'ImagePulled', container: 'app', image: 'b' });
  while (!seen.some((s) => s.startsWith('print'))) await new Promise((r) => setTimeout(r, 5));
  await tl.stop(0);
  const printed = seen.findIndex((s) => s.startsWith('print'));
  assert.equal(seen[printed - 1], 'status -', seen.join('\n'));
});
