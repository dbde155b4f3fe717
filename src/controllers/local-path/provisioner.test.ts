import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { VolumeBindingController } from '../volume-binding/volume-binding.ts';
import { LocalPathProvisioner, localPathStorageClass } from './provisioner.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const claim = (name: string, node?: string, cls = 'local-path'): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'ns1', ...(node ? { annotations: { 'volume.kubernetes.io/selected-node': node } } : {}) },
  spec: { storageClassName: cls, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  status: { phase: 'Pending' },
});
const volumes = () => server.list('persistentvolumes') as unknown as PersistentVolume[];
const claimNamed = (name: string) => server.list('persistentvolumeclaims').find((c) => c.metadata.name === name) as unknown as PersistentVolumeClaim | undefined;
const exists = (p: string) => fs.stat(p).then(() => true, () => false);

test('local-path: a claim selected for this node gets a directory and a pre-bound volume; Delete removes both, Retain keeps both', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'local-path-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  server.put('storage.k8s.io/storageclasses', localPathStorageClass());
  server.put('storage.k8s.io/storageclasses', { ...localPathStorageClass(), metadata: { name: 'keep' }, reclaimPolicy: 'Retain' });
  const mine = server.put('persistentvolumeclaims', claim('mine', 'n1'));
  server.put('persistentvolumeclaims', claim('theirs', 'n2'));
  server.put('persistentvolumeclaims', claim('unscheduled'));
  const kept = server.put('persistentvolumeclaims', claim('kept', 'n1', 'keep'));
  const ac = new AbortController();
  const running = [
    new LocalPathProvisioner({ client, nodeName: 'n1', root }).run(ac.signal),
    new VolumeBindingController({ client }).run(ac.signal),
  ];
  try {
    await until(() => claimNamed('mine')?.status?.phase === 'Bound' && claimNamed('kept')?.status?.phase === 'Bound', 'both claims of n1 Bound');
    const pv = volumes().find((v) => v.metadata?.name === `pvc-${mine.metadata.uid}`)!;
    const dir = path.join(root, `pvc-${mine.metadata.uid}_ns1_mine`);
    assert.equal(claimNamed('mine')?.spec?.volumeName, pv.metadata?.name);
    assert.deepEqual(pv.spec?.hostPath, { path: dir, type: 'DirectoryOrCreate' });
    assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }]);
    assert.equal(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
    assert.deepEqual([pv.spec?.capacity, pv.spec?.accessModes, pv.spec?.persistentVolumeReclaimPolicy, pv.spec?.storageClassName], [{ storage: '1Gi' }, ['ReadWriteOnce'], 'Delete', 'local-path']);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o777);
    assert.equal(volumes().length, 2, 'nothing for the other node or the unscheduled claim');
    assert.equal(claimNamed('mine')?.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], 'rancher.io/local-path');
    const reasons = (claim: string) => server.list('events').filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === claim).map((e) => (e as { reason?: string }).reason);
    await until(() => reasons('unscheduled').includes('WaitForFirstConsumer'), 'WaitForFirstConsumer on the unscheduled claim');
    await until(() => ['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded'].every((r) => reasons('mine').includes(r)), 'provisioning events on mine');
    await fs.writeFile(path.join(dir, 'f'), 'x');
    const keptDir = path.join(root, `pvc-${kept.metadata.uid}_ns1_kept`);

    server.remove('persistentvolumeclaims', 'ns1', 'mine');
    server.remove('persistentvolumeclaims', 'ns1', 'kept');
    await until(() => !volumes().some((v) => v.metadata?.name === pv.metadata?.name), 'the Delete volume gone');
    assert.equal(await exists(dir), false, 'its directory removed');
    await until(() => volumes().find((v) => v.metadata?.name === `pvc-${kept.metadata.uid}`)?.status?.phase === 'Released', 'the Retain volume Released');
    assert.equal(await exists(keptDir), true, 'the Retain volume keeps its directory');
  } finally {
    ac.abort();
    await Promise.all(running);
  }
});
