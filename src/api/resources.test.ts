import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, ResourceTable, findResource, findResourceByKind, resolveResource, findSubresource, qualifiedKind, qualifiedResource } from './resources.ts';
import { groupDiscovery, apiResourceList, apiGroups, compareKubeVersions } from './discovery.ts';

test('findResource by group/version and plural', () => {
  const cases: [string, string, string | undefined][] = [
    ['v1', 'pods', 'Pod'], ['v1', 'nodes', 'Node'], ['v1', 'namespaces', 'Namespace'], ['v1', 'events', 'Event'],
    ['events.k8s.io/v1', 'events', 'Event'], ['coordination.k8s.io/v1', 'leases', 'Lease'],
    ['apps/v1', 'deployments', 'Deployment'], ['apps/v1', 'replicasets', 'ReplicaSet'], ['v1', 'bindings', 'Binding'],
    ['v1', 'leases', undefined], ['apps/v1', 'pods', undefined],
  ];
  for (const [gv, plural, kind] of cases) assert.equal(findResource(gv, plural)?.kind, kind, `${gv} ${plural}`);
});

test('short names, categories and scope match a real apiserver', () => {
  const short = (p: string, gv = 'v1') => findResource(gv, p)!.shortNames;
  assert.deepEqual(short('pods'), ['po']);
  assert.deepEqual(short('nodes'), ['no']);
  assert.deepEqual(short('namespaces'), ['ns']);
  assert.deepEqual(short('configmaps'), ['cm']);
  assert.deepEqual(short('serviceaccounts'), ['sa']);
  assert.deepEqual(short('replicasets', 'apps/v1'), ['rs']);
  assert.deepEqual(short('deployments', 'apps/v1'), ['deploy']);
  assert.deepEqual(findResource('v1', 'pods')!.categories, ['all']);
  assert.equal(findResource('v1', 'nodes')!.namespaced, false);
  assert.equal(findResource('v1', 'pods')!.listKind, 'PodList');
  assert.ok(!findResource('v1', 'namespaces')!.verbs.includes('deletecollection'));
  const pods = findResource('v1', 'pods')!;
  assert.deepEqual(pods.subresources.map((s) => s.name).sort(),
    ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'status']);
  assert.equal(findSubresource(pods, 'eviction')?.group, 'policy');
  assert.equal(findSubresource(findResource('v1', 'serviceaccounts')!, 'token')?.kind, 'TokenRequest');
});

test('resolveResource accepts what users type', () => {
  for (const [name, gv, plural] of [['po', 'v1', 'pods'], ['pod', 'v1', 'pods'], ['Pod', 'v1', 'pods'], ['ev', 'v1', 'events'],
    ['deploy', 'apps/v1', 'deployments'], ['deployments.apps', 'apps/v1', 'deployments'], ['events.events.k8s.io', 'events.k8s.io/v1', 'events']]) {
    const r = resolveResource(name!);
    assert.equal(r?.groupVersion, gv, name);
    assert.equal(r?.plural, plural, name);
  }
  assert.equal(resolveResource('nope'), undefined);
  assert.equal(findResourceByKind('apps/v1', 'ReplicaSet')?.plural, 'replicasets');
  assert.equal(qualifiedKind(findResource('v1', 'pods')!), 'Pod');
  assert.equal(qualifiedKind(findResource('apps/v1', 'deployments')!), 'Deployment.apps');
  assert.equal(qualifiedResource(findResource('coordination.k8s.io/v1', 'leases')!), 'leases.coordination.k8s.io');
});

test('discovery documents', () => {
  const core = groupDiscovery('');
  assert.equal(core.metadata.name, undefined);
  const pods = core.versions[0]!.resources.find((r) => r.resource === 'pods')!;
  assert.equal(pods.scope, 'Namespaced');
  assert.deepEqual(pods.responseKind, { group: '', version: 'v1', kind: 'Pod' });
  assert.deepEqual(pods.subresources!.find((s) => s.subresource === 'exec')!.responseKind, { group: '', version: 'v1', kind: 'PodExecOptions' });
  assert.deepEqual(apiGroups().map((g) => g.group), ['', 'coordination.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'apps', 'batch', 'autoscaling', 'policy', 'rbac.authorization.k8s.io', 'certificates.k8s.io', 'node.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'settings.k8s.io']);
  const legacy = apiResourceList('v1')!;
  assert.ok(legacy.resources.some((r) => r.name === 'pods/exec' && r.kind === 'PodExecOptions' && r.singularName === ''));
  assert.equal(apiResourceList('nope/v1'), undefined);
  assert.equal(new Set(RESOURCES.map((r) => `${r.groupVersion}/${r.plural}`)).size, RESOURCES.length);
});

test('a ResourceTable serves custom resources beside the built-in ones, and drops them again', () => {
  const table = new ResourceTable();
  assert.equal(table.all(), RESOURCES, 'no custom resources: the static table itself');
  const v1 = { ...findResource('v1', 'configmaps')!, group: 'stable.example.com', version: 'v1', groupVersion: 'stable.example.com/v1', plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'] };
  const v2 = { ...v1, version: 'v2', groupVersion: 'stable.example.com/v2' };
  table.add(v1);
  table.add(v2);
  assert.equal(table.all().length, RESOURCES.length + 2);
  assert.equal(table.find('stable.example.com/v2', 'crontabs'), v2);
  assert.equal(table.findByKind('stable.example.com/v1', 'CronTab'), v1);
  assert.equal(table.find('v1', 'pods')?.kind, 'Pod');
  assert.deepEqual(apiGroups(table.all()).find((g) => g.group === 'stable.example.com')?.versions, ['v1', 'v2']);
  assert.deepEqual(groupDiscovery('stable.example.com', table.all()).versions.map((v) => v.resources[0]!.resource), ['crontabs', 'crontabs']);
  assert.equal(apiResourceList('stable.example.com/v1', table.all())?.resources[0]?.name, 'crontabs');
  assert.ok(table.remove('stable.example.com/v1', 'crontabs'));
  assert.equal(table.find('stable.example.com/v1', 'crontabs'), undefined);
  assert.ok(!table.remove('stable.example.com/v1', 'crontabs'));
  assert.equal(table.custom().length, 1);
});

test('versions sort by Kubernetes version priority', () => {
  const versions = ['v11alpha2', 'foo1', 'v1', 'v10beta3', 'v2', 'v12alpha1', 'foo10', 'v10', 'v3beta1', 'v11beta2'];
  assert.deepEqual(versions.sort(compareKubeVersions), ['v10', 'v2', 'v1', 'v11beta2', 'v10beta3', 'v3beta1', 'v12alpha1', 'v11alpha2', 'foo1', 'foo10']);
});
