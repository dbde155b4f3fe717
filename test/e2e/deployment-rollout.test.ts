/**
 * A Deployment's rollout controls in `kubeling server` (fake runtime, local node) driven by the real kubectl:
 * `rollout pause` stops a rollout (a new image makes no ReplicaSet) and `resume` continues it; `rollout
 * history` lists revisions with their change-cause; `rollout undo --to-revision=1` brings the first template
 * back as revision 3; a Deployment whose pods can never be placed reports ProgressDeadlineExceeded and
 * `kubectl rollout status` fails with upstream's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Pod, ReplicaSet } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

const manifest = (name: string, extra = '', podExtra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
${extra}  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
${podExtra}      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "sleep 3600"]
`;

async function ok(args: string[], timeoutMs = 70_000): Promise<string> {
  const r = await server.kubectl(args, { timeoutMs });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('rollout pause stops a rollout, resume continues it; history and undo --to-revision', async () => {
  const applied = await server.kubectl(['apply', '-f', '-'], { input: manifest('web') });
  assert.equal(applied.code, 0, applied.stderr);
  await ok(['annotate', 'deployment/web', 'kubernetes.io/change-cause=first']);
  assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
  const deployments = client.resource<Deployment>('deployments', 'default');
  const replicaSets = client.resource<ReplicaSet>('replicasets', 'default');
  const rss = async () => (await replicaSets.list({ labelSelector: 'app=web' })).items;

  assert.match(await ok(['rollout', 'pause', 'deployment/web']), /deployment.apps\/web paused/);
  await ok(['set', 'image', 'deployment/web', 'c=busybox:1.36']);
  await ok(['annotate', '--overwrite', 'deployment/web', 'kubernetes.io/change-cause=second']);
  const paused = await until(async () => {
    const d = await deployments.get('web');
    const cond = d.status?.conditions?.find((c) => c.type === 'Progressing');
    return d.status?.observedGeneration === d.metadata?.generation && cond?.reason === 'DeploymentPaused' ? d : undefined;
  }, 'the paused Deployment observed', 60_000);
  assert.equal(paused.status?.conditions?.find((c) => c.type === 'Progressing')?.status, 'Unknown');
  assert.equal((await rss()).length, 1, 'no new ReplicaSet while paused');
  // kubectl refuses to undo a paused Deployment, as upstream.
  const refused = await server.kubectl(['rollout', 'undo', 'deployment/web', '--to-revision=1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /you cannot rollback a paused deployment; resume it first/);

  assert.match(await ok(['rollout', 'resume', 'deployment/web']), /deployment.apps\/web resumed/);
  assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
  assert.equal((await rss()).length, 2);

  const history = await ok(['rollout', 'history', 'deployment/web']);
  assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+first\n2\s+second\n/);

  assert.match(await ok(['rollout', 'undo', 'deployment/web', '--to-revision=1']), /deployment.apps\/web rolled back/);
  assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
  const pods = client.resource<Pod>('pods', 'default');
  await until(async () => {
    const items = (await pods.list({ labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return items.length === 2 && items.every((p) => p.spec?.containers[0]?.image === 'busybox:1.35') ? items : undefined;
  }, 'the pods back on the first image', 60_000);
  const back = (await rss()).find((r) => r.spec?.template?.spec?.containers[0]?.image === 'busybox:1.35')!;
  assert.equal((await rss()).length, 2, 'the first ReplicaSet came back rather than a new one');
  assert.equal(back.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
  assert.equal(back.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  assert.equal((await deployments.get('web')).metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
  const after = await ok(['rollout', 'history', 'deployment/web']);
  assert.match(after, /REVISION\s+CHANGE-CAUSE\n2\s+second\n3\s+first\n/);
  assert.match(await ok(['rollout', 'history', 'deployment/web', '--revision=3']), /Image:\s+busybox:1.35/);
});

test('a Deployment that cannot progress reports ProgressDeadlineExceeded and rollout status fails', async () => {
  // No node has this label: the pods stay Pending, so the rollout never progresses past its first step.
  const applied = await server.kubectl(['apply', '-f', '-'], {
    input: manifest('stuck', '  progressDeadlineSeconds: 5\n', '      nodeSelector: {kubeling.test/none: "true"}\n'),
  });
  assert.equal(applied.code, 0, applied.stderr);
  const status = await server.kubectl(['rollout', 'status', 'deployment/stuck', '--timeout=90s'], { timeoutMs: 100_000 });
  assert.equal(status.code, 1, status.stdout + status.stderr);
  assert.match(status.stderr, /error: deployment "stuck" exceeded its progress deadline/);
  const d = await client.resource<Deployment>('deployments', 'default').get('stuck');
  const cond = d.status?.conditions?.find((c) => c.type === 'Progressing');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.reason, 'ProgressDeadlineExceeded');
  assert.match(cond?.message ?? '', /^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/);
  const described = await ok(['get', 'deploy', 'stuck', '--no-headers']);
  assert.match(described, /^stuck\s+0\/2\s+2\s+0\s+/);
});
