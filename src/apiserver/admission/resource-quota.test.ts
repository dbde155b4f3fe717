import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type KubeObject, type Pod, type ResourceQuota } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { ResourceQuotaAdmission, type QuotaAccess } from './resource-quota.ts';
import { ApiError } from '../status.ts';

function attrs(object: object, plural = 'pods', dryRun = false): AdmissionAttributes {
  const o = object as KubeObject;
  return { operation: 'CREATE', resource: findResource('v1', plural)!, subresource: '', namespace: 'ns', name: o.metadata?.name ?? '', object: o, oldObject: undefined, dryRun, user: 'u' };
}

const pod = (name: string, resources?: object): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', ...(resources ? { resources } : {}) }] } });

function quota(name: string, hard: Record<string, string>, used?: Record<string, string>, spec: object = {}): ResourceQuota {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: 'ns', resourceVersion: '1' }, spec: { hard, ...spec }, status: used ? { hard, used } : undefined };
}

/** A store of quotas with compare-and-swap on resourceVersion, and a cache that can lag behind it. */
class FakeQuotas implements QuotaAccess {
  stored = new Map<string, ResourceQuota>();
  writes = 0;
  constructor(...qs: ResourceQuota[]) {
    for (const q of qs) this.stored.set(q.metadata!.name!, q);
  }
  async list(): Promise<ResourceQuota[]> {
    await Promise.resolve();
    return [...this.stored.values()].map((q) => structuredClone(q));
  }
  async updateStatus(rq: ResourceQuota): Promise<boolean> {
    await Promise.resolve();
    const cur = this.stored.get(rq.metadata!.name!)!;
    if (cur.metadata!.resourceVersion !== rq.metadata!.resourceVersion) return false;
    this.writes++;
    this.stored.set(rq.metadata!.name!, { ...rq, metadata: { ...rq.metadata, resourceVersion: String(Number(cur.metadata!.resourceVersion) + 1) } });
    return true;
  }
  now = () => 0;
}

const forbidden = (message: string) => (err: unknown) => err instanceof ApiError && err.code === 403 && err.message === message;

test('a pod over a pods quota is refused with upstream\'s message; under it the quota is charged', async () => {
  const q = new FakeQuotas(quota('q', { pods: '2' }, { pods: '1' }));
  const plugin = new ResourceQuotaAdmission(q);
  await plugin.validate(attrs(pod('a')));
  assert.equal(q.stored.get('q')!.status!.used!.pods, '2');
  await assert.rejects(plugin.validate(attrs(pod('b'))), forbidden('pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'));
});

test('a quota on limits refuses a container without them (must specify ...)', async () => {
  const plugin = new ResourceQuotaAdmission(new FakeQuotas(quota('compute', { 'limits.cpu': '2', 'requests.memory': '1Gi' }, { 'limits.cpu': '0', 'requests.memory': '0' })));
  await assert.rejects(plugin.validate(attrs(pod('p'))), forbidden('pods "p" is forbidden: failed quota: compute: must specify limits.cpu for: c; requests.memory for: c'));
  await plugin.validate(attrs(pod('ok', { limits: { cpu: '1' }, requests: { memory: '100Mi' } })));
});

test('an unsynced quota (no status yet) is not enforced; a quota missing usage is "status unknown"', async () => {
  await new ResourceQuotaAdmission(new FakeQuotas(quota('q', { pods: '0' }))).validate(attrs(pod('p')));
  const partial = quota('q', { pods: '1', 'count/pods': '1' }, { pods: '0' });
  await assert.rejects(new ResourceQuotaAdmission(new FakeQuotas(partial)).validate(attrs(pod('p'))), forbidden('pods "p" is forbidden: status unknown for quota: q, resources: count/pods'));
});

test('scopes: a BestEffort quota does not charge a pod with requests', async () => {
  const q = new FakeQuotas(quota('be', { pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] }));
  await new ResourceQuotaAdmission(q).validate(attrs(pod('burstable', { requests: { cpu: '100m' } })));
  await assert.rejects(new ResourceQuotaAdmission(q).validate(attrs(pod('besteffort'))), (e) => e instanceof ApiError && e.code === 403);
});

test('dry run checks but does not charge; count/<resource> charges any resource', async () => {
  const q = new FakeQuotas(quota('q', { 'count/configmaps': '1', configmaps: '1' }, { 'count/configmaps': '0', configmaps: '0' }));
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
  await new ResourceQuotaAdmission(q).validate(attrs(cm, 'configmaps', true));
  assert.equal(q.writes, 0);
  await new ResourceQuotaAdmission(q).validate(attrs(cm, 'configmaps'));
  assert.deepEqual(q.stored.get('q')!.status!.used, { configmaps: '1', 'count/configmaps': '1' });
  await assert.rejects(new ResourceQuotaAdmission(q).validate(attrs({ ...cm, metadata: { name: 'd' } }, 'configmaps')),
    forbidden('configmaps "d" is forbidden: exceeded quota: q, requested: configmaps=1,count/configmaps=1, used: configmaps=1,count/configmaps=1, limited: configmaps=1,count/configmaps=1'));
});

test('concurrent requests that lose the compare-and-swap re-read the quota: no overshoot', async () => {
  const q = new FakeQuotas(quota('q', { pods: '3' }, { pods: '0' }));
  const plugin = new ResourceQuotaAdmission(q);
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => plugin.validate(attrs(pod(`p${i}`)))));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
  assert.equal(q.stored.get('q')!.status!.used!.pods, '3');
});
