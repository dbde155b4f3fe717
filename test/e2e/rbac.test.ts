/**
 * RBAC end to end with the real kubectl and several identities: the admin (system:masters, bound to
 * cluster-admin by the bootstrap policy), a service account whose token kubectl mints (`kubectl create token`,
 * used with `kubectl --token`), and users the admin impersonates (`--as`). What `kubectl auth can-i` says
 * must be what the server then does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const SA = 'system:serviceaccount:default:ci';

describe('RBAC with kubectl', () => {
  let s: ServerHandle;
  let token = '';
  const asCi = (args: string[], input?: string) => s.kubectl(['--token', token, ...args], input === undefined ? {} : { input });

  before(async () => {
    s = await startServer({ storage: 'memory', noAgent: true });
    assert.equal((await s.kubectl(['create', 'serviceaccount', 'ci'])).code, 0);
    const t = await s.kubectl(['create', 'token', 'ci']);
    assert.equal(t.code, 0, t.stderr);
    token = t.stdout.trim();
  });
  after(async () => {
    await s?.stop();
  });

  test('the bootstrap bindings print as upstream (ROLE, AGE; wide USERS GROUPS SERVICEACCOUNTS)', async () => {
    const r = await s.kubectl(['get', 'clusterrolebinding', 'cluster-admin', 'system:kube-dns']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+ROLE\s+AGE$/m);
    assert.match(r.stdout, /^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+$/m);
    const wide = await s.kubectl(['get', 'clusterrolebinding', 'cluster-admin', 'system:kube-dns', '-o', 'wide']);
    assert.match(wide.stdout, /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$/m);
    assert.match(wide.stdout, /^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters\s*$/m);
    assert.match(wide.stdout, /^system:kube-dns\s+ClusterRole\/system:kube-dns\s+\S+\s+kube-system\/kube-dns$/m);
    const roles = await s.kubectl(['get', 'clusterroles', 'view', 'edit', 'admin']);
    assert.match(roles.stdout, /^NAME\s+CREATED AT$/m);
  });

  test('a fresh service account can do nothing beyond discovery', async () => {
    const who = await asCi(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(who.stdout, SA, who.stderr);
    const r = await asCi(['get', 'pods']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`^Error from server \\(Forbidden\\): pods is forbidden: User "${SA}" cannot list resource "pods" in API group "" in the namespace "default"$`, 'm'));
    const can = await asCi(['auth', 'can-i', 'list', 'pods']);
    assert.equal(can.stdout.trim(), 'no');
    assert.equal((await asCi(['api-versions'])).code, 0, 'discovery is allowed');
    const list = await asCi(['auth', 'can-i', '--list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.doesNotMatch(list.stdout, /^pods\s/m);
    assert.doesNotMatch(list.stdout, /^\*\.\*/m);
  });

  test('bound to view it may list but not delete, and can-i --list matches what the server allows', async () => {
    const b = await s.kubectl(['create', 'rolebinding', 'ci-view', '--clusterrole=view', `--serviceaccount=default:ci`]);
    assert.equal(b.code, 0, b.stderr);
    await until(async () => (await asCi(['get', 'pods'])).code === 0, 'the view binding to take effect');
    assert.equal((await asCi(['get', 'deployments.apps,configmaps'])).code, 0);
    const del = await asCi(['delete', 'configmap', 'kube-root-ca.crt']);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, new RegExp(`configmaps "kube-root-ca.crt" is forbidden: User "${SA}" cannot delete resource "configmaps" in API group "" in the namespace "default"`));
    assert.notEqual((await asCi(['get', 'pods', '-n', 'kube-system'])).code, 0, 'a RoleBinding grants in its namespace only');
    const list = await asCi(['auth', 'can-i', '--list']);
    assert.equal(list.code, 0, list.stderr);
    const pods = /^pods\s+\[\]\s+\[\]\s+\[(.*)\]$/m.exec(list.stdout);
    assert.ok(pods, list.stdout);
    assert.deepEqual(pods[1]!.split(' ').sort(), ['get', 'list', 'watch']);
    // Each verb listed is allowed by the server, one not listed is refused.
    for (const verb of pods[1]!.split(' ')) assert.equal((await asCi(['auth', 'can-i', verb, 'pods'])).stdout.trim(), 'yes');
    assert.equal((await asCi(['auth', 'can-i', 'delete', 'pods'])).stdout.trim(), 'no');
    assert.equal((await s.kubectl(['auth', 'can-i', 'list', 'pods', '--as', SA, '-n', 'kube-system'])).stdout.trim(), 'no');
    assert.equal((await s.kubectl(['auth', 'can-i', 'list', 'pods', '--as', SA])).stdout.trim(), 'yes');
  });

  test('impersonation with --as works for the admin and is refused for the service account', async () => {
    const as = await s.kubectl(['get', 'pods', '--as', SA]);
    assert.equal(as.code, 0, as.stderr);
    const bob = await s.kubectl(['get', 'pods', '--as', 'bob']);
    assert.match(bob.stderr, /pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"/);
    const who = await s.kubectl(['auth', 'whoami', '--as', 'bob', '--as-group', 'qa', '-o', 'jsonpath={.status.userInfo.groups}']);
    assert.equal(who.stdout, '["qa","system:authenticated"]', who.stderr);
    const refused = await asCi(['get', 'pods', '--as', 'system:admin']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`^Error from server \\(Forbidden\\): users "system:admin" is forbidden: User "${SA}" cannot impersonate resource "users" in API group "" at the cluster scope$`, 'm'));
  });

  test('escalation is refused: a namespace admin cannot grant what it does not hold', async () => {
    assert.equal((await s.kubectl(['create', 'namespace', 'team'])).code, 0);
    assert.equal((await s.kubectl(['create', 'rolebinding', 'ci-admin', '-n', 'team', '--clusterrole=admin', '--serviceaccount=default:ci'])).code, 0);
    await until(async () => (await asCi(['get', 'roles', '-n', 'team'])).code === 0, 'the admin binding to take effect');
    const ok = await asCi(['create', 'role', 'reader', '-n', 'team', '--verb=get', '--resource=pods']);
    assert.equal(ok.code, 0, ok.stderr);
    const esc = await asCi(['create', 'role', 'noder', '-n', 'team', '--verb=delete', '--resource=nodes']);
    assert.notEqual(esc.code, 0);
    assert.match(esc.stderr, new RegExp(`roles.rbac.authorization.k8s.io "noder" is forbidden: user "${SA}" \\(groups=\\["system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"\\]\\) is attempting to grant RBAC permissions not currently held:\\n\\{APIGroups:\\[""\\], Resources:\\["nodes"\\], Verbs:\\["delete"\\]\\}`));
    const bind = await asCi(['create', 'rolebinding', 'up', '-n', 'team', '--clusterrole=cluster-admin', '--serviceaccount=default:ci']);
    assert.notEqual(bind.code, 0);
    assert.match(bind.stderr, /rolebindings.rbac.authorization.k8s.io "up" is forbidden: user .* is attempting to grant RBAC permissions not currently held/);
    const change = await s.kubectl(['patch', 'rolebinding', 'ci-admin', '-n', 'team', '--type=merge', '-p', '{"roleRef":{"name":"edit"}}']);
    assert.notEqual(change.code, 0);
    assert.match(change.stderr, /cannot change roleRef/);
  });

  test('kubectl auth reconcile creates and then leaves alone, and the grant takes effect', async () => {
    const manifest = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-cleaner, namespace: default}
rules:
- {apiGroups: [""], resources: [pods], verbs: [delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-cleaner, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-cleaner}
subjects:
- {kind: ServiceAccount, name: ci, namespace: default}
`;
    const r = await s.kubectl(['auth', 'reconcile', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /role.rbac.authorization.k8s.io\/pod-cleaner reconciled/);
    assert.match(r.stdout, /rolebinding.rbac.authorization.k8s.io\/ci-cleaner reconciled/);
    const again = await s.kubectl(['auth', 'reconcile', '-f', '-'], { input: manifest });
    assert.equal(again.code, 0, again.stderr);
    await until(async () => (await asCi(['auth', 'can-i', 'delete', 'pods'])).stdout.trim() === 'yes', 'the reconciled binding to take effect');
    const list = await asCi(['auth', 'can-i', '--list']);
    assert.match(list.stdout, /^pods\s+\[\]\s+\[\]\s+\[.*delete.*\]$/m);
  });
});
