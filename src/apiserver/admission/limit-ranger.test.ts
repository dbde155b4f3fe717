import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, findResource, type KubeObject, type LimitRange, type Pod } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { LimitRanger } from './limit-ranger.ts';
import { ApiError } from '../status.ts';

function attrs(object: object, plural = 'pods', operation: AdmissionAttributes['operation'] = 'CREATE'): AdmissionAttributes {
  const o = object as KubeObject;
  return { operation, resource: findResource('v1', plural)!, subresource: '', namespace: 'ns', name: o.metadata?.name ?? '', object: o, oldObject: undefined, dryRun: false, user: 'u' };
}

/** A LimitRange as stored: defaulted like the API server does. */
function range(limits: LimitRange['spec'] extends infer S ? S extends { limits: infer L } ? L : never : never): KubeObject {
  return applyDefaults('limitranges', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } }) as unknown as KubeObject;
}

const pod = (containers: Pod['spec'] extends infer S ? S extends { containers: infer C } ? C : never : never, init?: typeof containers): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers, ...(init ? { initContainers: init } : {}) } });
const forbidden = (message: string) => (err: unknown) => err instanceof ApiError && err.code === 403 && err.message === message;

test('defaults fill containers and init containers that lack them, and the annotation says what was set', () => {
  const p = pod([{ name: 'a', image: 'x' }, { name: 'b', image: 'x', resources: { limits: { cpu: '2' } } }], [{ name: 'i', image: 'x' }]);
  new LimitRanger(() => [range([{ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' } }])]).admit(attrs(p));
  assert.deepEqual(p.spec!.containers[0]!.resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.deepEqual(p.spec!.containers[1]!.resources, { limits: { cpu: '2', memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.equal(p.metadata!.annotations!['kubernetes.io/limit-ranger'],
    'LimitRanger plugin set: cpu, memory request for container a; cpu, memory limit for container a; cpu, memory request for container b; memory limit for container b; cpu, memory request for init container i; cpu, memory limit for init container i');
});

test('LimitRange defaulting: default from max, defaultRequest from default, else from min', () => {
  const lr = range([{ type: 'Container', max: { cpu: '1' }, min: { memory: '10Mi' } }]) as unknown as LimitRange;
  assert.deepEqual(lr.spec!.limits[0]!.default, { cpu: '1' });
  assert.deepEqual(lr.spec!.limits[0]!.defaultRequest, { cpu: '1', memory: '10Mi' });
});

test('max, min and ratio are checked per container with upstream\'s messages', () => {
  const ranger = new LimitRanger(() => [range([{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { memory: '2' } }])]);
  const big = pod([{ name: 'c', image: 'x', resources: { limits: { cpu: '2', memory: '256Mi' }, requests: { cpu: '500m', memory: '64Mi' } } }]);
  assert.throws(() => ranger.validate(attrs(big)), forbidden('pods "p" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, memory max limit to request ratio per Container is 2, but provided ratio is 4.000000]'));
  const small = pod([{ name: 'c', image: 'x', resources: { limits: { cpu: '1', memory: '32Mi' }, requests: { memory: '32Mi' } } }]);
  assert.throws(() => ranger.validate(attrs(small)), forbidden('pods "p" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi'));
  ranger.validate(attrs(pod([{ name: 'c', image: 'x', resources: { limits: { cpu: '1', memory: '100Mi' }, requests: { memory: '64Mi' } } }])));
});

test('a Pod item bounds the sum of the containers; pod updates are not checked', () => {
  const ranger = new LimitRanger(() => [range([{ type: 'Pod', max: { cpu: '1' } }])]);
  const p = pod([{ name: 'a', image: 'x', resources: { limits: { cpu: '600m' } } }, { name: 'b', image: 'x', resources: { limits: { cpu: '600m' } } }]);
  assert.throws(() => ranger.validate(attrs(p)), forbidden('pods "p" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m'));
  ranger.validate(attrs(p, 'pods', 'UPDATE'));
});

test('claims are held between min and max storage', () => {
  const ranger = new LimitRanger(() => [range([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }])]);
  const claim = (size: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } });
  assert.throws(() => ranger.validate(attrs(claim('20Gi'), 'persistentvolumeclaims')), forbidden('persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but limit is 20Gi'));
  assert.throws(() => ranger.validate(attrs(claim('500Mi'), 'persistentvolumeclaims')), forbidden('persistentvolumeclaims "c" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi'));
  ranger.validate(attrs(claim('5Gi'), 'persistentvolumeclaims'));
});
