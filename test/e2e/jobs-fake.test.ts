/**
 * Jobs and CronJobs end to end on `kubeling server --runtime fake`, driven by the real kubectl 1.32: a Job of
 * completions 5 / parallelism 2 completes (`kubectl wait --for=condition=complete`), a failing Job stops at its
 * back-off limit with BackoffLimitExceeded, an Indexed Job's pods see their index, an Indexed Job with a
 * successPolicy completes once its listed indexes succeed (reason SuccessPolicy), `kubectl create job|cronjob`,
 * `create job --from=cronjob/…`, `get jobs,cronjobs`, `describe job` and `logs job/…` work, and an every-minute
 * CronJob makes a Job on schedule. The fake runtime runs `sh -c 'echo X; exit N'` as "print X, exit N".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job, Pod } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

const job = (name: string, spec: string, command: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "${command}"]
`;

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, { input, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const podsOf = async (jobName: string) => (await client.resource<Pod>('pods', 'default').list({ labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;

test('completions 5, parallelism 2: kubectl wait --for=condition=complete; get, describe and logs', async () => {
  await kubectlOk(['apply', '-f', '-'], job('five', '  completions: 5\n  parallelism: 2', 'echo done; exit 0'));
  await kubectlOk(['wait', '--for=condition=complete', 'job/five', '--timeout=120s']);
  const got = await kubectlOk(['get', 'jobs', 'five', '--no-headers']);
  assert.match(got, /^five\s+Complete\s+5\/5\s+\S+\s+\S+\s*$/);
  const j = await client.resource<Job>('jobs', 'default').get('five');
  assert.equal(j.status?.succeeded, 5);
  assert.equal((await podsOf('five')).length, 5, 'exactly five pods');
  assert.ok((await podsOf('five')).every((p) => !p.metadata?.finalizers?.length), 'tracking finalizers removed');
  const described = await kubectlOk(['describe', 'job', 'five']);
  assert.match(described, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 5 Succeeded \/ 0 Failed/);
  assert.match(described, /SuccessfulCreate/);
  assert.match(described, /Completed/);
  const logs = await kubectlOk(['logs', 'job/five']);
  assert.equal(logs.trim(), 'done');
});

test('a failing Job stops at its back-off limit with BackoffLimitExceeded', async () => {
  await kubectlOk(['apply', '-f', '-'], job('fails', '  backoffLimit: 0', 'exit 3'));
  await kubectlOk(['wait', '--for=condition=failed', 'job/fails', '--timeout=120s']);
  const j = await client.resource<Job>('jobs', 'default').get('fails');
  const failed = j.status?.conditions?.find((c) => c.type === 'Failed');
  assert.equal(failed?.reason, 'BackoffLimitExceeded');
  assert.equal(failed?.message, 'Job has reached the specified backoff limit');
  assert.equal(j.status?.failed, 1);
  assert.equal((await podsOf('fails')).length, 1);
  const got = await kubectlOk(['get', 'job', 'fails', '--no-headers']);
  assert.match(got, /^fails\s+Failed\s+0\/1\s/);
  const events = await kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=fails', '-o', 'jsonpath={.items[*].reason}']);
  assert.match(events, /BackoffLimitExceeded/);
});

test('an Indexed Job: each pod gets its index in JOB_COMPLETION_INDEX and the annotation', async () => {
  await kubectlOk(['apply', '-f', '-'], job('indexed', '  completions: 3\n  parallelism: 3\n  completionMode: Indexed', 'exit 0'));
  await kubectlOk(['wait', '--for=condition=complete', 'job/indexed', '--timeout=120s']);
  const j = await client.resource<Job>('jobs', 'default').get('indexed');
  assert.equal(j.status?.completedIndexes, '0-2');
  const pods = await podsOf('indexed');
  assert.deepEqual(pods.map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1', '2']);
  for (const p of pods) {
    const ix = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'];
    assert.match(p.metadata!.name!, new RegExp(`^indexed-${ix}-`));
    assert.equal(p.spec?.hostname, `indexed-${ix}`);
    assert.ok(p.spec?.containers[0]?.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
  }
});

test('an Indexed Job with a successPolicy completes once indexes 0-1 succeed; index 2 never runs', async () => {
  const spec = '  completions: 3\n  parallelism: 1\n  completionMode: Indexed\n  successPolicy:\n    rules:\n    - succeededIndexes: "0-1"';
  await kubectlOk(['apply', '-f', '-'], job('leaders', spec, 'exit 0'));
  await kubectlOk(['wait', '--for=condition=complete', 'job/leaders', '--timeout=120s']);
  const j = await client.resource<Job>('jobs', 'default').get('leaders');
  const met = j.status?.conditions?.find((c) => c.type === 'SuccessCriteriaMet');
  const complete = j.status?.conditions?.find((c) => c.type === 'Complete');
  assert.deepEqual([met?.status, met?.reason, met?.message], ['True', 'SuccessPolicy', 'Matched rules at index 0']);
  assert.deepEqual([complete?.reason, complete?.message], ['SuccessPolicy', 'Matched rules at index 0']);
  assert.equal(j.status?.completedIndexes, '0-1');
  assert.equal(j.status?.succeeded, 2);
  assert.deepEqual((await podsOf('leaders')).map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1']);
  // successPolicy is immutable, as upstream's.
  const r = await server.kubectl(['patch', 'job', 'leaders', '--type=merge', '-p', '{"spec":{"successPolicy":{"rules":[{"succeededCount":1}]}}}']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.successPolicy: Invalid value: .*: field is immutable/);
});

test('kubectl create job and cronjob; create job --from=cronjob; an every-minute CronJob makes a Job on schedule', async () => {
  await kubectlOk(['create', 'job', 'made', '--image=busybox:1.35', '--', 'sh', '-c', 'echo made; exit 0']);
  await kubectlOk(['wait', '--for=condition=complete', 'job/made', '--timeout=120s']);
  await kubectlOk(['create', 'cronjob', 'tick', '--image=busybox:1.35', '--schedule=* * * * *', '--', 'sh', '-c', 'echo tick; exit 0']);
  const listed = await kubectlOk(['get', 'cronjobs', '--no-headers']);
  assert.match(listed, /^tick\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\S+\s*$/m);
  await kubectlOk(['create', 'job', 'by-hand', '--from=cronjob/tick']);
  const byHand = await client.resource<Job>('jobs', 'default').get('by-hand');
  assert.equal(byHand.metadata?.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
  await kubectlOk(['wait', '--for=condition=complete', 'job/by-hand', '--timeout=120s']);
  // The scheduled one: named tick-<minutes>, owned by the CronJob, within about a minute.
  const scheduled = await until(async () => {
    const jobs = (await client.resource<Job>('jobs', 'default').list()).items;
    return jobs.find((j) => /^tick-\d+$/.test(j.metadata!.name!) && j.metadata?.ownerReferences?.[0]?.kind === 'CronJob');
  }, 'a Job made by the schedule', 90_000);
  await kubectlOk(['wait', '--for=condition=complete', `job/${scheduled.metadata!.name}`, '--timeout=120s']);
  const cj = await until(async () => {
    const c = await client.resource<CronJob>('cronjobs', 'default').get('tick');
    return c.status?.lastSuccessfulTime ? c : undefined;
  }, 'lastSuccessfulTime');
  assert.ok(cj.status?.lastScheduleTime);
  const both = await kubectlOk(['get', 'jobs,cronjobs']);
  assert.match(both, /job\.batch\/made\s+Complete/);
  assert.match(both, /cronjob\.batch\/tick/);
});
