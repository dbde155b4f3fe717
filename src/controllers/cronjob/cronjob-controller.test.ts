import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Event, Job } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { FakeClock } from '../../machinery/index.ts';
import { CronJobController } from './cronjob-controller.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const START = Date.parse('2026-01-01T00:00:30Z');
const minute = (iso: string) => Date.parse(iso) / 60_000;

function cronJob(ns: string, spec: Partial<CronJob['spec']> = {}): CronJob {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { name: 'tick', namespace: ns, uid: `uid-${ns}-tick`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      schedule: '* * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { app: 'tick' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  } as CronJob;
}

const jobsIn = (ns: string) => (server.list('batch/jobs') as Job[]).filter((j) => j.metadata?.namespace === ns).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
const storedCj = (ns: string) => server.list('batch/cronjobs').find((c) => c.metadata.namespace === ns) as CronJob;
const events = (ns: string, reason: string) => (server.list('events') as unknown as Event[]).filter((e) => e.involvedObject?.namespace === ns && e.reason === reason);

function complete(job: Job, type: 'Complete' | 'Failed', at: string): void {
  server.put('batch/jobs', { ...job, status: { startTime: at, completionTime: type === 'Complete' ? at : undefined, conditions: [{ type, status: 'True' }] } });
}

async function withController(clock: FakeClock, body: (c: CronJobController) => Promise<void>): Promise<void> {
  const c = new CronJobController({ client, clock });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await until(() => c.cronJobs.list().length > 0 && c.controller.queue.length === 0, 'the first sync');
    await body(c);
  } finally {
    ac.abort();
    await running;
  }
}

test('creates a Job at each scheduled time with owner, labels and the scheduled timestamp; status follows its Jobs', async () => {
  const clock = new FakeClock(START);
  server.put('batch/cronjobs', cronJob('c1'));
  await withController(clock, async () => {
    assert.equal(jobsIn('c1').length, 0, 'nothing before 00:01');
    await clock.step(31_000);
    const [first] = await until(() => (jobsIn('c1').length === 1 ? jobsIn('c1') : undefined), 'the 00:01 Job');
    assert.equal(first!.metadata?.name, `tick-${minute('2026-01-01T00:01:00Z')}`);
    assert.deepEqual(first!.metadata?.labels, { app: 'tick' });
    assert.equal(first!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T00:01:00Z');
    assert.equal(first!.metadata?.ownerReferences?.[0]?.kind, 'CronJob');
    const st = await until(() => (storedCj('c1').status?.active?.length === 1 ? storedCj('c1').status : undefined), 'active 1');
    assert.equal(st.lastScheduleTime, '2026-01-01T00:01:00Z');
    assert.equal(st.active?.[0]?.name, first!.metadata?.name);
    complete(first!, 'Complete', '2026-01-01T00:01:20Z');
    await until(() => storedCj('c1').status?.active === undefined && storedCj('c1').status?.lastSuccessfulTime === '2026-01-01T00:01:20Z', 'the Job leaves active');
    await until(() => events('c1', 'SawCompletedJob').length === 1, 'SawCompletedJob');
    await clock.step(60_000);
    await until(() => jobsIn('c1').length === 2, 'the 00:02 Job');
    await until(() => events('c1', 'SuccessfulCreate').length === 2, 'two SuccessfulCreate events');
    assert.equal(events('c1', 'SuccessfulCreate')[0]!.message, `Created job tick-${minute('2026-01-01T00:01:00Z')}`);
  });
});

test('Forbid skips while a Job runs; Replace deletes the running one first', async () => {
  const clock = new FakeClock(START);
  server.put('batch/cronjobs', cronJob('c2', { concurrencyPolicy: 'Forbid' }));
  server.put('batch/cronjobs', cronJob('c3', { concurrencyPolicy: 'Replace' }));
  await withController(clock, async () => {
    await clock.step(31_000);
    await until(() => jobsIn('c2').length === 1 && jobsIn('c3').length === 1, 'the first Jobs');
    await until(() => storedCj('c2').status?.active?.length === 1 && storedCj('c3').status?.active?.length === 1, 'both active');
    await clock.step(60_000);
    await until(() => events('c2', 'JobAlreadyActive').length === 1, 'JobAlreadyActive');
    assert.equal(jobsIn('c2').length, 1);
    const replaced = await until(() => (jobsIn('c3').length === 1 && jobsIn('c3')[0]!.metadata?.name === `tick-${minute('2026-01-01T00:02:00Z')}` ? jobsIn('c3') : undefined), 'the replacement');
    assert.equal(replaced.length, 1);
    assert.equal(events('c3', 'SuccessfulDelete')[0]?.message, `Deleted job tick-${minute('2026-01-01T00:01:00Z')}`);
  });
});

test('after a long outage: one Job for the latest time, a TooManyMissedTimes warning, no catch-up burst', async () => {
  const clock = new FakeClock(Date.parse('2026-01-02T00:00:30Z'));
  server.put('batch/cronjobs', { ...cronJob('c4'), status: { lastScheduleTime: '2026-01-01T00:00:00Z' } });
  await withController(clock, async () => {
    await until(() => jobsIn('c4').length === 1, 'one Job');
    assert.equal(jobsIn('c4')[0]!.metadata?.name, `tick-${minute('2026-01-02T00:00:00Z')}`);
    await until(() => events('c4', 'TooManyMissedTimes').length === 1, 'the warning');
    assert.equal(events('c4', 'TooManyMissedTimes')[0]!.message, 'too many missed start times: 1440. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    assert.equal(jobsIn('c4').length, 1);
  });
});

test('startingDeadlineSeconds: a time missed by more than the deadline is skipped with MissSchedule; suspend creates nothing', async () => {
  const clock = new FakeClock(Date.parse('2026-01-01T01:00:50Z'));
  server.put('batch/cronjobs', { ...cronJob('c5', { schedule: '@hourly', startingDeadlineSeconds: 20 }), status: { lastScheduleTime: '2026-01-01T00:00:00Z' } });
  server.put('batch/cronjobs', cronJob('c6', { suspend: true }));
  await withController(clock, async () => {
    await until(() => events('c5', 'MissSchedule').length === 1, 'MissSchedule');
    assert.equal(events('c5', 'MissSchedule')[0]!.message, 'Missed scheduled time to start a job: Thu, 01 Jan 2026 01:00:00 +0000');
    await clock.step(120_000);
    assert.equal(jobsIn('c5').length, 0);
    assert.equal(jobsIn('c6').length, 0);
  });
});

test('history limits: finished Jobs beyond the limits are deleted, oldest first', async () => {
  const clock = new FakeClock(START);
  const cj = server.put('batch/cronjobs', cronJob('c7', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0, suspend: true }));
  const owner = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true };
  const old = (name: string, type: 'Complete' | 'Failed', at: string) => server.put('batch/jobs', {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'c7', ownerReferences: [owner] },
    spec: { template: {} }, status: { startTime: at, conditions: [{ type, status: 'True' }] },
  });
  old('a', 'Complete', '2026-01-01T00:00:01Z');
  old('b', 'Complete', '2026-01-01T00:00:02Z');
  old('c', 'Failed', '2026-01-01T00:00:03Z');
  await withController(clock, async () => {
    await until(() => jobsIn('c7').length === 1, 'one Job kept');
    assert.equal(jobsIn('c7')[0]!.metadata?.name, 'b');
  });
});
