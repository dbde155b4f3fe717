/**
 * The server's components reach the API as upstream's identities, never the admin's: checked where the API
 * server sees them, with a recording authorizer in front of a test API server while the real scheduler and
 * controller-manager components run with the clients `kubeling server` gives them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../apiserver/testing.ts';
import { TokenAuthenticator, type Attributes, type Authorizer } from '../apiserver/index.ts';
import { createLogger } from '../machinery/index.ts';
import { poll } from '../machinery/testing/poll.ts';
import { componentClients, ComponentCredentials, componentUser, CONTROLLER_SERVICE_ACCOUNTS, controllerUser as controllerUserOf, KUBE_PROXY_USER, POD_NETWORK_USER, DNS_USER } from './component-identities.ts';
import { COMPONENTS } from './server.ts';
import { parseServerFlags } from './flags.ts';
import type { ComponentContext } from './components/component.ts';
import { schedulerComponent } from './components/scheduler.ts';
import { controllersComponent } from './components/controllers.ts';
import { withLeaderElection } from './components/leader-elected.ts';

test('every server component has an identity of its own, none of them an admin', () => {
  for (const c of [...COMPONENTS, ...withLeaderElection(COMPONENTS)]) {
    const user = componentUser(c.name, 'n1');
    assert.ok(user, c.name);
    assert.ok(!user.groups.includes('system:masters'), c.name);
    assert.notEqual(user.name, 'system:admin', c.name);
  }
  assert.deepEqual(componentUser('scheduler', 'n1'), { name: 'system:kube-scheduler', groups: ['system:authenticated'] });
  assert.deepEqual(componentUser('node', 'n1'), { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
  assert.equal(componentUser('node-ipam', 'n1')?.name, 'system:serviceaccount:kube-system:node-controller');
  assert.equal(DNS_USER.name, 'system:serviceaccount:kube-system:coredns');
  assert.deepEqual(DNS_USER.groups, ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']);
});

test('the scheduler binds as system:kube-scheduler and each controller writes as its kube-system service account', async () => {
  const seen: Attributes[] = [];
  const recorder: Authorizer = { authorize: (a) => (seen.push(a), { decision: 'Allow', reason: '' }) };
  const authenticator = new TokenAuthenticator();
  authenticator.add('admin-token-for-tests', { name: 'admin', groups: ['system:masters'] });
  const s = await startTestServer({ config: { authenticator, authorizer: recorder } });
  const stop = new AbortController();
  const credentials = new ComponentCredentials({ authenticator, server: s.url, caPem: s.caPem });
  const context = (name: string): ComponentContext => ({
    ...componentClients(credentials, name, 'n1'),
    kubeconfigPath: '', server: s.url, caPem: s.caPem, nodeToken: 'x', kubeletToken: s.kubeletToken, dataDir: s.dataDir, options: parseServerFlags([]),
    logger: createLogger(name), signal: stop.signal,
  });
  const loops = [schedulerComponent.run(context('scheduler')), controllersComponent.run(context('controller-manager'))];
  try {
    const node = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } };
    assert.equal((await s.request('POST', '/api/v1/nodes', node)).status, 201);
    const rs = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
    };
    assert.equal((await s.request('POST', '/apis/apps/v1/namespaces/default/replicasets', rs)).status, 201);
    const by = (verb: string, resource: string, sub = '') => seen.filter((a) => a.verb === verb && a.resource === resource && a.subresource === sub).map((a) => a.user.name);
    await poll(() => by('create', 'pods', 'binding').length > 0, 'the scheduler to bind the pod', { timeoutMs: 60_000 });
    assert.deepEqual(new Set(by('create', 'pods', 'binding')), new Set(['system:kube-scheduler']));
    assert.deepEqual(new Set(by('create', 'pods')), new Set(['system:serviceaccount:kube-system:replicaset-controller']));
    // Every request from the components came as one of the expected identities; none as the admin.
    const users = new Set(seen.map((a) => a.user.name));
    users.delete('admin');
    for (const u of users) assert.match(u, /^(system:kube-scheduler|system:kube-controller-manager|system:serviceaccount:kube-system:[a-z-]+)$/, u);
    // The controllers' shared informers list and watch as the controller manager itself, as upstream's
    // SharedInformerFactory does with kube-controller-manager's own credential.
    assert.ok(by('watch', 'pods').includes('system:kube-controller-manager'), 'the shared informers watch as the controller manager');
    // ...and only reads: every write is the controller's own account's.
    const managerVerbs = new Set(seen.filter((a) => a.user.name === 'system:kube-controller-manager').map((a) => a.verb));
    assert.deepEqual([...managerVerbs].filter((v) => !['get', 'list', 'watch'].includes(v)), []);
    // The node's other managers: the server sees the users their clients carry.
    for (const u of [KUBE_PROXY_USER, POD_NETWORK_USER, DNS_USER]) {
      const c = credentials.clientAs(u, 'test');
      const review = await c.request<{ status: { userInfo: { username: string } } }>({
        method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      assert.equal(review.status.userInfo.username, u.name);
      c.close();
    }
  } finally {
    stop.abort();
    await Promise.allSettled(loops);
    await s.stop();
  }
});

test('every kubeling-only identity has a binding in kubeling-policy.ts, and every binding names a role that exists or is upstream\'s', async () => {
  const { KUBELING_CLUSTER_ROLES, KUBELING_CLUSTER_ROLE_BINDINGS } = await import('../apiserver/rbac/kubeling-policy.ts');
  const bound = (user: string) => KUBELING_CLUSTER_ROLE_BINDINGS.some((b) => b.subjects.some((s) => s.kind === 'ServiceAccount' && `system:serviceaccount:${s.namespace}:${s.name}` === user));
  for (const u of [DNS_USER, POD_NETWORK_USER, componentUser('join', 'n1')!, controllerUserOf('service-lb')]) assert.ok(bound(u.name), u.name);
  const { CLUSTER_ROLES } = await import('../apiserver/rbac/bootstrap-policy.ts');
  const roles = new Set(KUBELING_CLUSTER_ROLES.map((r) => r.metadata.name));
  assert.equal(roles.size, KUBELING_CLUSTER_ROLES.length, 'role names are unique');
  const upstream = new Set(CLUSTER_ROLES.map((r) => r.metadata?.name));
  for (const b of KUBELING_CLUSTER_ROLE_BINDINGS) assert.ok(roles.has(b.roleRef.name) || upstream.has(b.roleRef.name), b.metadata.name);
  // Every controller's service account reads through kubeling:controller:informers, as upstream's shared informers do.
  const { CONTROLLER_ACCOUNTS } = await import('../apiserver/rbac/kubeling-policy.ts');
  assert.deepEqual(new Set(CONTROLLER_ACCOUNTS), new Set(Object.values(CONTROLLER_SERVICE_ACCOUNTS)));
  // Every controller's service account has upstream's role for it.
  for (const sa of new Set(Object.values(CONTROLLER_SERVICE_ACCOUNTS))) {
    if (sa === 'service-lb-controller') continue;
    assert.ok(upstream.has(`system:controller:${sa}`), sa);
  }
});
