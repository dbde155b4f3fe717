/** Table-driven tests of the Job controller's pure decisions: index lists, the pod failure back-off, pod failure policy rules, success policy rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodFailurePolicy } from '../../api/index.ts';
import { firstPendingIndexes, formatIndexes, parseIndexes } from './indexes.ts';
import { nextBackoffRecord, remainingBackoffMs } from './backoff.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { matchSuccessPolicy } from './success-policy.ts';

test('index lists read and write as intervals', () => {
  const cases: [string, number, number[], string][] = [
    ['', 5, [], ''],
    ['0', 5, [0], '0'],
    ['0-2,4', 5, [0, 1, 2, 4], '0-2,4'],
    ['1,3-5,7', 6, [1, 3, 4, 5], '1,3-5'],
  ];
  for (const [text, completions, set, back] of cases) {
    const parsed = parseIndexes(text, completions);
    assert.deepEqual([...parsed].sort((a, b) => a - b), set, text);
    assert.equal(formatIndexes(parsed), back, text);
  }
  assert.deepEqual(firstPendingIndexes(6, 2, new Set([0, 1]), new Set([3])), [2, 4]);
});

test('pod failure back-off: 10 s doubling per failure since the last success, at most 6 min', () => {
  const t0 = 1_000_000;
  const cases: { name: string; failures: number; want: number }[] = [
    { name: 'no failure', failures: 0, want: 0 },
    { name: 'one', failures: 1, want: 10_000 },
    { name: 'two', failures: 2, want: 20_000 },
    { name: 'five', failures: 5, want: 160_000 },
    { name: 'capped', failures: 10, want: 360_000 },
  ];
  for (const c of cases) {
    const rec = nextBackoffRecord({ failuresAfterLastSuccess: 0 }, [], Array.from({ length: c.failures }, () => t0));
    assert.equal(remainingBackoffMs(rec, t0), c.want, c.name);
  }
  const rec = nextBackoffRecord({ failuresAfterLastSuccess: 3, lastFailureTime: t0 }, [t0 + 5], [t0 + 1, t0 + 10]);
  assert.deepEqual(rec, { failuresAfterLastSuccess: 1, lastFailureTime: t0 + 10 }, 'a success resets the count; later failures count');
  assert.equal(remainingBackoffMs({ failuresAfterLastSuccess: 1, lastFailureTime: t0 }, t0 + 4_000), 6_000);
});

test('pod failure policy: first matching rule wins; exit code 0 never matches; conditions match', () => {
  const pod = (codes: Record<string, number>, conditions: { type: string; status: string }[] = []): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [] },
    status: {
      phase: 'Failed', conditions,
      containerStatuses: Object.entries(codes).map(([name, exitCode]) => ({ name, image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } })),
    },
  });
  const policy: PodFailurePolicy = {
    rules: [
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1] } },
    ],
  };
  const cases: { name: string; pod: Pod; want?: string }[] = [
    { name: 'FailJob on 42 in main', pod: pod({ main: 42 }), want: 'FailJob' },
    { name: '42 in another container falls to NotIn', pod: pod({ side: 42 }), want: 'Count' },
    { name: 'disruption is ignored', pod: pod({ main: 137 }, [{ type: 'DisruptionTarget', status: 'True' }]), want: 'Ignore' },
    { name: 'exit 1 matches nothing', pod: pod({ main: 1 }), want: undefined },
    { name: 'exit 0 matches nothing', pod: pod({ main: 0 }), want: undefined },
  ];
  for (const c of cases) assert.equal(matchPodFailurePolicy(policy, c.pod)?.action, c.want, c.name);
  assert.equal(matchPodFailurePolicy(policy, pod({ main: 42 }))?.message, 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0');
});

test('success policy: the first rule the succeeded indexes satisfy, with upstream\'s message', () => {
  const policy = { rules: [{ succeededIndexes: '0-2', succeededCount: 2 }, { succeededIndexes: '4' }, { succeededCount: 3 }] };
  const cases: [number[], string | undefined][] = [
    [[], undefined],
    [[0], undefined],
    [[0, 2], 'Matched rules at index 0'],
    [[4], 'Matched rules at index 1'],
    [[0, 3, 5], 'Matched rules at index 2'],
    [[0, 3], undefined],
  ];
  for (const [succeeded, want] of cases) assert.equal(matchSuccessPolicy(policy, 6, new Set(succeeded)), want, `succeeded ${succeeded}`);
  assert.equal(matchSuccessPolicy(undefined, 6, new Set([0, 1, 2])), undefined);
  assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '7-9' }] }, 6, new Set([0])), undefined, 'a rule with no index in range matches nothing');
});
