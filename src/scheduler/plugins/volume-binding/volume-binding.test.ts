import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../api/index.ts';
import type { FakeApiServer } from '../../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../../client/testing/fake-api-for-file.ts';
import type { Client } from '../../../client/index.ts';
import { CycleState } from '../../framework/index.ts';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runFilter } from '../../testing/run-plugin.ts';
import { ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_UNBOUND_IMMEDIATE, SELECTED_NODE_ANNOTATION, VolumeBinding } from './volume-binding.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const classes: Record<string, StorageClass> = {
  'local-path': { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' },
  now: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'now' }, provisioner: 'x', volumeBindingMode: 'Immediate' },
  manual: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
};
const claim = (name: string, cls: string, volumeName?: string): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { storageClassName: cls, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(volumeName ? { volumeName } : {}) },
});
const claims = new Map<string, PersistentVolumeClaim>();
const volumes = new Map<string, PersistentVolume>([['on-n1', {
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'on-n1' },
  spec: { hostPath: { path: '/x' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } },
}]]);
const plugin = () => new VolumeBinding(client, {
  claim: (ns, name) => claims.get(`${ns}/${name}`), volume: (name) => volumes.get(name), volumes: () => [...volumes.values()], storageClass: (name) => classes[name],
});
const podWith = (...names: string[]) => {
  const pod = makePod().name('p').obj();
  pod.spec!.volumes = names.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } }));
  return pod;
};
const n1 = makeNode().name('n1').labels({ 'kubernetes.io/hostname': 'n1' }).obj();
const n2 = makeNode().name('n2').labels({ 'kubernetes.io/hostname': 'n2' }).obj();

test('VolumeBinding filter: missing, unbound Immediate, node affinity of bound volumes, delayed claims', () => {
  claims.set('default/bound', claim('bound', 'local-path', 'on-n1'));
  claims.set('default/later', claim('later', 'local-path'));
  claims.set('default/now', claim('now', 'now'));
  claims.set('default/manual', claim('manual', 'manual'));
  const cases = [
    { name: 'missing claim', pod: podWith('nope'), node: n1, want: { code: 'UnschedulableAndUnresolvable', reasons: ['persistentvolumeclaim "nope" not found'] } },
    { name: 'unbound Immediate claim', pod: podWith('now'), node: n1, want: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_UNBOUND_IMMEDIATE] } },
    { name: 'bound volume on this node', pod: podWith('bound'), node: n1, want: undefined },
    { name: 'bound volume on another node', pod: podWith('bound'), node: n2, want: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_CONFLICT] } },
    { name: 'delayed claim of a provisioned class fits anywhere', pod: podWith('later'), node: n2, want: undefined },
    { name: 'delayed claim without a provisioner', pod: podWith('manual'), node: n1, want: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_BIND_CONFLICT] } },
    { name: 'no claims', pod: podWith(), node: n1, want: undefined },
  ];
  for (const c of cases) assert.deepEqual(runFilter(plugin(), c.pod, c.node), c.want, c.name);
});

test('VolumeBinding preBind writes the selected node on delayed claims only', async () => {
  const later = server.put('persistentvolumeclaims', claim('later', 'local-path'));
  const bound = server.put('persistentvolumeclaims', claim('bound', 'local-path', 'on-n1'));
  claims.set('default/later', later as unknown as PersistentVolumeClaim);
  claims.set('default/bound', bound as unknown as PersistentVolumeClaim);
  const p = plugin();
  const state = new CycleState();
  const pod = podWith('later', 'bound');
  assert.equal(p.preFilter(state, pod), undefined);
  assert.equal(p.filter(state, pod, nodeInfoOf(n1)), undefined);
  assert.equal(await p.preBind(state, pod, 'n1', AbortSignal.timeout(5000)), undefined);
  const annotations = (name: string) => server.list('persistentvolumeclaims').find((c) => c.metadata.name === name)?.metadata.annotations;
  assert.equal(annotations('later')?.[SELECTED_NODE_ANNOTATION], 'n1');
  assert.equal(annotations('bound')?.[SELECTED_NODE_ANNOTATION], undefined);
});

test('VolumeBinding matches a delayed claim of a class without a provisioner to an Available local volume on the node, and pre-binds it', async () => {
  const local = (name: string, node: string, size: string): PersistentVolume => ({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
    spec: {
      storageClassName: 'manual', accessModes: ['ReadWriteOnce'], capacity: { storage: size }, local: { path: `/mnt/${name}` },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    },
    status: { phase: 'Available' },
  });
  volumes.set('small-n1', local('small-n1', 'n1', '500Mi'));
  volumes.set('big-n1', local('big-n1', 'n1', '5Gi'));
  volumes.set('fit-n1', local('fit-n1', 'n1', '2Gi'));
  const stored = server.put('persistentvolumes', local('fit-n1', 'n1', '2Gi'));
  volumes.set('fit-n1', stored as unknown as PersistentVolume);
  claims.set('default/manual', claim('manual', 'manual'));
  const p = plugin();
  const state = new CycleState();
  const pod = podWith('manual');
  assert.equal(p.preFilter(state, pod), undefined);
  assert.deepEqual(p.filter(state, pod, nodeInfoOf(n2)), { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_BIND_CONFLICT] }, 'no volume on n2');
  assert.equal(p.filter(state, pod, nodeInfoOf(n1)), undefined, 'the smallest volume that fits on n1');
  assert.equal(await p.preBind(state, pod, 'n1', AbortSignal.timeout(5000)), undefined);
  const ref = server.list('persistentvolumes').find((v) => v.metadata.name === 'fit-n1')?.spec as PersistentVolume['spec'];
  assert.deepEqual(ref?.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: 'manual', uid: 'uid-manual' });
  for (const n of ['small-n1', 'big-n1', 'fit-n1']) volumes.delete(n);
});
