import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Job, Pod } from '../../api/index.ts';
import { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { FakeClock, type Clock } from '../../machinery/index.ts';
import { JobController } from './job-controller.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const FINALIZER = 'batch.kubernetes.io/job-tracking';

/** A Job as the API server stores it after defaulting and selector generation. */
function job(ns: string, name: string, spec: Partial<Job['spec']> = {}, command = ['sh', '-c', 'exit 0']): Job {
  const uid = `uid-${ns}-${name}`;
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name, namespace: ns, uid, labels },
    spec: {
      completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command }] } },
      ...spec,
    },
  } as Job;
}

const podsIn = (ns: string) => server.list('pods').filter((p) => p.metadata.namespace === ns) as Pod[];
const stored = (ns: string, name: string) => server.list('batch/jobs').find((j) => j.metadata.namespace === ns && j.metadata.name === name) as Job | undefined;
const cond = (j: Job | undefined, type: string) => j?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
const events = (name: string, reason: string) => (server.list('events') as unknown as Event[]).filter((e) => e.involvedObject?.name === name && e.reason === reason);

/** Ends a pod as the kubelet would: phase and a terminated container with this exit code. */
function finish(pod: Pod, exitCode: number, extra: Partial<NonNullable<Pod['status']>> = {}): void {
  const cur = server.list('pods').find((p) => p.metadata.uid === pod.metadata?.uid) as Pod;
  server.put('pods', {
    ...cur,
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt: '2026-01-01T00:00:00Z' } } }],
      ...extra,
    },
  });
}

const active = (ns: string) => podsIn(ns).filter((p) => !p.status?.phase || p.status.phase === 'Pending' || p.status.phase === 'Running');

async function withController(body: (c: JobController) => Promise<void>, clock?: Clock): Promise<void> {
  const c = new JobController({ client, clock });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await body(c);
  } finally {
    ac.abort();
    await running;
  }
}

test('completions 5, parallelism 2: never more than 2 pods at once, exactly 5 succeed, then SuccessCriteriaMet and Complete', async () => {
  server.put('batch/jobs', job('j1', 'pi', { completions: 5, parallelism: 2 }));
  await withController(async () => {
    let finished = 0;
    while (finished < 5) {
      const running = await until(() => (active('j1').length > 0 ? active('j1') : undefined), 'an active pod');
      assert.ok(running.length <= 2, `at most 2 active pods, saw ${running.length}`);
      finish(running[0]!, 0);
      finished++;
      await until(() => (stored('j1', 'pi')?.status?.succeeded ?? 0) === finished, `succeeded ${finished}`);
    }
    const done = await until(() => (cond(stored('j1', 'pi'), 'Complete') ? stored('j1', 'pi') : undefined), 'Complete');
    assert.equal(podsIn('j1').length, 5);
    assert.equal(done.status?.succeeded, 5);
    assert.equal(done.status?.failed, undefined);
    assert.deepEqual(done.status?.uncountedTerminatedPods, {});
    assert.ok(done.status?.completionTime && done.status.startTime);
    assert.equal(cond(done, 'SuccessCriteriaMet')?.reason, 'CompletionsReached');
    assert.equal(cond(done, 'Complete')?.message, 'Reached expected number of succeeded pods');
    for (const p of podsIn('j1')) {
      assert.match(p.metadata!.name!, /^pi-/);
      assert.deepEqual(p.metadata?.finalizers ?? [], []);
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'Job');
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-name'], 'pi');
    }
    await until(() => events('pi', 'Completed').length === 1, 'the Completed event');
    assert.equal(events('pi', 'SuccessfulCreate').length, 5);
  });
});

