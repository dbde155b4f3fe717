/**
 * Defaults of batch/v1 (pkg/apis/batch/v1/defaults.go): a Job's completions and parallelism (both 1 when
 * neither is set), backoffLimit 6 (MaxInt32 with backoffLimitPerIndex), completionMode NonIndexed, suspend
 * false, podReplacementPolicy, pod failure policy condition status True, and a Job's labels from its template;
 * a CronJob's concurrencyPolicy Allow, suspend false and history limits 3 and 1. The selector a Job gets when
 * `manualSelector` is not true needs the Job's uid, so the registry's create strategy adds it
 * (`generateJobSelector`).
 */
import type { CronJob, Job, JobSpec, PodTemplateSpec } from './types.ts';

/** Labels a Job's pods carry and its generated selector matches (upstream's batch.*LabelKey constants). */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
/** The annotation and label carrying an Indexed Job pod's completion index. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The finalizer the Job controller keeps on pods until it has counted them. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const MAX_INT32 = 2147483647;

export function defaultJobSpec(spec: JobSpec, defaultPodTemplate: (t: PodTemplateSpec | undefined) => void): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : MAX_INT32;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) pattern.status ||= 'True';
  }
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplate(spec.template);
}

export function defaultJob(job: Job, defaultPodTemplate: (t: PodTemplateSpec | undefined) => void): Job {
  const spec = (job.spec ??= { template: {} });
  defaultJobSpec(spec, defaultPodTemplate);
  const labels = spec.template?.metadata?.labels;
  if (labels && !job.metadata?.labels) (job.metadata ??= {}).labels = { ...labels };
  return job;
}

export function defaultCronJob(cj: CronJob, defaultPodTemplate: (t: PodTemplateSpec | undefined) => void): CronJob {
  const spec = (cj.spec ??= { schedule: '', jobTemplate: {} });
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultPodTemplate(spec.jobTemplate?.spec?.template);
  return cj;
}

/**
 * The selector and pod labels of a Job whose `manualSelector` is not true (upstream's generateSelector, run at
 * create): the selector matches the Job's uid, and the template gets the uid and name labels, new and legacy.
 */
export function generateJobSelector(job: Job): void {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return;
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  const template = (spec.template ??= {});
  const labels = ((template.metadata ??= {}).labels ??= {});
  labels[JOB_CONTROLLER_UID_LABEL] ??= uid;
  labels[LEGACY_JOB_CONTROLLER_UID_LABEL] ??= uid;
  labels[JOB_NAME_LABEL] ??= name;
  labels[LEGACY_JOB_NAME_LABEL] ??= name;
  spec.selector ??= { matchLabels: { [JOB_CONTROLLER_UID_LABEL]: uid } };
}
