import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Job, Pod } from '../../api/index.ts';
import { explainJob, jobPodToExplain } from './explain-job.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function job(status: Job['status'], spec: Partial<NonNullable<Job['spec']>> = {}): Job {
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'j1' },
    spec: { template: {}, backoffLimit: 2, ...spec } as Job['spec'],
    status,
  };
}

const failedPod = { sentence: 'pod/pi-x has failed: container main exited with exit code 3 (Error) (phase Failed; it will not be restarted).', evidence: ['phase Failed'], healthy: false };

test('explainJob: BackoffLimitExceeded names the count and the last pod exit', () => {
  const got = explainJob({
    job: job({ failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] }),
    events: [], podAnswer: failedPod, now: NOW,
  });
  assert.equal(got.sentence, `job/pi has failed (BackoffLimitExceeded): its pods failed 3 times, more than its backoffLimit of 2. Its last pod: ${failedPod.sentence}`);
  assert.equal(got.healthy, false);
  assert.ok(got.evidence.includes(`  phase Failed`), 'the pod evidence beneath');
});

test('explainJob: DeadlineExceeded names activeDeadlineSeconds', () => {
  const got = explainJob({ job: job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] }, { activeDeadlineSeconds: 5 }), events: [], now: NOW });
  assert.equal(got.sentence, 'job/pi has failed (DeadlineExceeded): it ran longer than its activeDeadlineSeconds (5s).');
});

test('explainJob: complete is healthy, with how long it took', () => {
  const got = explainJob({
    job: job({ succeeded: 1, startTime: '2026-01-01T11:59:00Z', completionTime: '2026-01-01T11:59:07Z', conditions: [{ type: 'Complete', status: 'True' }] }),
    events: [], now: NOW,
  });
  assert.equal(got.sentence, 'job/pi has completed in 7s: 1 of 1 pod succeeded.');
  assert.equal(got.healthy, true);
});

test('explainJob: suspended, cannot create, waiting, running', () => {
  assert.match(explainJob({ job: job({}, { suspend: true }), events: [], now: NOW }).sentence, /^job\/pi is suspended: it runs no pods until spec.suspend is false/);
  const quota: Event = { apiVersion: 'v1', kind: 'Event', metadata: {}, involvedObject: {}, reason: 'FailedCreate', type: 'Warning', message: 'Error creating: pods "pi-a" is forbidden: exceeded quota: q.' };
  assert.equal(explainJob({ job: job({}), events: [quota], now: NOW }).sentence, 'job/pi cannot create its pods: pods "pi-a" is forbidden: exceeded quota: q.');
  assert.equal(explainJob({ job: job({ failed: 1 }), events: [], now: NOW }).sentence, 'job/pi is waiting for its pods: none is running yet, 0 of 1 succeeded, 1 failed so far (backoffLimit 2).');
  const pending = { sentence: 'pod/pi-b is Pending: the scheduler has not placed it yet.', evidence: [], healthy: false };
  const stuck = explainJob({ job: job({ active: 1 }), events: [], podAnswer: pending, now: NOW });
  assert.equal(stuck.sentence, `job/pi is running but a pod is not: 0 of 1 succeeded, 1 running. Its pod: ${pending.sentence}`);
  assert.equal(stuck.healthy, false);
  const fine = explainJob({ job: job({ active: 1, ready: 1 }), events: [], now: NOW });
  assert.equal(fine.sentence, 'job/pi is running: 0 of 1 succeeded, 1 running.');
  assert.equal(fine.healthy, true);
});

test('jobPodToExplain: a failed Job its newest failed pod; a running Job an unready active pod; a complete one none', () => {
  const pod = (name: string, created: string, phase: 'Failed' | 'Running' | 'Pending', ready = false): Pod => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, creationTimestamp: created, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'j1', controller: true }] },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pods = [pod('a', '2026-01-01T11:00:00Z', 'Failed'), pod('b', '2026-01-01T11:01:00Z', 'Failed'), pod('c', '2026-01-01T11:02:00Z', 'Running', true), pod('d', '2026-01-01T11:03:00Z', 'Pending')];
  assert.equal(jobPodToExplain(job({ conditions: [{ type: 'Failed', status: 'True' }] }), pods)?.metadata?.name, 'b');
  assert.equal(jobPodToExplain(job({}), pods)?.metadata?.name, 'd');
  assert.equal(jobPodToExplain(job({ conditions: [{ type: 'Complete', status: 'True' }] }), pods), undefined);
  assert.equal(jobPodToExplain({ ...job({}), metadata: { name: 'pi', uid: 'other' } }, pods), undefined);
});