test('back-off limit: failures wait out the back-off on the clock, then BackoffLimitExceeded', async () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  server.put('batch/jobs', job('j2', 'bad', { backoffLimit: 1 }));
  await withController(async () => {
    const first = await until(() => active('j2')[0], 'the first pod');
    assert.deepEqual(first.metadata?.finalizers, [FINALIZER]);
    finish(first, 1);
    await until(() => stored('j2', 'bad')?.status?.failed === 1, 'failed 1');
    // The next pod waits 10 s after the failure (finishedAt is the clock's now).
    await clock.step(5_000);
    assert.equal(podsIn('j2').length, 1);
    await clock.step(5_000);
    const second = await until(() => active('j2')[0], 'the second pod after the back-off');
    finish(second, 1);
    const failed = await until(() => (cond(stored('j2', 'bad'), 'Failed') ? stored('j2', 'bad') : undefined), 'Failed');
    assert.equal(failed.status?.failed, 2);
    assert.equal(cond(failed, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.equal(cond(failed, 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(cond(failed, 'Failed')?.message, 'Job has reached the specified backoff limit');
    assert.equal(podsIn('j2').length, 2);
    await until(() => events('bad', 'BackoffLimitExceeded').length === 1, 'the BackoffLimitExceeded event');
  }, clock);
});

test('Indexed: one pod per index with its index in annotation, label, hostname and JOB_COMPLETION_INDEX; completedIndexes', async () => {
  server.put('batch/jobs', job('j3', 'ix', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
  await withController(async () => {
    const pods = await until(() => (active('j3').length === 3 ? active('j3') : undefined), 'three pods');
    const byIndex = new Map(pods.map((p) => [p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    const p1 = byIndex.get('1')!;
    assert.match(p1.metadata!.name!, /^ix-1-/);
    assert.equal(p1.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], '1');
    assert.equal(p1.spec?.hostname, 'ix-1');
    assert.deepEqual(p1.spec?.containers[0]?.env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } }]);
    finish(byIndex.get('0')!, 0);
    finish(byIndex.get('2')!, 0);
    await until(() => stored('j3', 'ix')?.status?.completedIndexes === '0,2', 'completedIndexes 0,2');
    // The last index completes the Job.
    finish(p1, 0);
    const done = await until(() => (cond(stored('j3', 'ix'), 'Complete') ? stored('j3', 'ix') : undefined), 'Complete');
    assert.equal(done.status?.completedIndexes, '0-2');
    assert.equal(done.status?.succeeded, 3);
  });
});

test('restart safety: uids already listed as uncounted are counted once, whether or not the finalizer went', async () => {
  const j = job('j4', 'rs', { completions: 4, parallelism: 4 });
  const owner = { apiVersion: 'batch/v1', kind: 'Job', name: 'rs', uid: j.metadata!.uid!, controller: true, blockOwnerDeletion: true };
  const pod = (name: string, phase: string, finalizers: string[]) => server.put('pods', {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'j4', uid: `uid-${name}`, labels: j.spec!.template.metadata!.labels, finalizers, ownerReferences: [owner] },
    spec: j.spec!.template.spec, status: { phase },
  });
  // A crash after step 1 (a listed pod still has its finalizer), one after step 2 (finalizer gone, not yet counted),
  // one counted long ago (no finalizer, not listed), and one terminated but never seen.
  pod('a', 'Succeeded', [FINALIZER]);
  pod('b', 'Succeeded', []);
  pod('c', 'Succeeded', []);
  pod('d', 'Succeeded', [FINALIZER]);
  server.put('batch/jobs', { ...j, status: { succeeded: 1, startTime: '2026-01-01T00:00:00Z', uncountedTerminatedPods: { succeeded: ['uid-a', 'uid-b'] } } });
  await withController(async () => {
    const done = await until(() => (cond(stored('j4', 'rs'), 'Complete') ? stored('j4', 'rs') : undefined), 'Complete');
    assert.equal(done.status?.succeeded, 4);
    assert.deepEqual(done.status?.uncountedTerminatedPods, {});
    assert.equal(podsIn('j4').length, 4, 'no pod created');
    assert.ok(podsIn('j4').every((p) => !p.metadata?.finalizers?.length));
  });
});

test('podFailurePolicy: FailJob on an exit code fails the Job at once; Ignore does not count', async () => {
  const policy = { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } }, { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } }] };
  server.put('batch/jobs', job('j5', 'pfp', { backoffLimit: 6, podFailurePolicy: policy, podReplacementPolicy: 'Failed' } as Partial<Job['spec']>));
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  await withController(async () => {
    const first = await until(() => active('j5')[0], 'a pod');
    finish(first, 3);
    // Ignored: no back-off, no failure counted, a new pod at once.
    const second = await until(() => active('j5')[0], 'a replacement');
    assert.equal(stored('j5', 'pfp')?.status?.failed, undefined);
    finish(second, 42);
    const failed = await until(() => (cond(stored('j5', 'pfp'), 'Failed') ? stored('j5', 'pfp') : undefined), 'Failed');
    assert.equal(cond(failed, 'Failed')?.reason, 'PodFailurePolicy');
    assert.equal(cond(failed, 'Failed')?.message, `Container c for pod j5/${second.metadata?.name} failed with exit code 42 matching FailJob rule at index 1`);
    assert.equal(failed.status?.failed, 1);
  }, clock);
});

