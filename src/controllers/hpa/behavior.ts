/**
 * How far and how fast an HPA may move its target (horizontal.go's normalizeDesiredReplicas and
 * normalizeDesiredReplicasWithBehaviors), pure over the history the controller keeps per HPA:
 *
 * - recommendations: every raw recommendation with its time. Stabilization takes, over the scale-up window,
 *   the lowest recent recommendation and, over the scale-down window, the highest, and keeps the current
 *   count between them (so a short dip does not scale down; with no behavior only the down window applies).
 * - scale events: each change made with its time. A policy allows, per period, `value` pods or `value`%
 *   more (fewer) than the count at the start of the period; selectPolicy Max takes the policy allowing the
 *   most change, Min the least, Disabled none. Without behavior the old rule holds: at most max(2x, 4) up.
 *
 * Each step returns the condition reason and message upstream sets (AbleToScale, ScalingLimited).
 */
import type { HPAScalingRules } from '../../api/index.ts';

export interface TimestampedRecommendation {
  recommendation: number;
  timestampMs: number;
}

export interface ScaleEvent {
  /** Pods added (scale-up list) or removed (scale-down list): always positive. */
  replicaChange: number;
  timestampMs: number;
}

export interface Outcome {
  replicas: number;
  reason: string;
  message: string;
}

export interface NormalizationArgs {
  current: number;
  desired: number;
  min: number;
  max: number;
  /** Filled in: stabilizationWindowSeconds of scaleDown set (from the controller's flag when the HPA has none). */
  scaleUp: HPAScalingRules;
  scaleDown: HPAScalingRules;
  now: number;
}

/** Records `desired` in place of the oldest sample outside every window, or appends it. */
function record(history: TimestampedRecommendation[], desired: number, now: number, oldIndex: number): void {
  if (oldIndex >= 0) history[oldIndex] = { recommendation: desired, timestampMs: now };
  else history.push({ recommendation: desired, timestampMs: now });
}

/** stabilizeRecommendation (no behavior): the highest recommendation within the downscale window. */
export function stabilizeWithoutBehavior(history: TimestampedRecommendation[], desired: number, windowMs: number, now: number): number {
  let max = desired;
  let old = -1;
  const cutoff = now - windowMs;
  history.forEach((r, i) => {
    if (r.timestampMs < cutoff) old = i;
    else if (r.recommendation > max) max = r.recommendation;
  });
  record(history, desired, now, old);
  return max;
}

/** stabilizeRecommendationWithBehaviors. */
export function stabilizeWithBehavior(history: TimestampedRecommendation[], a: NormalizationArgs): Outcome {
  const upCutoff = a.now - (a.scaleUp.stabilizationWindowSeconds ?? 0) * 1000;
  const downCutoff = a.now - (a.scaleDown.stabilizationWindowSeconds ?? 0) * 1000;
  let up = a.desired;
  let down = a.desired;
  let old = -1;
  history.forEach((r, i) => {
    if (r.timestampMs > upCutoff) up = Math.min(r.recommendation, up);
    if (r.timestampMs > downCutoff) down = Math.max(r.recommendation, down);
    if (r.timestampMs < upCutoff && r.timestampMs < downCutoff) old = i;
  });
  let rec = a.current;
  if (rec < up) rec = up;
  if (rec > down) rec = down;
  record(history, a.desired, a.now, old);
  return a.desired >= a.current
    ? { replicas: rec, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
    : { replicas: rec, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
}

function changeInPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.timestampMs > cutoff) sum += e.replicaChange;
  return sum;
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(current: number, ups: readonly ScaleEvent[], downs: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Infinity : -Infinity;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, ups, now) + changeInPeriod(p.periodSeconds, downs, now);
    // Rounded up, or a small target could never grow by a percentage.
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(current: number, ups: readonly ScaleEvent[], downs: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? -Infinity : Infinity;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, ups, now) + changeInPeriod(p.periodSeconds, downs, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

const WITHIN_RANGE: Pick<Outcome, 'reason' | 'message'> = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };

/** convertDesiredReplicasWithBehaviorRate. */
export function limitWithBehavior(a: NormalizationArgs, ups: readonly ScaleEvent[], downs: readonly ScaleEvent[]): Outcome {
  if (a.desired > a.current) {
    const limit = Math.max(scaleUpLimit(a.current, ups, downs, a.scaleUp, a.now), a.current);
    const byRate = a.max > limit;
    const allowed = byRate ? limit : a.max;
    if (a.desired > allowed) {
      return byRate
        ? { replicas: allowed, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
        : { replicas: allowed, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    }
  } else if (a.desired < a.current) {
    const limit = Math.min(scaleDownLimit(a.current, ups, downs, a.scaleDown, a.now), a.current);
    const byRate = a.min < limit;
    const allowed = byRate ? limit : a.min;
    if (a.desired < allowed) {
      return byRate
        ? { replicas: allowed, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' }
        : { replicas: allowed, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
    }
  }
  return { replicas: a.desired, ...WITHIN_RANGE };
}

/** convertDesiredReplicasWithRules (no behavior): min and max, and at most max(2x current, 4) on the way up. */
export function limitWithoutBehavior(current: number, desired: number, min: number, max: number): Outcome {
  const upLimit = Math.max(2 * current, 4);
  const byRate = max > upLimit;
  const allowedMax = byRate ? upLimit : max;
  if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > allowedMax) {
    return byRate
      ? { replicas: allowedMax, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
      : { replicas: allowedMax, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
  }
  return { replicas: desired, ...WITHIN_RANGE };
}
