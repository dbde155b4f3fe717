/**
 * `kubeling why cronjob/NAME`: a CronJob is as healthy as its last Job, so the answer is that Job's (from
 * explain-job.ts), introduced by when it was scheduled; a suspended CronJob or one that has not run yet
 * says so with its schedule and, where it can be computed, the next run.
 */
import type { CronJob, Event, Job } from '../../api/index.ts';
import { parseCronSchedule } from '../../api/index.ts';
import { ago, eventLines, type Answer } from './answer.ts';
import { newest, ownedBy } from './owned.ts';

export interface CronJobFacts {
  cronJob: CronJob;
  events: readonly Event[];
  /** The answer for its newest Job (`lastJob`), when it has one. */
  jobAnswer?: Answer;
  now: number;
}

/** The newest Job the CronJob owns. */
export function lastJob(cronJob: CronJob, jobs: readonly Job[]): Job | undefined {
  return newest(ownedBy(cronJob.metadata?.uid, jobs));
}

function nextRun(cronJob: CronJob, now: number): string {
  try {
    const at = parseCronSchedule(cronJob.spec?.schedule ?? '', cronJob.spec?.timeZone).next(now);
    return at === undefined ? '' : `, next ${ago(at, now)} (${new Date(at).toISOString()})`;
  } catch {
    return '';
  }
}

export function explainCronJob(facts: CronJobFacts): Answer {
  const { cronJob: cj, now, jobAnswer } = facts;
  const name = `cronjob/${cj.metadata?.name}`;
  const st = cj.status ?? {};
  const schedule = `schedule "${cj.spec?.schedule ?? ''}"${cj.spec?.timeZone ? ` in ${cj.spec.timeZone}` : ''}`;
  const evidence = [
    `${schedule}, concurrencyPolicy ${cj.spec?.concurrencyPolicy ?? 'Allow'}, ${st.active?.length ?? 0} active job(s)${st.lastScheduleTime ? `, last scheduled ${ago(st.lastScheduleTime, now)}` : ''}${st.lastSuccessfulTime ? `, last succeeded ${ago(st.lastSuccessfulTime, now)}` : ''}`,
    ...eventLines(facts.events, now),
    ...(jobAnswer ? [jobAnswer.sentence, ...jobAnswer.evidence.map((l) => `  ${l}`)] : []),
  ];
  if (cj.spec?.suspend) {
    return { sentence: `${name} is suspended: it schedules no Jobs until spec.suspend is false (${schedule}).${jobAnswer ? ` Its last Job: ${jobAnswer.sentence}` : ''}`, evidence, healthy: false };
  }
  if (!jobAnswer) return { sentence: `${name} has not run a Job yet (${schedule}${nextRun(cj, now)}).`, evidence, healthy: true };
  // A Job made with `kubectl create job --from=cronjob/NAME` is its own but was not scheduled by it.
  const ran = st.lastScheduleTime ? `last ran ${ago(st.lastScheduleTime, now)}` : 'has scheduled no Job itself yet';
  return { sentence: `${name} ${ran}${nextRun(cj, now)}. Its last Job: ${jobAnswer.sentence}`, evidence, healthy: jobAnswer.healthy };
}
