import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, type KubeObject, type PersistentVolumeClaim, type StorageClass } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { DefaultStorageClass } from './default-storage-class.ts';

const pvcs = RESOURCES.find((r) => r.group === '' && r.plural === 'persistentvolumeclaims')!;
const create = (o: PersistentVolumeClaim): AdmissionAttributes => ({
  operation: 'CREATE', resource: pvcs, subresource: '', namespace: 'default', name: 'c', object: o as unknown as KubeObject, oldObject: undefined, dryRun: false, user: 'u',
});
const sc = (name: string, isDefault: boolean, created: string): StorageClass => ({
  apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, creationTimestamp: created, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) }, provisioner: 'p',
});
const claim = (storageClassName?: string): PersistentVolumeClaim => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: storageClassName === undefined ? {} : { storageClassName } });
const admitted = (classes: StorageClass[], c: PersistentVolumeClaim) => {
  new DefaultStorageClass(() => classes as unknown as KubeObject[]).admit(create(c));
  return c.spec?.storageClassName;
};

test('DefaultStorageClass: a claim without a class gets the default; "" and named classes are kept; the newest default wins', () => {
  const local = sc('local-path', true, '2026-01-01T00:00:00Z');
  assert.equal(admitted([sc('other', false, '2026-01-02T00:00:00Z'), local], claim()), 'local-path');
  assert.equal(admitted([local], claim('')), '');
  assert.equal(admitted([local], claim('fast')), 'fast');
  assert.equal(admitted([sc('other', false, '2026-01-01T00:00:00Z')], claim()), undefined);
  assert.equal(admitted([local, sc('newer', true, '2026-02-01T00:00:00Z')], claim()), 'newer');
});