test('activeDeadlineSeconds: past the deadline active pods are deleted and the Job fails with DeadlineExceeded', async () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  server.put('batch/jobs', job('j6', 'slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 2 }, ['sleep', '3600']));
  await withController(async () => {
    await until(() => active('j6').length === 2, 'two pods');
    await clock.step(30_000);
    const failed = await until(() => (cond(stored('j6', 'slow'), 'Failed') ? stored('j6', 'slow') : undefined), 'Failed');
    assert.equal(cond(failed, 'Failed')?.reason, 'DeadlineExceeded');
    assert.equal(cond(failed, 'Failed')?.message, 'Job was active longer than specified deadline');
    assert.equal(podsIn('j6').length, 0);
    await until(() => events('slow', 'DeadlineExceeded').length === 1, 'the DeadlineExceeded event');
  }, clock);
});

test('suspend: no pods and a Suspended condition; resuming starts pods', async () => {
  server.put('batch/jobs', job('j7', 'later', { suspend: true }));
  await withController(async () => {
    const s = await until(() => (cond(stored('j7', 'later'), 'Suspended') ? stored('j7', 'later') : undefined), 'Suspended');
    assert.equal(cond(s, 'Suspended')?.reason, 'JobSuspended');
    assert.equal(s.status?.startTime, undefined);
    assert.equal(podsIn('j7').length, 0);
    server.put('batch/jobs', { ...s, spec: { ...s.spec!, suspend: false } });
    await until(() => active('j7').length === 1, 'a pod after resuming');
    const resumed = await until(() => stored('j7', 'later')?.status?.conditions?.find((c) => c.type === 'Suspended' && c.status === 'False' && c.reason === 'JobResumed'), 'JobResumed');
    assert.equal(resumed.message, 'Job resumed');
  });
});

test('successPolicy: index 1 succeeding meets the rule; SuccessCriteriaMet (SuccessPolicy), the other pods deleted, then Complete', async () => {
  server.put('batch/jobs', job('j8', 'leader', { completions: 4, parallelism: 4, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '1' }] } }));
  await withController(async () => {
    const pods = await until(() => (active('j8').length === 4 ? active('j8') : undefined), 'four pods');
    const byIndex = new Map(pods.map((p) => [p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    finish(byIndex.get('0')!, 0);
    await until(() => stored('j8', 'leader')?.status?.completedIndexes === '0', 'completedIndexes 0');
    assert.equal(cond(stored('j8', 'leader'), 'SuccessCriteriaMet'), undefined, 'index 0 is not in the rule');
    finish(byIndex.get('1')!, 0);
    const done = await until(() => (cond(stored('j8', 'leader'), 'Complete') ? stored('j8', 'leader') : undefined), 'Complete');
    assert.deepEqual([cond(done, 'SuccessCriteriaMet')?.reason, cond(done, 'SuccessCriteriaMet')?.message], ['SuccessPolicy', 'Matched rules at index 0']);
    assert.deepEqual([cond(done, 'Complete')?.reason, cond(done, 'Complete')?.message], ['SuccessPolicy', 'Matched rules at index 0']);
    assert.deepEqual([done.status?.completedIndexes, done.status?.succeeded, done.status?.active ?? 0, done.status?.terminating], ['0-1', 2, 0, 0]);
    // Indexes 2 and 3 never ran to the end: their pods were deleted, not counted as failed.
    assert.deepEqual(podsIn('j8').map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1']);
    assert.equal(done.status?.failed, undefined);
  });
});

test('podReplacementPolicy: TerminatingOrFailed replaces a deleted pod at once; Failed waits until it has failed', async () => {
  const terminate = (pod: Pod) => {
    const cur = server.list('pods').find((p) => p.metadata.uid === pod.metadata?.uid) as Pod;
    server.put('pods', { ...cur, metadata: { ...cur.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Running' } });
  };
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  server.put('batch/jobs', job('j9', 'eager', { podReplacementPolicy: 'TerminatingOrFailed' }));
  server.put('batch/jobs', job('j9', 'patient', { podReplacementPolicy: 'Failed' }));
  await withController(async (c) => {
    const eager = await until(() => active('j9').find((p) => p.metadata?.name?.startsWith('eager-')), 'the eager pod');
    const patient = await until(() => active('j9').find((p) => p.metadata?.name?.startsWith('patient-')), 'the patient pod');
    terminate(eager);
    terminate(patient);
    // Eager: counted failed at once; its replacement follows the back-off.
    await until(() => stored('j9', 'eager')?.status?.failed === 1, 'eager failed 1');
    const p = await until(() => (stored('j9', 'patient')?.status?.terminating === 1 ? stored('j9', 'patient') : undefined), 'patient terminating 1');
    assert.deepEqual([p.status?.failed, p.status?.active], [undefined, undefined]);
    await clock.step(10_000);
    await until(() => active('j9').find((x) => x.metadata?.name?.startsWith('eager-') && !x.metadata.deletionTimestamp), 'the eager replacement');
    // Patient: nothing new while its pod is terminating, however long.
    await clock.step(60_000);
    await until(() => stored('j9', 'eager')?.status?.active === 1, 'eager active 1');
    await c.reconcile('j9/patient', new AbortController().signal);
    assert.equal(podsIn('j9').filter((x) => x.metadata?.name?.startsWith('patient-')).length, 1);
    assert.deepEqual(stored('j9', 'patient')?.status?.failed, undefined);
    // Once the kubelet reports it Failed it is counted, and replaced after the back-off.
    finish(patient, 137);
    await until(() => stored('j9', 'patient')?.status?.failed === 1, 'patient failed 1');
    await clock.step(10_000);
    const next = await until(() => active('j9').find((x) => x.metadata?.name?.startsWith('patient-') && x.metadata.uid !== patient.metadata?.uid), 'the patient replacement');
    assert.ok(next);
  }, clock);
});

test('managedBy another controller: the Job is left alone (no pods, no status)', async () => {
  server.put('batch/jobs', job('j10', 'theirs', { managedBy: 'example.com/other-controller' }));
  server.put('batch/jobs', job('j10', 'ours', { managedBy: 'kubernetes.io/job-controller' }));
  await withController(async (c) => {
    await until(() => active('j10').find((p) => p.metadata?.name?.startsWith('ours-')), 'a pod of the Job managedBy the job controller');
    await c.reconcile('j10/theirs', new AbortController().signal);
    assert.equal(podsIn('j10').filter((p) => p.metadata?.name?.startsWith('theirs-')).length, 0);
    assert.equal(stored('j10', 'theirs')?.status, undefined);
  });
});
