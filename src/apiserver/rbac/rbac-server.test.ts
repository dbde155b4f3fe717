/** RBAC through a real API server: authorization, escalation, binding, impersonation and reviews. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing.ts';
import { TokenAuthenticator } from '../auth/tokens.ts';
import { AuthorizerChain } from '../authz/authorizer.ts';
import { poll } from '../../machinery/testing/poll.ts';

const G = 'rbac.authorization.k8s.io';
let ts: TestServer;
const as = (token: string) => ({ authorization: `Bearer ${token}` });

before(async () => {
  const authenticator = new TokenAuthenticator();
  authenticator.add('admin-token-for-tests', { name: 'admin', groups: ['system:masters', 'system:authenticated'] });
  authenticator.add('bob-token', { name: 'bob', groups: ['dev', 'system:authenticated'] });
  ts = await startTestServer({ config: { authenticator, authorizer: (s) => new AuthorizerChain([s.rbac]) } });
});
after(() => ts.stop());

test('the bootstrap policy is there, and the aggregated roles fill', async () => {
  const r = await ts.request('GET', `/apis/${G}/v1/clusterroles/cluster-admin`);
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
  assert.equal(r.body.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
  await poll(async () => (await ts.request('GET', `/apis/${G}/v1/clusterroles/view`)).body.rules?.length > 0, 'view aggregated', { timeoutMs: 10_000 });
  const crb = await ts.request('GET', `/apis/${G}/v1/clusterrolebindings/cluster-admin`);
  assert.deepEqual(crb.body.subjects, [{ kind: 'Group', apiGroup: G, name: 'system:masters' }]);
});

test('a user with no bindings gets discovery and nothing else, with upstream\'s 403', async () => {
  assert.equal((await ts.request('GET', '/api', undefined, as('bob-token'))).status, 200);
  assert.equal((await ts.request('GET', '/apis/apps/v1', undefined, as('bob-token'))).status, 200);
  const r = await ts.request('GET', '/api/v1/namespaces/default/pods', undefined, as('bob-token'));
  assert.equal(r.status, 403);
  assert.equal(r.body.reason, 'Forbidden');
  assert.equal(r.body.message, 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"');
  const n = await ts.request('GET', '/metrics', undefined, as('bob-token'));
  assert.equal(n.status, 403);
  assert.equal(n.body.message, 'forbidden: User "bob" cannot get path "/metrics"');
});

test('bound to view in a namespace: list there, not delete, not elsewhere; escalation and bind are refused', async () => {
  const binding = { apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'bob-view' }, roleRef: { kind: 'ClusterRole', name: 'view', apiGroup: G }, subjects: [{ kind: 'User', name: 'bob' }] };
  const created = await ts.request('POST', `/apis/${G}/v1/namespaces/default/rolebindings`, binding);
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.subjects[0].apiGroup, G, 'a User subject defaults its apiGroup');
  await poll(async () => (await ts.request('GET', '/api/v1/namespaces/default/pods', undefined, as('bob-token'))).status === 200, 'bob may list pods', { timeoutMs: 10_000 });
  assert.equal((await ts.request('GET', '/api/v1/namespaces/kube-system/pods', undefined, as('bob-token'))).status, 403);
  assert.equal((await ts.request('DELETE', '/api/v1/namespaces/default/pods/x', undefined, as('bob-token'))).status, 403);
  // roleRef may not change.
  const changed = await ts.request('PUT', `/apis/${G}/v1/namespaces/default/rolebindings/bob-view`, { ...created.body, roleRef: { kind: 'ClusterRole', name: 'edit', apiGroup: G } });
  assert.equal(changed.status, 422);
  assert.match(changed.body.message, /roleRef: Invalid value: .*: cannot change roleRef/);
  // Bob may manage roles only with admin; give him that in "team" and try to grant more than he holds.
  await ts.request('POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
  const admin = await ts.request('POST', `/apis/${G}/v1/namespaces/team/rolebindings`, { ...binding, metadata: { name: 'bob-admin' }, roleRef: { kind: 'ClusterRole', name: 'admin', apiGroup: G } });
  assert.equal(admin.status, 201, admin.text);
  await poll(async () => (await ts.request('GET', `/apis/${G}/v1/namespaces/team/roles`, undefined, as('bob-token'))).status === 200, 'bob may create roles in team', { timeoutMs: 10_000 });
  const role = { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'nodes' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['delete'], apiGroups: ['apps'], resources: ['controllerrevisions'] }] };
  const esc = await ts.request('POST', `/apis/${G}/v1/namespaces/team/roles`, role, as('bob-token'));
  assert.equal(esc.status, 403, esc.text);
  assert.equal(esc.body.message, 'roles.rbac.authorization.k8s.io "nodes" is forbidden: user "bob" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["apps"], Resources:["controllerrevisions"], Verbs:["delete"]}');
  const ok = await ts.request('POST', `/apis/${G}/v1/namespaces/team/roles`, { ...role, rules: [role.rules[0]] }, as('bob-token'));
  assert.equal(ok.status, 201, ok.text);
  // Binding cluster-admin needs cluster-admin's rules (or bind); bob has neither.
  const bind = await ts.request('POST', `/apis/${G}/v1/namespaces/team/rolebindings`, { ...binding, metadata: { name: 'up' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin', apiGroup: G } }, as('bob-token'));
  assert.equal(bind.status, 403);
  assert.match(bind.body.message, /^rolebindings.rbac.authorization.k8s.io "up" is forbidden: user "bob" .* is attempting to grant RBAC permissions not currently held:/);
  // With `bind` on that role he may.
  await ts.request('POST', `/apis/${G}/v1/clusterroles`, { metadata: { name: 'bind-admin' }, rules: [{ verbs: ['bind'], apiGroups: [G], resources: ['clusterroles'], resourceNames: ['cluster-admin'] }] });
  await ts.request('POST', `/apis/${G}/v1/clusterrolebindings`, { metadata: { name: 'bob-bind' }, roleRef: { kind: 'ClusterRole', name: 'bind-admin', apiGroup: G }, subjects: [{ kind: 'User', name: 'bob' }] });
  await poll(async () => (await ts.request('POST', `/apis/${G}/v1/namespaces/team/rolebindings`, { ...binding, metadata: { name: 'up' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin', apiGroup: G } }, as('bob-token'))).status === 201, 'bob may bind cluster-admin', { timeoutMs: 10_000 });
});

test('impersonation: allowed to system:masters, refused to bob with upstream\'s message', async () => {
  const r = await ts.request('GET', '/api/v1/namespaces/kube-system/pods', undefined, { 'Impersonate-User': 'bob' });
  assert.equal(r.status, 403);
  assert.equal(r.body.message, 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "kube-system"');
  const who = await ts.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' }, { 'Impersonate-User': 'jane', 'Impersonate-Group': 'qa' });
  assert.deepEqual(who.body.status.userInfo, { username: 'jane', groups: ['qa', 'system:authenticated'] });
  const refused = await ts.request('GET', '/api/v1/namespaces/default/pods', undefined, { ...as('bob-token'), 'Impersonate-User': 'admin' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.message, 'users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
});

test('access and rules reviews answer from the authorizer', async () => {
  const sar = (user: string, verb: string, namespace: string) => ts.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups: ['system:authenticated'], resourceAttributes: { verb, resource: 'pods', namespace } },
  });
  assert.equal((await sar('bob', 'list', 'default')).body.status.allowed, true);
  assert.equal((await sar('bob', 'delete', 'default')).body.status.allowed, false);
  const bad = await ts.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { resourceAttributes: { verb: 'get' } } });
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /spec.user: Invalid value: "": at least one of user or group must be specified/);
  const local = await ts.request('POST', '/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews', { spec: { user: 'bob', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'other' } } });
  assert.equal(local.status, 400);
  const self = await ts.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } } }, as('bob-token'));
  assert.equal(self.status, 201);
  assert.equal(self.body.status.allowed, true);
  const rules = await ts.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } }, as('bob-token'));
  assert.equal(rules.status, 201);
  assert.ok(rules.body.status.resourceRules.some((r: { resources?: string[]; verbs: string[] }) => r.resources?.includes('pods') && r.verbs.includes('list')));
  assert.ok(!rules.body.status.resourceRules.some((r: { resources?: string[]; verbs: string[] }) => r.resources?.includes('pods') && r.verbs.includes('delete')));
  assert.ok(rules.body.status.nonResourceRules.some((r: { nonResourceURLs: string[] }) => r.nonResourceURLs.includes('/api')));
  assert.equal(rules.body.status.incomplete, false);
});

test('admin, edit and view are aggregated before start() resolves, admin holding edit\'s and view\'s rules', async () => {
  const other = await startTestServer();
  try {
    const get = async (n: string) => (await other.request('GET', `/apis/${G}/v1/clusterroles/${n}`)).body.rules as { resources?: string[]; verbs: string[] }[];
    const [view, edit, admin] = [await get('view'), await get('edit'), await get('admin')];
    assert.ok(view.length > 0 && edit.length > view.length && admin.length > edit.length, `${view.length} ${edit.length} ${admin.length}`);
    for (const r of view) assert.ok(admin.some((x) => JSON.stringify(x) === JSON.stringify(r)));
    assert.ok(admin.some((r) => r.resources?.includes('rolebindings')));
  } finally {
    await other.stop();
  }
});
