/**
 * Restart safety of Job counting: `kubeling server` (fake runtime, sqlite storage) is killed with SIGKILL while
 * a Job of 24 completions runs, and started again on the same data dir. The pods' tracking finalizers and
 * status.uncountedTerminatedPods carry the count across the crash: at the end every succeeded pod is counted
 * exactly once (status.succeeded equals the pods that succeeded) and the Job is Complete.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job, Pod } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-jobs-restart-'));
let server: ServerHandle | undefined;
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const MANIFEST = `apiVersion: batch/v1
kind: Job
metadata:
  name: counted
spec:
  completions: 24
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "exit 0"]
`;

async function state(client: Client): Promise<{ job: Job; pods: Pod[] }> {
  const job = await client.resource<Job>('jobs', 'default').get('counted');
  const pods = (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'batch.kubernetes.io/job-name=counted' })).items;
  return { job, pods };
}

test('a SIGKILL in the middle of a Job neither loses nor double-counts a completion', async () => {
  server = await startServer({ storage: 'sqlite', runtime: 'fake', dataDir });
  let client = await Client.fromKubeconfig(server.kubeconfig);
  const applied = await server.kubectl(['apply', '-f', '-'], { input: MANIFEST });
  assert.equal(applied.code, 0, applied.stderr);
  const mid = await until(async () => {
    const s = await state(client);
    return (s.job.status?.succeeded ?? 0) >= 3 ? s : undefined;
  }, 'some completions before the crash', 120_000);
  client.close();
  await server.kill();
  const counted = mid.job.status?.succeeded ?? 0;
  assert.ok(counted < 24, 'killed before the end');

  const port = server.port;
  server = await startServer({ storage: 'sqlite', runtime: 'fake', dataDir, port });
  client = await Client.fromKubeconfig(server.kubeconfig);
  try {
    const waited = await server.kubectl(['wait', '--for=condition=complete', 'job/counted', '--timeout=180s'], { timeoutMs: 200_000 });
    assert.equal(waited.code, 0, waited.stderr);
    const end = await until(async () => {
      const s = await state(client);
      return s.pods.every((p) => !p.metadata?.finalizers?.length) ? s : undefined;
    }, 'every finalizer gone');
    const succeededPods = end.pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failedPods = end.pods.filter((p) => p.status?.phase === 'Failed').length;
    assert.equal(end.job.status?.succeeded, succeededPods, 'each succeeded pod counted once');
    assert.equal(end.job.status?.failed ?? 0, failedPods, 'each failed pod counted once');
    assert.ok((end.job.status?.succeeded ?? 0) >= 24);
    assert.deepEqual(end.job.status?.uncountedTerminatedPods, {});
    assert.ok((end.job.status?.succeeded ?? 0) >= counted, 'nothing counted before the crash was lost');
  } finally {
    client.close();
  }
});
