import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, type KubeObject } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { StorageObjectInUseProtection } from './storage-object-in-use-protection.ts';

const create = (plural: string, o: KubeObject): AdmissionAttributes => ({
  operation: 'CREATE', resource: RESOURCES.find((r) => r.group === '' && r.plural === plural)!, subresource: '', namespace: 'default', name: 'x',
  object: o, oldObject: undefined, dryRun: false, user: 'u',
});

test('StorageObjectInUseProtection: new claims and volumes get their protection finalizer once; other kinds nothing', () => {
  const plugin = new StorageObjectInUseProtection();
  const pvc = { metadata: { name: 'c', finalizers: ['mine'] } } as KubeObject;
  plugin.admit(create('persistentvolumeclaims', pvc));
  plugin.admit(create('persistentvolumeclaims', pvc));
  assert.deepEqual(pvc.metadata?.finalizers, ['mine', 'kubernetes.io/pvc-protection']);
  const pv = { metadata: { name: 'v' } } as KubeObject;
  plugin.admit(create('persistentvolumes', pv));
  assert.deepEqual(pv.metadata?.finalizers, ['kubernetes.io/pv-protection']);
  const cm = { metadata: { name: 'm' } } as KubeObject;
  plugin.admit(create('configmaps', cm));
  assert.equal(cm.metadata?.finalizers, undefined);
});
