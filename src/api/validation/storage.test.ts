import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults.ts';
import { validateObject, validateObjectUpdate } from './index.ts';
import { printTable } from '../printers/table.ts';
import { resolveResource } from '../resources.ts';
import type { PersistentVolume, PersistentVolumeClaim, StatefulSet, StorageClass } from '../types.ts';

const claim = (): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default', resourceVersion: '1' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});

const sts = (): StatefulSet => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default', resourceVersion: '1' },
  spec: {
    serviceName: 'web', selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
});

test('kubectl names resolve: pv, pvc, sc, sts', () => {
  assert.equal(resolveResource('pvc')?.kind, 'PersistentVolumeClaim');
  assert.equal(resolveResource('pv')?.kind, 'PersistentVolume');
  assert.equal(resolveResource('sc')?.groupVersion, 'storage.k8s.io/v1');
  assert.equal(resolveResource('sts')?.groupVersion, 'apps/v1');
});

test('StatefulSet defaults as SetDefaults_StatefulSet', () => {
  const s = applyDefaults('statefulsets.apps', sts());
  assert.equal(s.spec?.replicas, 1);
  assert.equal(s.spec?.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(s.spec?.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(s.spec?.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(s.spec?.volumeClaimTemplates?.[0]?.spec?.volumeMode, 'Filesystem');
  assert.deepEqual(validateObject('statefulsets.apps', s), []);
  // Containers may mount the claim templates by name; other unknown names are still refused.
  s.spec!.template.spec!.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }];
  assert.deepEqual(validateObject('statefulsets.apps', s), []);
  s.spec!.template.spec!.containers[0]!.volumeMounts = [{ name: 'nope', mountPath: '/data' }];
  assert.deepEqual(validateObject('statefulsets.apps', s).map((e) => e.field), ['spec.template.spec.containers[0].volumeMounts[0].name']);
});

test('StatefulSet validation: bad policy, only some spec fields may change', () => {
  const s = applyDefaults('statefulsets.apps', sts());
  (s.spec as { podManagementPolicy?: string }).podManagementPolicy = 'Sometimes';
  assert.deepEqual(validateObject('statefulsets.apps', s).map((e) => e.field), ['spec.podManagementPolicy']);
  const old = applyDefaults('statefulsets.apps', sts());
  const scaled = structuredClone(old);
  scaled.spec!.replicas = 3;
  scaled.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
  assert.deepEqual(validateObjectUpdate('statefulsets.apps', scaled, old), []);
  const renamed = structuredClone(old);
  renamed.spec!.serviceName = 'other';
  const errs = validateObjectUpdate('statefulsets.apps', renamed, old);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!.message, /updates to statefulset spec for fields other than 'replicas'/);
});

test('claims need access modes and a storage request; the spec is fixed but volumeName binds once', () => {
  const c = applyDefaults('persistentvolumeclaims', claim());
  assert.equal(c.spec?.volumeMode, 'Filesystem');
  assert.deepEqual(validateObject('persistentvolumeclaims', c), []);
  const bad = claim();
  delete bad.spec!.accessModes;
  delete bad.spec!.resources;
  assert.deepEqual(validateObject('persistentvolumeclaims', bad).map((e) => e.field), ['spec.accessModes', 'spec.resources[storage]']);
  const bound = structuredClone(c);
  bound.spec!.volumeName = 'pvc-1';
  assert.deepEqual(validateObjectUpdate('persistentvolumeclaims', bound, c), []);
  const rebound = structuredClone(bound);
  rebound.spec!.volumeName = 'pvc-2';
  assert.equal(validateObjectUpdate('persistentvolumeclaims', rebound, bound)[0]?.field, 'spec');
});

test('volumes need one source; local ones node affinity; classes default and keep their provisioner', () => {
  const pv: PersistentVolume = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'v' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/tmp/v' } } };
  applyDefaults('persistentvolumes', pv);
  assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Retain');
  assert.deepEqual(validateObject('persistentvolumes', pv), []);
  const local: PersistentVolume = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'l' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, local: { path: '/x' } } };
  assert.deepEqual(validateObject('persistentvolumes', local).map((e) => e.field), ['spec.nodeAffinity']);
  const sc: StorageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast', resourceVersion: '1' }, provisioner: 'rancher.io/local-path' };
  applyDefaults('storageclasses.storage.k8s.io', sc);
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.volumeBindingMode, 'Immediate');
  const changed = { ...sc, provisioner: 'other' };
  assert.deepEqual(validateObjectUpdate('storageclasses.storage.k8s.io', changed, sc).map((e) => e.field), ['provisioner']);
});

test('printers: kubectl 1.32 columns for pvc, pv, sc, sts', () => {
  const c = applyDefaults('persistentvolumeclaims', claim());
  c.spec!.volumeName = 'pvc-1';
  c.spec!.storageClassName = 'local-path';
  c.status = { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] };
  const t = printTable('persistentvolumeclaims', [c], { now: Date.now() });
  assert.deepEqual(t.columnDefinitions.filter((d) => d.priority === 0).map((d) => d.name),
    ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age']);
  assert.deepEqual(t.rows[0]!.cells.slice(0, 7), ['data', 'Bound', 'pvc-1', '1Gi', 'RWO', 'local-path', '<unset>']);
  const pv: PersistentVolume = { apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name: 'pvc-1' }, spec: { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], capacity: { storage: '1Gi' }, persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local-path' },
    status: { phase: 'Bound' },
  };
  const pt = printTable('persistentvolumes', [pv], { now: Date.now() });
  assert.deepEqual(pt.columnDefinitions.filter((d) => d.priority === 0).map((d) => d.name),
    ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age']);
  assert.deepEqual(pt.rows[0]!.cells.slice(0, 9), ['pvc-1', '1Gi', 'RWO,ROX', 'Delete', 'Bound', 'default/data', 'local-path', '<unset>', '']);
  const sc: StorageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' };
  const st = printTable('storageclasses.storage.k8s.io', [sc], { now: Date.now() });
  assert.deepEqual(st.rows[0]!.cells.slice(0, 5), ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false']);
  const s = applyDefaults('statefulsets.apps', sts());
  s.status = { replicas: 1, readyReplicas: 1 };
  const tt = printTable('statefulsets.apps', [s], { now: Date.now() });
  assert.deepEqual(tt.columnDefinitions.filter((d) => d.priority === 0).map((d) => d.name), ['Name', 'Ready', 'Age']);
  assert.deepEqual(tt.rows[0]!.cells.slice(0, 2), ['web', '1/1']);
});
