import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from '../../api/index.ts';
import { explainCronJob, lastJob } from './explain-cronjob.ts';

const NOW = Date.parse('2026-01-01T12:00:30Z');

const cj = (spec: Partial<NonNullable<CronJob['spec']>> = {}, status: CronJob['status'] = {}): CronJob => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', uid: 'c1' },
  spec: { schedule: '*/5 * * * *', jobTemplate: {}, ...spec } as CronJob['spec'], status,
});

const failedJob = { sentence: 'job/nightly-1 has failed (BackoffLimitExceeded): its pods failed 1 time, more than its backoffLimit of 0.', evidence: ['x'], healthy: false };

test('explainCronJob: its last Job answers, with when it ran and runs next', () => {
  const got = explainCronJob({ cronJob: cj({}, { lastScheduleTime: '2026-01-01T12:00:00Z' }), events: [], jobAnswer: failedJob, now: NOW });
  assert.equal(got.sentence, `cronjob/nightly last ran 30s ago, next in 4m30s (2026-01-01T12:05:00.000Z). Its last Job: ${failedJob.sentence}`);
  assert.equal(got.healthy, false);
  assert.ok(got.evidence.includes('  x'));
});

test('explainCronJob: a Job made from it by hand is its last Job too', () => {
  const done = { sentence: 'job/nightly-manual has completed in 2s: 1 of 1 pod succeeded.', evidence: [], healthy: true };
  const got = explainCronJob({ cronJob: cj(), events: [], jobAnswer: done, now: NOW });
  assert.equal(got.sentence, `cronjob/nightly has scheduled no Job itself yet, next in 4m30s (2026-01-01T12:05:00.000Z). Its last Job: ${done.sentence}`);
  assert.equal(got.healthy, true);
});

test('explainCronJob: suspended, not run yet', () => {
  assert.match(explainCronJob({ cronJob: cj({ suspend: true }), events: [], now: NOW }).sentence, /^cronjob\/nightly is suspended: it schedules no Jobs until spec.suspend is false \(schedule "\*\/5 \* \* \* \*"\)\.$/);
  const fresh = explainCronJob({ cronJob: cj(), events: [], now: NOW });
  assert.equal(fresh.sentence, 'cronjob/nightly has not run a Job yet (schedule "*/5 * * * *", next in 4m30s (2026-01-01T12:05:00.000Z)).');
  assert.equal(fresh.healthy, true);
});

test('lastJob: the newest it owns', () => {
  const job = (name: string, created: string, uid = 'c1'): Job => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, creationTimestamp: created, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid, controller: true }] } });
  const got = lastJob(cj(), [job('a', '2026-01-01T11:55:00Z'), job('b', '2026-01-01T12:00:00Z'), job('z', '2026-01-01T12:01:00Z', 'other')]);
  assert.equal(got?.metadata?.name, 'b');
});
