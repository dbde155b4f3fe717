import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim } from '../../api/index.ts';
import { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { VolumeBindingController } from './volume-binding.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const pv = (name: string, size: string, policy: 'Retain' | 'Delete' = 'Retain'): PersistentVolume => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: size }, hostPath: { path: `/tmp/${name}` }, persistentVolumeReclaimPolicy: policy },
  status: { phase: 'Pending' },
});
const pvc = (name: string, size: string, storageClassName?: string): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'b1' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(storageClassName ? { storageClassName } : {}) },
  status: { phase: 'Pending' },
});
const volume = (name: string) => server.list('persistentvolumes').find((v) => v.metadata.name === name) as unknown as PersistentVolume | undefined;
const claim = (name: string) => server.list('persistentvolumeclaims').find((v) => v.metadata.name === name) as unknown as PersistentVolumeClaim | undefined;

async function withController(body: () => Promise<void>): Promise<void> {
  const c = new VolumeBindingController({ client });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await body();
  } finally {
    ac.abort();
    await running;
  }
}

test('a claim binds to the smallest volume that fits; its volume is Released (Retain) or deleted (Delete) when it goes', async () => {
  server.put('persistentvolumes', pv('big', '5Gi'));
  server.put('persistentvolumes', pv('small', '1Gi'));
  server.put('persistentvolumes', pv('tiny', '100Mi'));
  server.put('persistentvolumes', pv('scratch', '2Gi', 'Delete'));
  server.put('storage.k8s.io/storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'later' }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer' });
  const made = server.put('persistentvolumeclaims', pvc('data', '1Gi'));
  await withController(async () => {
    await until(() => claim('data')?.status?.phase === 'Bound', 'claim Bound');
    assert.equal(claim('data')?.spec?.volumeName, 'small');
    assert.deepEqual(claim('data')?.status?.capacity, { storage: '1Gi' });
    assert.equal(claim('data')?.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
    await until(() => volume('small')?.status?.phase === 'Bound', 'volume Bound');
    assert.deepEqual(volume('small')?.spec?.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'b1', name: 'data', uid: made.metadata.uid });
    await until(() => volume('big')?.status?.phase === 'Available', 'unclaimed volumes Available');

    // A claim pre-bound by name gets that volume; one of a WaitForFirstConsumer class waits.
    const named = pvc('named', '1Gi');
    named.spec!.volumeName = 'scratch';
    server.put('persistentvolumeclaims', named);
    server.put('persistentvolumeclaims', pvc('waiting', '1Gi', 'later'));
    await until(() => claim('named')?.status?.phase === 'Bound' && volume('scratch')?.status?.phase === 'Bound', 'named claim Bound');
    assert.equal(claim('waiting')?.status?.phase, 'Pending');

    server.remove('persistentvolumeclaims', 'b1', 'data');
    server.remove('persistentvolumeclaims', 'b1', 'named');
    await until(() => volume('small')?.status?.phase === 'Released', 'Retain: Released');
    await until(() => volume('scratch') === undefined, 'Delete: volume deleted');
  });
});

test('a volume pre-bound to a claim (as a provisioner makes it) binds to it; a provisioned volume is Released for its provisioner to delete', async () => {
  server.put('storage.k8s.io/storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'wait' }, provisioner: 'p', volumeBindingMode: 'WaitForFirstConsumer' });
  const c = server.put('persistentvolumeclaims', pvc('pre', '1Gi', 'wait'));
  const made = pv('made', '1Gi', 'Delete');
  made.metadata!.annotations = { 'pv.kubernetes.io/provisioned-by': 'p' };
  made.spec!.storageClassName = 'wait';
  made.spec!.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'b1', name: 'pre', uid: c.metadata.uid };
  server.put('persistentvolumes', made);
  await withController(async () => {
    await until(() => claim('pre')?.status?.phase === 'Bound', 'the WaitForFirstConsumer claim Bound to its pre-bound volume');
    assert.equal(claim('pre')?.spec?.volumeName, 'made');
    server.remove('persistentvolumeclaims', 'b1', 'pre');
    await until(() => volume('made')?.status?.phase === 'Released', 'Released, not deleted');
  });
});

test('a volume being deleted is still Released when its claim goes (so pv-protection can let it go)', async () => {
  const c = server.put('persistentvolumeclaims', pvc('held', '1Gi'));
  const v = pv('deleting', '1Gi', 'Delete');
  v.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
  v.metadata!.finalizers = ['kubernetes.io/pv-protection'];
  v.spec!.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'b1', name: 'held', uid: c.metadata.uid };
  v.status = { phase: 'Bound' };
  server.put('persistentvolumes', v);
  await withController(async () => {
    await until(() => claim('held')?.status?.phase === 'Bound', 'the claim bound to it');
    server.remove('persistentvolumeclaims', 'b1', 'held');
    await until(() => volume('deleting')?.status?.phase === 'Released', 'Released');
  });
});
