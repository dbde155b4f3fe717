import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const job = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...extra },
  status: { succeeded: 9 },
});

test('a created Job gets the controller-uid selector and labels, defaults, no status; status only through /status', async () => {
  const created = await s.request('POST', JOBS, job('pi'));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const j = created.body as { metadata: { uid: string; generation: number; labels: Record<string, string> }; spec: Record<string, unknown> & { template: { metadata: { labels: Record<string, string> } } }; status?: unknown };
  const uid = j.metadata.uid;
  assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
  assert.deepEqual(j.spec.template.metadata.labels, { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': uid, 'job-name': 'pi' });
  assert.deepEqual(j.metadata.labels, j.spec.template.metadata.labels, 'labels defaulted from the template, generated ones included');
  assert.equal(j.spec.backoffLimit, 6);
  assert.equal(j.spec.completions, 1);
  assert.equal(j.metadata.generation, 1);
  assert.equal(j.status, undefined);
  const st = await s.request('PATCH', `${JOBS}/pi/status`, { status: { active: 1 } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(st.status, 200);
  assert.deepEqual((st.body as { status: unknown }).status, { active: 1 });
  const changed = await s.request('PATCH', `${JOBS}/pi`, { spec: { completions: 3 } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(changed.status, 422);
  assert.match((changed.body as { message: string }).message, /spec\.completions: Invalid value: 3: field is immutable/);
});

test('restartPolicy Always is refused with upstream\'s message; a bad schedule too', async () => {
  const bad = await s.request('POST', JOBS, { ...job('always'), spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
  assert.equal(bad.status, 422);
  assert.equal((bad.body as { message: string }).message, 'Job "always" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
  const cj = await s.request('POST', '/apis/batch/v1/namespaces/default/cronjobs', {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tz' },
    spec: { schedule: 'CRON_TZ=UTC 0 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } },
  });
  assert.equal(cj.status, 422);
  assert.equal((cj.body as { message: string }).message, 'CronJob "tz" is invalid: spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
});
