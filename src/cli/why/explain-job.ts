/**
 * `kubeling why job/NAME`: whether a Job finished, and how: Complete, or Failed with the job controller's
 * reason (BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy, ...) and its last pod's exit; suspended;
 * unable to create its pods (FailedCreate); or running, with the answer for a pod that is not running well.
 */
import type { Event, Job, Pod } from '../../api/index.ts';
import { humanDuration } from '../../api/index.ts';
import { eventLines, latestEvent, type Answer } from './answer.ts';
import { conditionLines, isPodActive, isPodReady, newest, notReadyClause, ownedBy, podAnswerLines } from './owned.ts';

export interface JobFacts {
  job: Job;
  events: readonly Event[];
  /** The answer for the pod `jobPodToExplain` picked, when there is one. */
  podAnswer?: Answer;
  now: number;
}

const isTrue = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/**
 * The pod worth explaining: for a finished Job its newest failed pod (the last exit), else its newest pod;
 * for a running one, an active pod that is not Ready (Pending, crashing, being pulled).
 */
export function jobPodToExplain(job: Job, pods: readonly Pod[]): Pod | undefined {
  const mine = ownedBy(job.metadata?.uid, pods);
  if (isTrue(job, 'Failed') || isTrue(job, 'FailureTarget')) return newest(mine.filter((p) => p.status?.phase === 'Failed')) ?? newest(mine);
  if (isTrue(job, 'Complete') || isTrue(job, 'SuccessCriteriaMet')) return undefined;
  return newest(mine.filter((p) => isPodActive(p) && !isPodReady(p)));
}

export function explainJob(facts: JobFacts): Answer {
  const { job, now, podAnswer } = facts;
  const name = `job/${job.metadata?.name}`;
  const st = job.status ?? {};
  const completions = job.spec?.completions ?? (job.spec?.parallelism === 0 ? 0 : 1);
  const succeeded = st.succeeded ?? 0;
  const failed = st.failed ?? 0;
  const active = st.active ?? 0;
  const backoffLimit = job.spec?.backoffLimit ?? 6;
  const evidence = [
    `pods: ${active} active (${st.ready ?? 0} ready), ${succeeded} succeeded, ${failed} failed; completions ${completions}, parallelism ${job.spec?.parallelism ?? 1}, backoffLimit ${backoffLimit}${job.spec?.activeDeadlineSeconds !== undefined ? `, activeDeadlineSeconds ${job.spec.activeDeadlineSeconds}` : ''}`,
    ...conditionLines(st.conditions, now),
    ...eventLines(facts.events, now),
    ...podAnswerLines(podAnswer),
  ];
  const done = (sentence: string, healthy = false): Answer => ({ sentence, evidence, healthy });
  const lastPod = podAnswer ? ` Its last pod: ${podAnswer.sentence}` : '';

  const fail = isTrue(job, 'Failed') ?? isTrue(job, 'FailureTarget');
  if (fail) {
    const finishing = fail.type === 'FailureTarget' ? ' (its pods are being stopped)' : '';
    const why = fail.reason === 'BackoffLimitExceeded'
      ? `its pods failed ${failed} time${failed === 1 ? '' : 's'}, more than its backoffLimit of ${backoffLimit}`
      : fail.reason === 'DeadlineExceeded'
        ? `it ran longer than its activeDeadlineSeconds (${job.spec?.activeDeadlineSeconds}s)`
        : (fail.message ?? 'the job controller marked it failed').replace(/\.$/, '');
    return done(`${name} has failed (${fail.reason ?? 'Failed'}): ${why}${finishing}.${lastPod}`);
  }
  const complete = isTrue(job, 'Complete') ?? isTrue(job, 'SuccessCriteriaMet');
  if (complete) {
    const took = st.startTime && st.completionTime ? ` in ${humanDuration(Date.parse(st.completionTime) - Date.parse(st.startTime))}` : '';
    return done(`${name} has completed${took}: ${succeeded} of ${completions} pod${completions === 1 ? '' : 's'} succeeded.`, true);
  }
  if (job.spec?.suspend) {
    return done(`${name} is suspended: it runs no pods until spec.suspend is false (kubectl patch job ${job.metadata?.name} -p '{"spec":{"suspend":false}}').`);
  }
  const failedCreate = latestEvent(facts.events, 'FailedCreate');
  if (failedCreate && active === 0) {
    return done(`${name} cannot create its pods: ${(failedCreate.message ?? '').replace(/^Error creating: /, '').trim().replace(/\.$/, '')}.`);
  }
  const retries = failed > 0 ? `, ${failed} failed so far (backoffLimit ${backoffLimit})` : '';
  if (active === 0) return done(`${name} is waiting for its pods: none is running yet, ${succeeded} of ${completions} succeeded${retries}.`);
  const progress = `${succeeded} of ${completions} succeeded, ${active} running${retries}`;
  if (podAnswer && !podAnswer.healthy) return done(`${name} is running but a pod is not: ${progress}.${notReadyClause(podAnswer, 'Its pod')}`);
  return done(`${name} is running: ${progress}.`, true);
}
