/**
 * Upstream's matchPodFailurePolicy: the first rule of a Job's podFailurePolicy that a failed pod matches
 * decides what its failure means: FailJob (the Job fails at once), FailIndex (its index fails), Ignore (not
 * counted against the back-off limit) or Count (counted as usual). A pod no rule matches is counted. Pure.
 */
import type { Pod, PodFailurePolicy } from '../../api/index.ts';

export type FailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface FailurePolicyMatch {
  action: FailurePolicyAction;
  /** Upstream's message for the Job condition: which container, exit code and rule. */
  message: string;
  ruleIndex: number;
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): FailurePolicyMatch | undefined {
  const who = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const rules = policy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const action = rule.action as FailurePolicyAction;
    const ec = rule.onExitCodes;
    if (ec) {
      for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        if (ec.containerName && ec.containerName !== cs.name) continue;
        const code = cs.state?.terminated?.exitCode;
        // Exit code 0 never matches: only failures are judged.
        if (code === undefined || code === 0) continue;
        if (ec.values.includes(code) === (ec.operator === 'In')) {
          return { action, ruleIndex: i, message: `Container ${cs.name} for pod ${who} failed with exit code ${code} matching ${action} rule at index ${i}` };
        }
      }
    }
    for (const pattern of rule.onPodConditions ?? []) {
      const hit = pod.status?.conditions?.find((c) => c.type === pattern.type && c.status === (pattern.status || 'True'));
      if (hit) return { action, ruleIndex: i, message: `Pod ${who} has condition ${pattern.type} matching ${action} rule at index ${i}` };
    }
  }
  return undefined;
}
