import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleAllows } from './rules.ts';
import { RbacAuthorizer, type RbacSources } from './authorizer.ts';
import type { KubeObject } from '../../api/index.ts';

const res = (verb: string, resource: string, extra: Partial<{ apiGroup: string; subresource: string; name: string }> = {}) => ({
  resourceRequest: true, verb, apiGroup: extra.apiGroup ?? '', resource, subresource: extra.subresource ?? '', name: extra.name ?? '', path: '',
});
const url = (verb: string, path: string) => ({ resourceRequest: false, verb, apiGroup: '', resource: '', subresource: '', name: '', path });

test('ruleAllows matches verbs, groups, resources, subresources and names as upstream', () => {
  const pods = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
  assert.equal(ruleAllows(res('get', 'pods'), pods), true);
  assert.equal(ruleAllows(res('delete', 'pods'), pods), false);
  assert.equal(ruleAllows(res('get', 'pods', { apiGroup: 'apps' }), pods), false);
  // A subresource is its own resource: pods does not cover pods/log, pods/log does.
  assert.equal(ruleAllows(res('get', 'pods', { subresource: 'log' }), pods), false);
  assert.equal(ruleAllows(res('get', 'pods', { subresource: 'log' }), { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }), true);
  // */scale: the scale subresource of any resource, and nothing else.
  const scale = { verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] };
  assert.equal(ruleAllows(res('get', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), scale), true);
  assert.equal(ruleAllows(res('get', 'deployments', { apiGroup: 'apps', subresource: 'status' }), scale), false);
  assert.equal(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), scale), false);
  // resourceNames restrict to those names (a list has no name, so it does not match).
  const named = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] };
  assert.equal(ruleAllows(res('get', 'configmaps', { name: 'cluster-info' }), named), true);
  assert.equal(ruleAllows(res('get', 'configmaps', { name: 'other' }), named), false);
  assert.equal(ruleAllows(res('list', 'configmaps'), named), false);
  // Stars.
  assert.equal(ruleAllows(res('deletecollection', 'anything', { apiGroup: 'x.io' }), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), true);
  // Non-resource URLs: exact, or a prefix with a trailing *; resource rules never match paths.
  const discovery = { verbs: ['get'], nonResourceURLs: ['/api', '/apis/*', '/version'] };
  assert.equal(ruleAllows(url('get', '/apis/apps/v1'), discovery), true);
  assert.equal(ruleAllows(url('get', '/apis'), discovery), false);
  assert.equal(ruleAllows(url('get', '/api'), discovery), true);
  assert.equal(ruleAllows(url('get', '/api/v1'), discovery), false);
  assert.equal(ruleAllows(url('post', '/version'), discovery), false);
  assert.equal(ruleAllows(url('get', '/api'), pods), false);
});

function sources(objs: Partial<Record<keyof RbacSources, object[]>>): RbacSources & { bump(k: keyof RbacSources, items: object[]): void } {
  const state: Record<string, { items: KubeObject[]; revision: number }> = {};
  for (const k of ['roles', 'clusterRoles', 'roleBindings', 'clusterRoleBindings'] as const) state[k] = { items: (objs[k] ?? []) as KubeObject[], revision: 1 };
  const view = (k: string) => ({ revision: () => state[k]!.revision, items: () => state[k]!.items });
  return {
    roles: view('roles'), clusterRoles: view('clusterRoles'), roleBindings: view('roleBindings'), clusterRoleBindings: view('clusterRoleBindings'),
    bump(k, items) {
      state[k] = { items: items as KubeObject[], revision: state[k]!.revision + 1 };
    },
  };
}

const G = 'rbac.authorization.k8s.io';
const attrs = (user: { name: string; groups: string[] }, verb: string, resource: string, namespace = '') => ({
  user, verb, resourceRequest: true, namespace, apiGroup: '', apiVersion: 'v1', resource, subresource: '', name: '', path: '',
});

test('RbacAuthorizer: cluster bindings anywhere, role bindings in their namespace, subjects by user, group and service account', () => {
  const src = sources({
    clusterRoles: [{ metadata: { name: 'reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] }],
    roles: [{ metadata: { name: 'deleter', namespace: 'a' }, rules: [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }] }],
    clusterRoleBindings: [{ metadata: { name: 'readers' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'Group', apiGroup: G, name: 'readers' }] }],
    roleBindings: [
      { metadata: { name: 'd', namespace: 'a' }, roleRef: { apiGroup: G, kind: 'Role', name: 'deleter' }, subjects: [{ kind: 'User', apiGroup: G, name: 'alice' }, { kind: 'ServiceAccount', name: 'bot' }] },
      { metadata: { name: 'r', namespace: 'b' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'User', apiGroup: G, name: 'alice' }] },
      { metadata: { name: 'gone', namespace: 'c' }, roleRef: { apiGroup: G, kind: 'Role', name: 'missing' }, subjects: [{ kind: 'User', apiGroup: G, name: 'alice' }] },
    ],
  });
  const rbac = new RbacAuthorizer(src);
  const alice = { name: 'alice', groups: ['system:authenticated'] };
  const bob = { name: 'bob', groups: ['readers'] };
  const bot = { name: 'system:serviceaccount:a:bot', groups: ['system:serviceaccounts'] };
  assert.deepEqual(rbac.authorize(attrs(bob, 'list', 'pods')), { decision: 'Allow', reason: 'RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "reader" to Group "readers"' });
  assert.equal(rbac.authorize(attrs(bot, 'delete', 'pods', 'a')).reason, 'RBAC: allowed by RoleBinding "a/d" of Role "deleter" to ServiceAccount "bot/a"');
  assert.equal(rbac.authorize(attrs(bob, 'list', 'pods', 'x')).decision, 'Allow');
  assert.equal(rbac.authorize(attrs(bob, 'delete', 'pods', 'a')).decision, 'NoOpinion');
  assert.equal(rbac.authorize(attrs(alice, 'delete', 'pods', 'a')).decision, 'Allow');
  assert.equal(rbac.authorize(attrs(alice, 'delete', 'pods', 'b')).decision, 'NoOpinion');
  assert.equal(rbac.authorize(attrs(alice, 'get', 'pods', 'b')).decision, 'Allow', 'a RoleBinding to a ClusterRole grants in its namespace');
  assert.equal(rbac.authorize(attrs(alice, 'get', 'pods')).decision, 'NoOpinion', 'but not cluster-wide');
  assert.equal(rbac.authorize(attrs(bot, 'delete', 'pods', 'a')).decision, 'Allow', 'a service account subject without namespace is the binding\'s');
  assert.deepEqual(rbac.authorize(attrs(alice, 'get', 'pods', 'c')), { decision: 'NoOpinion', reason: 'RBAC: role.rbac.authorization.k8s.io "missing" not found' });
  // The index follows the caches: a binding removed is gone at once.
  src.bump('clusterRoleBindings', []);
  assert.equal(rbac.authorize(attrs(bob, 'list', 'pods')).decision, 'NoOpinion');
  assert.deepEqual(rbac.rulesFor(alice, 'a').rules, [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
});
