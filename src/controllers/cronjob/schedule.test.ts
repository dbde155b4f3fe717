import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCronSchedule, type CronJob } from '../../api/index.ts';
import { jobNameFor, mostRecentScheduleTime, nextScheduleDelayMs } from './schedule.ts';
import { rfc3339In } from './cronjob-controller.ts';

const T = (iso: string) => Date.parse(iso);
const cj = (created: string, last?: string, startingDeadlineSeconds?: number): CronJob => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', creationTimestamp: created },
  spec: { schedule: '', jobTemplate: {}, startingDeadlineSeconds }, status: { lastScheduleTime: last },
});

test('most recent schedule time: table of cases', () => {
  const everyMinute = parseCronSchedule('* * * * *');
  const hourly = parseCronSchedule('@hourly');
  const cases: { name: string; cj: CronJob; now: string; schedule: typeof hourly; want?: string; missed: number }[] = [
    { name: 'not yet due', cj: cj('2026-01-01T00:00:10Z'), now: '2026-01-01T00:00:50Z', schedule: everyMinute, missed: 0 },
    { name: 'one due', cj: cj('2026-01-01T00:00:10Z'), now: '2026-01-01T00:01:05Z', schedule: everyMinute, want: '2026-01-01T00:01:00Z', missed: 1 },
    { name: 'already ran at the last time', cj: cj('2026-01-01T00:00:10Z', '2026-01-01T00:01:00Z'), now: '2026-01-01T00:01:30Z', schedule: everyMinute, missed: 0 },
    { name: 'three missed: only the latest', cj: cj('2026-01-01T00:00:10Z', '2026-01-01T00:01:00Z'), now: '2026-01-01T00:04:01Z', schedule: everyMinute, want: '2026-01-01T00:04:00Z', missed: 3 },
    { name: 'startingDeadlineSeconds bounds the look-back', cj: cj('2026-01-01T00:00:00Z', undefined, 90), now: '2026-01-01T05:00:30Z', schedule: hourly, want: '2026-01-01T05:00:00Z', missed: 1 },
    { name: 'a week-long outage: one time, counted', cj: cj('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), now: '2026-01-08T00:00:30Z', schedule: everyMinute, want: '2026-01-08T00:00:00Z', missed: 10080 },
  ];
  for (const c of cases) {
    const got = mostRecentScheduleTime(c.cj, T(c.now), c.schedule);
    assert.equal(got.mostRecent === undefined ? undefined : new Date(got.mostRecent).toISOString().replace('.000Z', 'Z'), c.want, c.name);
    assert.equal(got.missed, c.missed, c.name);
  }
});

test('weekday schedule over a long outage still lands on a scheduled time', () => {
  const weekdays = parseCronSchedule('30 9 * * 1-5');
  const got = mostRecentScheduleTime(cj('2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'), T('2026-01-04T12:00:00Z'), weekdays);
  // 2026-01-04 is a Sunday: the latest run was Friday the 2nd.
  assert.equal(new Date(got.mostRecent!).toISOString(), '2026-01-02T09:30:00.000Z');
  assert.ok(got.missed > 100);
});

test('next delay, job names and the scheduled-timestamp annotation', () => {
  assert.equal(nextScheduleDelayMs(parseCronSchedule('* * * * *'), T('2026-01-01T00:00:30Z')), 30_100);
  assert.equal(jobNameFor(cj('2026-01-01T00:00:00Z'), T('2026-01-01T00:01:00Z')), `tick-${T('2026-01-01T00:01:00Z') / 60000}`);
  assert.equal(rfc3339In(T('2026-01-01T14:30:00Z'), 'America/New_York'), '2026-01-01T09:30:00-05:00');
  assert.equal(rfc3339In(T('2026-01-01T14:30:00Z'), undefined), '2026-01-01T14:30:00Z');
});
