/**
 * When a CronJob should have run last (upstream's mostRecentScheduleTime and nextScheduleTime, pure): from the
 * last schedule time (or creation) — or from now − startingDeadlineSeconds when that is later — up to now, the
 * latest scheduled time and how many were missed. Only the latest is ever started: after a long outage the
 * controller makes one Job, not a burst of catch-up Jobs, and reports more than 100 missed times.
 */
import type { CronJob, CronSchedule } from '../../api/index.ts';

export interface MostRecentSchedule {
  /** The latest scheduled time ≤ now after the earliest time considered (undefined: nothing due). */
  mostRecent?: number;
  /** How many scheduled times passed (exact up to 1000, estimated from the interval beyond). */
  missed: number;
}

const EXACT_LIMIT = 1000;

/**
 * `includeStartingDeadline` bounds the look-back by startingDeadlineSeconds (how missed times are counted);
 * without it a time missed by more than the deadline is still found, so the caller can report MissSchedule.
 */
export function mostRecentScheduleTime(cj: CronJob, now: number, schedule: CronSchedule, includeStartingDeadline = true): MostRecentSchedule {
  const last = cj.status?.lastScheduleTime ?? cj.metadata?.creationTimestamp;
  let earliest = last ? Date.parse(last) : now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (sds !== undefined && includeStartingDeadline) earliest = Math.max(earliest, now - sds * 1000);
  const t1 = schedule.next(earliest);
  if (t1 === undefined || t1 > now) return { missed: 0 };
  let mostRecent = t1;
  let missed = 1;
  for (let t = schedule.next(t1); t !== undefined && t <= now; t = schedule.next(t)) {
    mostRecent = t;
    missed++;
    if (missed >= EXACT_LIMIT) return estimate(t1, now, schedule);
  }
  return { mostRecent, missed };
}

/** Many missed times: the count from the first interval, the most recent found by probing back from now. */
function estimate(t1: number, now: number, schedule: CronSchedule): MostRecentSchedule {
  const t2 = schedule.next(t1)!;
  const interval = Math.max(1000, t2 - t1);
  let r = t1;
  for (let k = 1; ; k *= 2) {
    const from = Math.max(t1 - 1, now - k * interval);
    const probe = schedule.next(from);
    if (probe !== undefined && probe <= now) {
      r = probe;
      break;
    }
    if (from === t1 - 1) break;
  }
  let mostRecent = r;
  for (let t = schedule.next(mostRecent); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  return { mostRecent, missed: Math.floor((now - t1) / interval) + 1 };
}

/** How long from now until the next scheduled time (upstream adds 100 ms so the time has surely come). */
export function nextScheduleDelayMs(schedule: CronSchedule, now: number): number | undefined {
  const next = schedule.next(now);
  return next === undefined ? undefined : next - now + 100;
}

/** The name of the Job for a scheduled time: `<cronjob>-<minutes since the epoch>` (upstream's getJobName). */
export function jobNameFor(cj: CronJob, scheduledTime: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduledTime / 60_000)}`;
}
