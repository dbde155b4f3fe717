import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, fieldErrorText, generateJobSelector, parseCronSchedule, validateObject, validateObjectUpdate, type CronJob, type Job } from '../index.ts';

const job = (spec: Record<string, unknown> = {}): Job => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'u1', resourceVersion: '1' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
}) as Job;

const texts = (errs: ReturnType<typeof validateObject>) => errs.map(fieldErrorText);

test('Job defaults and the generated selector match upstream', () => {
  const j = applyDefaults('jobs', job());
  generateJobSelector(j);
  assert.equal(j.spec?.completions, 1);
  assert.equal(j.spec?.parallelism, 1);
  assert.equal(j.spec?.backoffLimit, 6);
  assert.equal(j.spec?.completionMode, 'NonIndexed');
  assert.equal(j.spec?.suspend, false);
  assert.equal(j.spec?.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(j.spec?.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } });
  assert.deepEqual(j.spec?.template.metadata?.labels, {
    'batch.kubernetes.io/controller-uid': 'u1', 'controller-uid': 'u1', 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi',
  });
  assert.deepEqual(texts(validateObject('jobs', j)), []);
  const par = applyDefaults('jobs', job({ parallelism: 3 }));
  assert.equal(par.spec?.completions, undefined);
  assert.equal(applyDefaults('jobs', job({ backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 2 })).spec?.backoffLimit, 2147483647);
});

test('Job validation: restartPolicy, Indexed without completions, immutable fields', () => {
  const always = applyDefaults('jobs', job({ template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } }));
  generateJobSelector(always);
  assert.deepEqual(texts(validateObject('jobs', always)), ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
  const indexed = applyDefaults('jobs', job({ completionMode: 'Indexed', parallelism: 2 }));
  generateJobSelector(indexed);
  assert.deepEqual(texts(validateObject('jobs', indexed)), ['spec.completions: Required value: when completion mode is Indexed']);
  const old = applyDefaults('jobs', job({ completions: 3 }));
  generateJobSelector(old);
  const changed = structuredClone(old);
  changed.spec!.completions = 4;
  changed.spec!.template.spec!.containers[0]!.image = 'other';
  assert.deepEqual(validateObjectUpdate('jobs', changed, old).map((e) => e.field), ['spec.completions', 'spec.template']);
  const resumed = structuredClone(old);
  resumed.spec!.suspend = true;
  resumed.spec!.parallelism = 5;
  assert.deepEqual(texts(validateObjectUpdate('jobs', resumed, old)), []);
});

