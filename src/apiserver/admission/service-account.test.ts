import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, type KubeObject, type Pod, type ServiceAccount } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { ServiceAccountAdmission } from './service-account.ts';

const pods = RESOURCES.find((r) => r.group === '' && r.plural === 'pods')!;
const create = (pod: Pod): AdmissionAttributes => ({
  operation: 'CREATE', resource: pods, subresource: '', namespace: 'default', name: 'p', object: pod as unknown as KubeObject, oldObject: undefined, dryRun: false, user: 'u',
});
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const admission = (sa: ServiceAccount) =>
  new ServiceAccountAdmission({ get: async (resource, _ns, name) => (resource === 'serviceaccounts' && name === sa.metadata!.name ? (sa as unknown as KubeObject) : undefined) });
const robot: ServiceAccount = {
  apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'default' }, imagePullSecrets: [{ name: 'first' }, { name: 'second' }],
};

test("ServiceAccount admission: a pod without imagePullSecrets gets its service account's, in order", async () => {
  const p = pod({ serviceAccountName: 'robot' });
  await admission(robot).admit(create(p));
  assert.deepEqual(p.spec!.imagePullSecrets, [{ name: 'first' }, { name: 'second' }]);
});

test('ServiceAccount admission: a pod that names its own imagePullSecrets keeps them', async () => {
  const p = pod({ serviceAccountName: 'robot', imagePullSecrets: [{ name: 'mine' }] });
  await admission(robot).admit(create(p));
  assert.deepEqual(p.spec!.imagePullSecrets, [{ name: 'mine' }]);
});

test('ServiceAccount admission: the secrets are copied even when the token is not mounted; none on the account, none on the pod', async () => {
  const p = pod({ serviceAccountName: 'robot', automountServiceAccountToken: false });
  await admission(robot).admit(create(p));
  assert.deepEqual(p.spec!.imagePullSecrets, [{ name: 'first' }, { name: 'second' }]);
  assert.equal(p.spec!.volumes, undefined);
  const plain = pod();
  await admission({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } }).admit(create(plain));
  assert.equal(plain.spec!.imagePullSecrets, undefined);
});
