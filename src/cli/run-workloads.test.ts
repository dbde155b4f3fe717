import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, KubeObject } from '../api/index.ts';
import { jobOutcome, podSelectorOf, workloadKind } from './run-workloads.ts';

test('kubeling run follows serving workloads and Jobs, with the pod selector of each', () => {
  assert.deepEqual(['deployments', 'replicasets', 'replicationcontrollers', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'services'].map(workloadKind),
    ['serving', 'serving', 'serving', 'serving', 'serving', 'job', undefined, undefined]);
  const rc = { spec: { selector: { app: 'old' } } } as unknown as KubeObject;
  assert.deepEqual(podSelectorOf('replicationcontrollers', rc), { matchLabels: { app: 'old' } });
  const rcDefaulted = { spec: { template: { metadata: { labels: { app: 'tpl' } } } } } as unknown as KubeObject;
  assert.deepEqual(podSelectorOf('replicationcontrollers', rcDefaulted), { matchLabels: { app: 'tpl' } });
  const sts = { spec: { selector: { matchLabels: { app: 'db' } } } } as unknown as KubeObject;
  assert.deepEqual(podSelectorOf('statefulsets', sts), { matchLabels: { app: 'db' } });
});

test('a Job is done once Complete or Failed is True', () => {
  const job = (conditions: { type: string; status: string; reason?: string }[]) => ({ status: { conditions } }) as Job;
  assert.equal(jobOutcome(job([])), undefined);
  assert.equal(jobOutcome(job([{ type: 'SuccessCriteriaMet', status: 'True' }])), undefined);
  assert.deepEqual(jobOutcome(job([{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True', reason: 'CompletionsReached' }])), { complete: true, reason: 'CompletionsReached' });
  assert.deepEqual(jobOutcome(job([{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }])), { complete: false, reason: 'BackoffLimitExceeded' });
});