test('CronJob defaults, schedule and time zone validation', () => {
  const cj = (schedule: string, extra: Record<string, unknown> = {}): CronJob => applyDefaults('cronjobs', {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', namespace: 'default' },
    spec: { schedule, jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...extra },
  } as CronJob);
  const ok = cj('@hourly');
  assert.equal(ok.spec?.concurrencyPolicy, 'Allow');
  assert.equal(ok.spec?.successfulJobsHistoryLimit, 3);
  assert.equal(ok.spec?.failedJobsHistoryLimit, 1);
  assert.deepEqual(texts(validateObject('cronjobs', ok)), []);
  assert.deepEqual(texts(validateObject('cronjobs', cj('TZ=UTC 0 * * * *'))), ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  assert.deepEqual(texts(validateObject('cronjobs', cj('* * * *'))), ['spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]']);
  assert.deepEqual(texts(validateObject('cronjobs', cj('0 * * * *', { timeZone: 'Mars/Base' }))), ['spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base']);
  assert.deepEqual(texts(validateObject('cronjobs', cj('0 * * * *', { concurrencyPolicy: 'Sometimes' }))), ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']);
});

test('cron schedules: descriptors, time zones, @every', () => {
  const t = Date.UTC(2026, 0, 1, 0, 0, 30);
  assert.equal(new Date(parseCronSchedule('* * * * *').next(t)!).toISOString(), '2026-01-01T00:01:00.000Z');
  assert.equal(new Date(parseCronSchedule('@hourly').next(t)!).toISOString(), '2026-01-01T01:00:00.000Z');
  assert.equal(new Date(parseCronSchedule('@daily').next(t)!).toISOString(), '2026-01-02T00:00:00.000Z');
  // 09:30 in New York is 14:30 UTC in winter.
  assert.equal(new Date(parseCronSchedule('30 9 * * *', 'America/New_York').next(t)!).toISOString(), '2026-01-01T14:30:00.000Z');
  assert.equal(new Date(parseCronSchedule('@every 90s').next(t)!).toISOString(), '2026-01-01T00:02:00.000Z');
  // Day of month and day of week are OR-ed as in Vixie cron: the 15th, or any Monday (2026-01-05).
  assert.equal(new Date(parseCronSchedule('0 0 15 * 1').next(t)!).toISOString(), '2026-01-05T00:00:00.000Z');
});

test('Table cells of jobs and cronjobs as kubectl 1.32 prints them', async () => {
  const { printTable } = await import('../index.ts');
  const now = Date.parse('2026-01-01T00:10:00Z');
  const j = applyDefaults('jobs', job({ completions: 5, parallelism: 2 }));
  generateJobSelector(j);
  j.metadata!.creationTimestamp = '2026-01-01T00:00:00Z';
  j.status = { succeeded: 5, startTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T00:01:30Z', conditions: [{ type: 'Complete', status: 'True' }] };
  const t = printTable('jobs', [j], { now });
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(t.rows[0]!.cells, ['pi', 'Complete', '5/5', '90s', '10m', 'c', 'busybox', 'batch.kubernetes.io/controller-uid=u1']);
  const noCompletions = applyDefaults('jobs', job({ parallelism: 3 }));
  assert.equal(printTable('jobs', [noCompletions], { now }).rows[0]!.cells[2], '0/1 of 3');
  const cj = applyDefaults('cronjobs', {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    status: { active: [{ name: 'tick-1' }], lastScheduleTime: '2026-01-01T00:05:00Z' },
  } as CronJob);
  const ct = printTable('cronjobs', [cj], { now });
  assert.deepEqual(ct.columnDefinitions.map((c) => c.name), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(ct.rows[0]!.cells, ['tick', '*/5 * * * *', '<none>', 'False', 1, '5m', '10m', 'c', 'busybox', '<none>']);
});

test('Job validation: successPolicy only for Indexed Jobs, its rules, podReplacementPolicy, managedBy; both immutable', () => {
  const make = (spec: Record<string, unknown>) => {
    const j = applyDefaults('jobs', job(spec));
    generateJobSelector(j);
    return j;
  };
  const nonIndexed = texts(validateObject('jobs', make({ completions: 3, successPolicy: { rules: [{ succeededCount: 1 }] } })));
  assert.equal(nonIndexed.length, 1);
  assert.match(nonIndexed[0]!, /^spec\.successPolicy: Invalid value: .*: requires indexed completion mode$/);
  const indexed = (successPolicy: unknown) => texts(validateObject('jobs', make({ completionMode: 'Indexed', completions: 5, parallelism: 5, successPolicy })));
  assert.deepEqual(indexed({ rules: [{ succeededIndexes: '0,2-4', succeededCount: 2 }] }), []);
  assert.deepEqual(indexed({ rules: [] }), ['spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified']);
  assert.deepEqual(indexed({ rules: [{}] }), ['spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified']);
  assert.deepEqual(indexed({ rules: [{ succeededIndexes: '0-5' }] }), ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-5": error parsing succeededIndexes: too large index: "5"']);
  assert.deepEqual(indexed({ rules: [{ succeededIndexes: '3,1' }] }), ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "3,1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1']);
  assert.deepEqual(indexed({ rules: [{ succeededIndexes: '0-1', succeededCount: 3 }, { succeededCount: 6 }] }), [
    'spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)',
    'spec.successPolicy.rules[1].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)',
  ]);
  assert.deepEqual(texts(validateObject('jobs', make({ podReplacementPolicy: 'Sometimes' }))), ['spec.podReplacementPolicy: Unsupported value: "Sometimes": supported values: "Failed", "TerminatingOrFailed"']);
  assert.deepEqual(texts(validateObject('jobs', make({ managedBy: 'kueue' }))), ['spec.managedBy: Invalid value: "kueue": must be a domain-prefixed path (such as "acme.io/foo")']);
  assert.deepEqual(texts(validateObject('jobs', make({ managedBy: 'kueue.x-k8s.io/multikueue' }))), []);
  const old = make({ completionMode: 'Indexed', completions: 5, parallelism: 5, successPolicy: { rules: [{ succeededCount: 2 }] }, managedBy: 'example.com/a' });
  const changed = structuredClone(old);
  changed.spec!.successPolicy = { rules: [{ succeededCount: 3 }] };
  changed.spec!.managedBy = 'example.com/b';
  assert.deepEqual(validateObjectUpdate('jobs', changed, old).map((e) => e.field), ['spec.managedBy', 'spec.successPolicy']);
});
