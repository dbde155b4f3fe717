/**
 * What the workload answers share: which objects a controller owns (by its uid in a controller
 * ownerReference, as the controllers themselves adopt), whether a pod is Ready, conditions as evidence lines,
 * and the pod answer folded beneath a workload's own evidence.
 */
import type { Pod } from '../../api/index.ts';
import { ago, type Answer } from './answer.ts';

interface Owned {
  metadata?: { uid?: string; deletionTimestamp?: unknown; ownerReferences?: { uid: string; controller?: boolean }[] } | undefined;
}

/** The objects whose controller is the object with `uid` (a deleted one's successor keeps none of them). */
export function ownedBy<T extends Owned>(uid: string | undefined, objects: readonly T[]): T[] {
  if (!uid) return [];
  return objects.filter((o) => o.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller));
}

export const isPodReady = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Pods still meant to run: not being deleted, not finished. */
export const isPodActive = (p: Pod): boolean => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

/** One evidence line per condition, as the Deployment answer prints them. */
export function conditionLines(conditions: readonly Condition[] | undefined, now: number): string[] {
  return (conditions ?? []).map((c) => {
    const why = [c.reason, c.message].filter(Boolean).join(': ');
    const at = c.lastTransitionTime ?? c.lastUpdateTime;
    return `condition ${c.type}=${c.status}${at ? ` since ${ago(at, now)}` : ''}${why ? ` (${why})` : ''}`;
  });
}

/** The pod answer beneath a workload's evidence: its sentence, then its evidence indented. */
export function podAnswerLines(podAnswer: Answer | undefined): string[] {
  return podAnswer ? [podAnswer.sentence, ...podAnswer.evidence.map((l) => `  ${l}`)] : [];
}

/** ` Not ready: <the pod's sentence>` when the pod answer says something is wrong, else ''. */
export function notReadyClause(podAnswer: Answer | undefined, lead = 'Not ready'): string {
  return podAnswer && !podAnswer.healthy ? ` ${lead}: ${podAnswer.sentence}` : '';
}

/** The newest by creation time (ties: the later name), or undefined. */
export function newest<T extends { metadata?: { creationTimestamp?: unknown; name?: string } }>(objects: readonly T[]): T | undefined {
  const t = (o: T) => Date.parse(String(o.metadata?.creationTimestamp ?? '')) || 0;
  return [...objects].sort((a, b) => t(b) - t(a) || (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? ''))[0];
}

/** `app=web,tier=front` for a matchLabels map. */
export function labelsText(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}
