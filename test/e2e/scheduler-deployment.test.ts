/**
 * A Deployment in `kubeling server` (fake runtime, local node) driven by the real kubectl: apply, `rollout
 * status` until complete, `set image` rolls out a second ReplicaSet, `get deploy` columns, and deleting the
 * Deployment removes its ReplicaSets and pods (garbage collector).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ReplicaSet } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';
import { workloadYaml } from './helpers/workloads.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

const MANIFEST = workloadYaml({ replicas: 3 });

test('kubectl apply, rollout status, set image, delete', async () => {
  const applied = await server.kubectl(['apply', '-f', '-'], { input: MANIFEST });
  assert.equal(applied.code, 0, applied.stderr);
  const status = await server.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /deployment "web" successfully rolled out/);
  const got = await server.kubectl(['get', 'deploy', 'web', '--no-headers']);
  assert.match(got.stdout, /^web\s+3\/3\s+3\s+3\s+/);

  const set = await server.kubectl(['set', 'image', 'deployment/web', 'c=busybox:1.36']);
  assert.equal(set.code, 0, set.stderr);
  const second = await server.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(second.code, 0, second.stderr);
  const pods = client.resource<Pod>('pods', 'default');
  await until(async () => {
    const items = (await pods.list({ labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return items.length === 3 && items.every((p) => p.spec?.containers[0]?.image === 'busybox:1.36') ? items : undefined;
  }, 'three pods on the new image', 60_000);
  const rss = (await client.resource<ReplicaSet>('replicasets', 'default').list()).items;
  assert.deepEqual(rss.map((r) => r.spec?.replicas).sort(), [0, 3]);

  const deleted = await server.kubectl(['delete', 'deployment', 'web']);
  assert.equal(deleted.code, 0, deleted.stderr);
  await until(async () => (await client.resource('replicasets', 'default').list()).items.length === 0, 'replicasets gone', 60_000);
  await until(async () => (await pods.list({ labelSelector: 'app=web' })).items.length === 0, 'pods gone', 60_000);
});
