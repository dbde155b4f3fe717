import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { VolumeProtectionController } from './volume-protection.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const deleting = '2026-01-01T00:00:00Z';
const finalizers = (collection: string, name: string) => server.list(collection).find((o) => o.metadata.name === name)?.metadata.finalizers;

test('pvc-protection lets a claim go only once no running pod uses it; pv-protection a volume once it is not Bound', async () => {
  server.put('persistentvolumeclaims', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'used', namespace: 'a', finalizers: ['kubernetes.io/pvc-protection'], deletionTimestamp: deleting }, spec: {} });
  server.put('persistentvolumeclaims', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'free', namespace: 'a', finalizers: ['kubernetes.io/pvc-protection'], deletionTimestamp: deleting }, spec: {} });
  server.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, spec: { nodeName: 'n1', containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'used' } }] }, status: { phase: 'Running' } });
  server.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'done', namespace: 'a' }, spec: { nodeName: 'n1', containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'free' } }] }, status: { phase: 'Succeeded' } });
  server.put('persistentvolumes', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'bound', finalizers: ['kubernetes.io/pv-protection'], deletionTimestamp: deleting }, spec: {}, status: { phase: 'Bound' } });
  server.put('persistentvolumes', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'released', finalizers: ['kubernetes.io/pv-protection'], deletionTimestamp: deleting }, spec: {}, status: { phase: 'Released' } });
  const ac = new AbortController();
  const running = new VolumeProtectionController({ client }).run(ac.signal);
  try {
    await until(() => (finalizers('persistentvolumeclaims', 'free') ?? []).length === 0, 'the free claim let go');
    await until(() => (finalizers('persistentvolumes', 'released') ?? []).length === 0, 'the released volume let go');
    assert.deepEqual(finalizers('persistentvolumeclaims', 'used'), ['kubernetes.io/pvc-protection']);
    assert.deepEqual(finalizers('persistentvolumes', 'bound'), ['kubernetes.io/pv-protection']);
    server.remove('pods', 'a', 'p');
    await until(() => (finalizers('persistentvolumeclaims', 'used') ?? []).length === 0, 'the claim let go once its pod is gone');
  } finally {
    ac.abort();
    await running;
  }
});
