/**
 * Restart safety of StatefulSet rollouts: `kubeling server` (fake runtime, sqlite storage) is killed with
 * SIGKILL in the middle of a rolling update of a set of 5 (minReadySeconds keeps the rollout going long enough
 * to be caught midway) and started again on the same data dir. Pods are watched the whole time, through both
 * servers: no observation ever holds two pods of one identity (the statefulset.kubernetes.io/pod-name label),
 * and after the restart the rollout finishes with exactly one pod per identity, all at the update revision.
 * (The Job mid-run kill is test/e2e/jobs-restart.test.ts.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, StatefulSet } from '../../src/api/index.ts';
import { Client, Informer } from '../../src/client/index.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-sts-restart-'));
let server: ServerHandle | undefined;
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const manifest = (image: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 5
  minReadySeconds: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: ${image}
        command: ["sh", "-c", "sleep 3600"]
`;

const IDENTITY = 'statefulset.kubernetes.io/pod-name';

/** Watches the set's pods and records every identity held by two pods at once. */
function watchIdentities(client: Client, doubles: string[]): { stop(): Promise<void>; pods: Informer<Pod> } {
  const pods = new Informer<Pod>(client.resource<Pod>('pods', 'default'));
  const check = () => {
    const byIdentity = new Map<string, string[]>();
    for (const p of pods.list()) {
      const id = p.metadata?.labels?.[IDENTITY];
      if (!id) continue;
      byIdentity.set(id, [...(byIdentity.get(id) ?? []), p.metadata!.uid!]);
    }
    for (const [id, uids] of byIdentity) if (uids.length > 1) doubles.push(`${id}: ${uids.join(', ')}`);
  };
  pods.onAdd(check).onUpdate(check).onDelete(check);
  const ac = new AbortController();
  const running = pods.run(ac.signal);
  return { pods, stop: async () => { ac.abort(); await running; } };
}

test('a SIGKILL in the middle of a StatefulSet rolling update: never two pods of one identity, and the rollout finishes', async () => {
  const doubles: string[] = [];
  server = await startServer({ storage: 'sqlite', runtime: 'fake', dataDir });
  let client = await Client.fromKubeconfig(server.kubeconfig);
  let watch = watchIdentities(client, doubles);
  const sets = () => client.resource<StatefulSet>('statefulsets', 'default');
  let applied = await server.kubectl(['apply', '-f', '-'], { input: manifest('busybox:1.35') });
  assert.equal(applied.code, 0, applied.stderr);
  const first = await server.kubectl(['rollout', 'status', 'sts/web', '--timeout=180s'], { timeoutMs: 200_000 });
  assert.equal(first.code, 0, first.stderr);
  applied = await server.kubectl(['apply', '-f', '-'], { input: manifest('busybox:1.36') });
  assert.equal(applied.code, 0, applied.stderr);
  const mid = await until(async () => {
    const s = (await sets().get('web')).status;
    return s && s.updateRevision !== s.currentRevision && (s.updatedReplicas ?? 0) >= 1 ? s : undefined;
  }, 'the rollout under way', 120_000);
  await watch.stop();
  client.close();
  await server.kill();
  assert.ok((mid.updatedReplicas ?? 0) < 5, 'killed before the end');

  server = await startServer({ storage: 'sqlite', runtime: 'fake', dataDir, port: server.port });
  client = await Client.fromKubeconfig(server.kubeconfig);
  watch = watchIdentities(client, doubles);
  try {
    const done = await server.kubectl(['rollout', 'status', 'sts/web', '--timeout=180s'], { timeoutMs: 200_000 });
    assert.equal(done.code, 0, done.stderr);
    const set = await sets().get('web');
    assert.equal(set.status?.currentRevision, set.status?.updateRevision);
    const end = await until(async () => {
      const pods = watch.pods.list().filter((p) => p.metadata?.labels?.app === 'web' && !p.metadata?.deletionTimestamp);
      return pods.length === 5 && pods.every((p) => p.metadata?.labels?.['controller-revision-hash'] === set.status?.updateRevision) ? pods : undefined;
    }, 'five pods at the update revision');
    assert.deepEqual(end.map((p) => p.metadata?.labels?.[IDENTITY]).sort(), ['web-0', 'web-1', 'web-2', 'web-3', 'web-4']);
    assert.ok(end.every((p) => p.spec?.containers[0]?.image === 'busybox:1.36'));
    assert.deepEqual(doubles, [], 'no identity ever held by two pods');
  } finally {
    await watch.stop();
    client.close();
  }
});
