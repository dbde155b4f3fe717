/**
 * Upstream's matchSuccessPolicy for Indexed Jobs: the first rule of `spec.successPolicy` that the succeeded
 * indexes satisfy declares the Job succeeded (SuccessCriteriaMet, reason SuccessPolicy) before all
 * completions are reached. A rule with `succeededIndexes` needs every listed index succeeded, or, with
 * `succeededCount` too, that many of them; a rule with only `succeededCount` needs that many succeeded
 * indexes in all. Returns upstream's condition message, or undefined when no rule matches. Pure.
 */
import type { JobSpec } from '../../api/index.ts';
import { parseIndexes } from './indexes.ts';

export function matchSuccessPolicy(policy: JobSpec['successPolicy'], completions: number, succeeded: ReadonlySet<number>): string | undefined {
  if (!policy || succeeded.size === 0) return undefined;
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      // An unparsable rule (nothing in range) matches nothing.
      if (required.size === 0) continue;
      const have = [...required].filter((ix) => succeeded.has(ix)).length;
      if (rule.succeededCount !== undefined ? have >= rule.succeededCount : have === required.size) return `Matched rules at index ${i}`;
    } else if (rule.succeededCount !== undefined && succeeded.size >= rule.succeededCount) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}
