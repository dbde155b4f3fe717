import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ReplicationController } from '../../api/index.ts';
import { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { ReplicationManager } from './replicationcontroller.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const rc = (ns: string, replicas: number): ReplicationController => ({
  apiVersion: 'v1', kind: 'ReplicationController',
  metadata: { name: 'web', namespace: ns, generation: 1 },
  spec: { replicas, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
});
const podsIn = (ns: string) => server.list('pods').filter((p) => p.metadata.namespace === ns) as Pod[];
const stored = (ns: string) => server.list('replicationcontrollers').find((r) => r.metadata.namespace === ns) as ReplicationController | undefined;

test('a ReplicationController keeps its replicas: creates, replaces a deleted pod, scales down, adopts, reports status', async () => {
  const created = server.put('replicationcontrollers', rc('rc1', 2));
  // An orphan with the selector's labels is adopted and counts.
  server.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'rc1', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] }, status: { phase: 'Running' } });
  // A pod without the labels is left alone.
  server.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'rc1', labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });
  const m = new ReplicationManager({ client });
  const ac = new AbortController();
  const running = m.run(ac.signal);
  try {
    const owned = () => podsIn('rc1').filter((p) => p.metadata?.ownerReferences?.[0]?.uid === created.metadata.uid);
    await until(() => owned().length === 2, 'two pods');
    assert.ok(owned().some((p) => p.metadata?.name === 'orphan'), 'the orphan was adopted');
    assert.deepEqual(owned()[0]!.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    await until(() => stored('rc1')?.status?.replicas === 2, 'status.replicas 2');
    server.remove('pods', 'rc1', 'orphan');
    await until(() => owned().length === 2 && !owned().some((p) => p.metadata?.name === 'orphan'), 'the deleted pod replaced');
    server.put('replicationcontrollers', { ...stored('rc1')!, spec: { ...stored('rc1')!.spec, replicas: 4 } });
    await until(() => owned().length === 4, 'scaled to four');
    server.put('replicationcontrollers', { ...stored('rc1')!, spec: { ...stored('rc1')!.spec, replicas: 1 } });
    await until(() => owned().length === 1 && stored('rc1')?.status?.replicas === 1, 'scaled to one');
    assert.ok(podsIn('rc1').some((p) => p.metadata?.name === 'other'));
    await until(() => server.list('events').some((e) => e.reason === 'SuccessfulDelete' && e.involvedObject?.kind === 'ReplicationController'), 'a SuccessfulDelete event about the RC');
  } finally {
    ac.abort();
    await running;
  }
});
