import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultScaleDownRules, defaultScaleUpRules } from '../../api/index.ts';
import {
  limitWithBehavior, limitWithoutBehavior, scaleDownLimit, scaleUpLimit, stabilizeWithBehavior, stabilizeWithoutBehavior,
  type NormalizationArgs, type TimestampedRecommendation,
} from './behavior.ts';

const NOW = 1_000_000;

function args(over: Partial<NormalizationArgs>): NormalizationArgs {
  return { current: 3, desired: 3, min: 1, max: 10, scaleUp: defaultScaleUpRules(), scaleDown: { ...defaultScaleDownRules(), stabilizationWindowSeconds: 300 }, now: NOW, ...over };
}

test('without behavior: the highest recommendation of the downscale window wins, and old samples are replaced', () => {
  const h: TimestampedRecommendation[] = [{ recommendation: 5, timestampMs: NOW - 60_000 }, { recommendation: 9, timestampMs: NOW - 400_000 }];
  assert.equal(stabilizeWithoutBehavior(h, 2, 300_000, NOW), 5);
  // The sample outside the window was overwritten by the new one.
  assert.deepEqual(h.map((r) => r.recommendation), [5, 2]);
  assert.equal(stabilizeWithoutBehavior([], 2, 300_000, NOW), 2);
});

test('without behavior: min, max, and at most max(2x, 4) up at once', () => {
  assert.deepEqual(limitWithoutBehavior(1, 0, 1, 10), { replicas: 1, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  assert.deepEqual(limitWithoutBehavior(1, 9, 1, 10), { replicas: 4, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  assert.deepEqual(limitWithoutBehavior(1, 9, 1, 3), { replicas: 3, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
  assert.equal(limitWithoutBehavior(5, 9, 1, 20).replicas, 9);
  assert.equal(limitWithoutBehavior(2, 3, 1, 10).reason, 'DesiredWithinRange');
});

test('with behavior: a scale down waits for the highest recommendation of its window', () => {
  const h: TimestampedRecommendation[] = [{ recommendation: 6, timestampMs: NOW - 100_000 }];
  const out = stabilizeWithBehavior(h, args({ current: 6, desired: 2 }));
  assert.deepEqual(out, { replicas: 6, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
  // With a zero window the old recommendation is outside it.
  const h2: TimestampedRecommendation[] = [{ recommendation: 6, timestampMs: NOW - 100_000 }];
  assert.equal(stabilizeWithBehavior(h2, args({ current: 6, desired: 2, scaleDown: { ...defaultScaleDownRules(), stabilizationWindowSeconds: 0 } })).replicas, 2);
});

test('with behavior: a scale-up window takes the lowest recent recommendation', () => {
  const h: TimestampedRecommendation[] = [{ recommendation: 4, timestampMs: NOW - 10_000 }];
  const out = stabilizeWithBehavior(h, args({ current: 2, desired: 8, scaleUp: { ...defaultScaleUpRules(), stabilizationWindowSeconds: 60 } }));
  assert.deepEqual(out, { replicas: 4, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' });
});

test('default scale-up rules: the larger of 4 pods and 100% per 15 s, counting scale-ups already made in the period', () => {
  const up = defaultScaleUpRules();
  assert.equal(scaleUpLimit(1, [], [], up, NOW), 5); // max(1 + 4, 2)
  assert.equal(scaleUpLimit(10, [], [], up, NOW), 20); // max(14, 20)
  // 3 pods were added 5 s ago: the period started at 7, so 7 + 4 = 11 and 14 -> 14.
  assert.equal(scaleUpLimit(10, [{ replicaChange: 3, timestampMs: NOW - 5000 }], [], up, NOW), 14);
  // An older event is outside the period.
  assert.equal(scaleUpLimit(10, [{ replicaChange: 3, timestampMs: NOW - 20_000 }], [], up, NOW), 20);
  assert.equal(scaleUpLimit(10, [], [], { ...up, selectPolicy: 'Min' }, NOW), 14);
  assert.equal(scaleUpLimit(10, [], [], { ...up, selectPolicy: 'Disabled' }, NOW), 10);
});

test('scale-down policies: percent rounds down, Min picks the smallest change', () => {
  const rules = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }, { type: 'Pods', value: 1, periodSeconds: 60 }] };
  assert.equal(scaleDownLimit(5, [], [], rules, NOW), 2); // min(trunc(2.5), 4)
  assert.equal(scaleDownLimit(5, [], [], { ...rules, selectPolicy: 'Min' }, NOW), 4);
  // 2 pods removed 10 s ago: the period started at 7 -> 3 by percent.
  assert.equal(scaleDownLimit(5, [], [{ replicaChange: 2, timestampMs: NOW - 10_000 }], rules, NOW), 3);
});

test('limitWithBehavior names what held the count back', () => {
  const slowUp = { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] };
  assert.deepEqual(limitWithBehavior(args({ current: 2, desired: 8, scaleUp: slowUp }), [], []), {
    replicas: 3, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate',
  });
  assert.equal(limitWithBehavior(args({ current: 2, desired: 8, max: 3 }), [], []).reason, 'TooManyReplicas');
  const slowDown = { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] };
  assert.deepEqual(limitWithBehavior(args({ current: 5, desired: 1, scaleDown: slowDown }), [], []), {
    replicas: 4, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate',
  });
  assert.equal(limitWithBehavior(args({ current: 5, desired: 1, min: 2 }), [], []).reason, 'TooFewReplicas');
  assert.deepEqual(limitWithBehavior(args({ current: 5, desired: 4 }), [], []), { replicas: 4, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  // Disabled scale-down keeps the current count.
  assert.equal(limitWithBehavior(args({ current: 5, desired: 1, scaleDown: { selectPolicy: 'Disabled', policies: slowDown.policies } }), [], []).replicas, 5);
});
