import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod, ResourceQuota } from '../types.ts';
import { calculateUsage, evaluatorFor, podConstraintsError, quotaResourcesFor } from './evaluators.ts';
import { prettyPrint, toStringList } from './resource-list.ts';

const pod = (name: string, extra: Partial<Pod> = {}, resources?: object): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', image: 'x', ...(resources ? { resources } : {}) }] }, ...extra,
}) as unknown as KubeObject;

const usage = (plural: string, obj: KubeObject, now = 0) => toStringList(evaluatorFor({ group: '', plural })!.usage(obj, now));

test('a running pod charges its count and compute; a terminal one only count/pods', () => {
  const p = pod('a', {}, { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m' } });
  assert.deepEqual(usage('pods', p), {
    'count/pods': '1', cpu: '250m', 'limits.cpu': '500m', memory: '64Mi', pods: '1', 'requests.cpu': '250m', 'requests.memory': '64Mi',
  });
  assert.deepEqual(usage('pods', { ...p, status: { phase: 'Succeeded' } }), { 'count/pods': '1' });
  // Past its deletion grace period a pod stops counting (a lost node's pods do not hold the quota).
  const deleting = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } };
  assert.equal(usage('pods', deleting, Date.parse('2026-01-01T00:00:10Z')).pods, '1');
  assert.equal(usage('pods', deleting, Date.parse('2026-01-01T00:01:00Z')).pods, undefined);
});

test('services charge load balancers and node ports; claims charge storage per class', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } } as unknown as KubeObject;
  assert.deepEqual(usage('services', svc), { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2' });
  const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } } } as unknown as KubeObject;
  assert.deepEqual(usage('persistentvolumeclaims', pvc), {
    'count/persistentvolumeclaims': '1', 'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1', 'fast.storageclass.storage.k8s.io/requests.storage': '5Gi',
    persistentvolumeclaims: '1', 'requests.storage': '5Gi',
  });
  assert.deepEqual(toStringList(evaluatorFor({ group: 'apps', plural: 'deployments' })!.usage(svc, 0)), { 'count/deployments.apps': '1' });
  assert.equal(evaluatorFor({ group: '', plural: 'events' }), undefined);
});

test('must specify: each missing resource with the containers that lack it, sorted', () => {
  const p = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { containers: [{ name: 'b', image: 'x' }, { name: 'a', image: 'x', resources: { limits: { cpu: '1' } } }], initContainers: [{ name: 'i', image: 'x' }] },
  } as Pod;
  assert.equal(podConstraintsError(['limits.cpu', 'limits.memory', 'pods'], p), 'must specify limits.cpu for: b,i; limits.memory for: a,b,i');
  assert.equal(podConstraintsError(['pods', 'requests.storage'], p), undefined);
});

test('calculateUsage: every hard name gets a value, scopes select the pods, count/<resource> lists its objects', () => {
  const rq = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '5', 'requests.cpu': '2', 'count/configmaps': '3' }, scopes: ['NotBestEffort'] } } as ResourceQuota;
  assert.deepEqual(quotaResourcesFor(Object.keys(rq.spec!.hard!)).map((r) => r.plural).sort(), ['configmaps', 'pods']);
  const objects: Record<string, KubeObject[]> = {
    pods: [pod('a', {}, { requests: { cpu: '500m' } }), pod('b', {}, { requests: { cpu: '250m' } }), pod('best-effort')],
    configmaps: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } as KubeObject],
  };
  // Scoped quotas never match other objects (MatchesNoScopeFunc), so count/configmaps stays 0 here.
  assert.equal(prettyPrint(calculateUsage(rq, (r) => objects[r.plural] ?? [], 0)), 'count/configmaps=0,pods=2,requests.cpu=750m');
  const unscoped = { ...rq, spec: { hard: rq.spec!.hard } };
  assert.equal(prettyPrint(calculateUsage(unscoped, (r) => objects[r.plural] ?? [], 0)), 'count/configmaps=1,pods=3,requests.cpu=750m');
});

test('scopes: PriorityClass selectors over the pod\'s class, Terminating by activeDeadlineSeconds, cross-namespace affinity', async () => {
  const { podMatchesScope } = await import('./scopes.ts');
  const withClass = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], priorityClassName: 'high' } } as Pod;
  const without = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } } as Pod;
  const pc = (operator: string, values?: string[]) => ({ scopeName: 'PriorityClass', operator, ...(values ? { values } : {}) });
  assert.deepEqual([podMatchesScope(pc('In', ['high']), withClass), podMatchesScope(pc('In', ['high']), without)], [true, false]);
  assert.deepEqual([podMatchesScope(pc('NotIn', ['high']), withClass), podMatchesScope(pc('NotIn', ['high']), without)], [false, true]);
  assert.deepEqual([podMatchesScope(pc('Exists'), withClass), podMatchesScope(pc('DoesNotExist'), withClass)], [true, false]);
  const deadline = { ...without, spec: { containers: [], activeDeadlineSeconds: 30 } } as Pod;
  assert.deepEqual([podMatchesScope({ scopeName: 'Terminating', operator: 'Exists' }, deadline), podMatchesScope({ scopeName: 'NotTerminating', operator: 'Exists' }, deadline)], [true, false]);
  const affinity = { ...without, spec: { containers: [], affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'k', namespaces: ['other'] }] } } } } as Pod;
  assert.equal(podMatchesScope({ scopeName: 'CrossNamespacePodAffinity', operator: 'Exists' }, affinity), true);
  assert.equal(podMatchesScope({ scopeName: 'CrossNamespacePodAffinity', operator: 'Exists' }, without), false);
});
