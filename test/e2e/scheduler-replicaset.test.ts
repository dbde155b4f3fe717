/**
 * The controller manager and scheduler together in `kubeling server` (fake runtime, local node): a ReplicaSet
 * applied with kubectl gets its pods, they are scheduled to the local node and run; scaling it down removes
 * pods, deleting a pod brings a replacement, and deleting the ReplicaSet deletes its pods (garbage collector).
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

const MANIFEST = workloadYaml({ kind: 'ReplicaSet', replicas: 3 });

test('a ReplicaSet gets its pods scheduled and running; scale down and replacement work', async () => {
  const applied = await server.kubectl(['apply', '-f', '-'], { input: MANIFEST });
  assert.equal(applied.code, 0, applied.stderr);
  const pods = client.resource<Pod>('pods', 'default');
  const running = await until(async () => {
    const items = (await pods.list({ labelSelector: 'app=web' })).items;
    return items.length === 3 && items.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName) ? items : undefined;
  }, 'three running pods');
  for (const p of running) {
    assert.match(p.metadata!.name!, /^web-[a-z0-9]{5}$/);
    assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'ReplicaSet');
  }
  const rs = client.resource<ReplicaSet>('replicasets', 'default');
  await until(async () => (await rs.get('web')).status?.readyReplicas === 3, 'readyReplicas 3');
  const got = await server.kubectl(['get', 'rs', 'web', '--no-headers']);
  assert.match(got.stdout, /^web\s+3\s+3\s+3\s+/);

  await pods.delete(running[0]!.metadata!.name!);
  await until(async () => {
    const items = (await pods.list({ labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return items.length === 3 && !items.some((p) => p.metadata?.name === running[0]!.metadata!.name) ? items : undefined;
  }, 'a replacement pod');

  await rs.patch('web', { spec: { replicas: 1 } }, 'merge');
  await until(async () => (await pods.list({ labelSelector: 'app=web' })).items.length === 1, 'scale down to one pod');
  await until(async () => (await rs.get('web')).status?.replicas === 1, 'status.replicas 1');

  const deleted = await server.kubectl(['delete', 'rs', 'web']);
  assert.equal(deleted.code, 0, deleted.stderr);
  await until(async () => (await pods.list({ labelSelector: 'app=web' })).items.length === 0, 'the pods to go with their ReplicaSet');
});
