/**
 * Jobs on real containers (`kubeling server --runtime oci`, busybox): a Job of completions 3 / parallelism 2 of
 * `sh -c 'exit 0'` completes, and an Indexed Job's pods print their own $JOB_COMPLETION_INDEX. Deleting a Job
 * takes its pods with it (garbage collector).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1';
import type { ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { apply, ociServerForFile } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});
const skip = { skip: why };

const job = (name: string, spec: string, script: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", '${script}']
`;

async function podsOf(name: string): Promise<IPod[]> {
  const r = await server.kubectl(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${name}`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: IPod[] }).items;
}

async function deleteJob(name: string): Promise<void> {
  const r = await server.kubectl(['delete', 'job', name, '--wait=false']);
  assert.equal(r.code, 0, r.stderr);
  await until(async () => (await podsOf(name)).length === 0, `the pods of ${name} to go with it`, 90_000);
}

test('a Job of completions 3, parallelism 2 completes on real containers', skip, async () => {
  await apply(server, job('three', '  completions: 3\n  parallelism: 2', 'exit 0'));
  const waited = await server.kubectl(['wait', '--for=condition=complete', 'job/three', '--timeout=180s'], { timeoutMs: 200_000 });
  assert.equal(waited.code, 0, waited.stderr);
  const pods = await podsOf('three');
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => p.status?.phase === 'Succeeded' && p.status.containerStatuses?.[0]?.state?.terminated?.exitCode === 0));
  const got = await server.kubectl(['get', 'job', 'three', '--no-headers']);
  assert.match(got.stdout, /^three\s+Complete\s+3\/3\s/);
  await deleteJob('three');
});

test('an Indexed Job: each real container prints its JOB_COMPLETION_INDEX', skip, async () => {
  await apply(server, job('ix', '  completions: 3\n  parallelism: 3\n  completionMode: Indexed', 'echo index=$JOB_COMPLETION_INDEX'));
  const waited = await server.kubectl(['wait', '--for=condition=complete', 'job/ix', '--timeout=180s'], { timeoutMs: 200_000 });
  assert.equal(waited.code, 0, waited.stderr);
  const pods = await podsOf('ix');
  assert.equal(pods.length, 3);
  const seen: string[] = [];
  for (const p of pods) {
    const index = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'];
    const logs = await server.kubectl(['logs', p.metadata!.name!]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout.trim(), `index=${index}`);
    seen.push(index!);
  }
  assert.deepEqual(seen.sort(), ['0', '1', '2']);
  await deleteJob('ix');
});
