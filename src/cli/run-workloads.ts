/**
 * Which of a manifest's objects `kubeling run` follows the pods of, and when a followed workload is done.
 * Serving workloads (Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet) never complete:
 * a run with one ends on Ctrl-C or `--timeout`. A Job is done once it has a Complete or Failed condition; its
 * pods failing on the way count only through the Job (a retried pod that then succeeds is not a failure). Pure.
 */
import type { Job, KubeObject, LabelSelector } from '../api/index.ts';

export type WorkloadKind = 'serving' | 'job';

const SERVING = new Set(['deployments', 'replicasets', 'replicationcontrollers', 'statefulsets', 'daemonsets']);

/** How `kubeling run` follows objects of this resource, or undefined when it does not. */
export function workloadKind(plural: string): WorkloadKind | undefined {
  if (SERVING.has(plural)) return 'serving';
  if (plural === 'jobs') return 'job';
  return undefined;
}

/** The selector of the pods a workload makes (a ReplicationController's is a plain label map). */
export function podSelectorOf(plural: string, obj: KubeObject): LabelSelector | undefined {
  const selector = (obj.spec as { selector?: unknown } | undefined)?.selector;
  if (plural === 'replicationcontrollers') {
    const map = (selector as Record<string, string> | undefined) ?? (obj.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template?.metadata?.labels;
    return map ? { matchLabels: map } : undefined;
  }
  return selector as LabelSelector | undefined;
}

/** A finished Job's outcome (`Complete`, or `Failed` with its reason), or undefined while it runs. */
export function jobOutcome(job: Job): { complete: boolean; reason?: string } | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  return { complete: c.type === 'Complete', reason: c.reason };
}
