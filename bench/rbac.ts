#!/usr/bin/env node
/**
 * RBAC authorizer benchmark: the RbacAuthorizer the API server runs, over in-memory cache views holding the
 * bootstrap policy plus N namespaces, each with a Role and B RoleBindings (users, groups, service accounts),
 * and N/10 extra ClusterRoleBindings. Times:
 *
 *   index      the rebuild after an RBAC change (once per change, not per request)
 *   allow      decisions for bound service accounts in their namespace       → decisions/s
 *   deny       decisions for an unbound user (every binding of its groups is looked at) → decisions/s
 *   rules      rulesFor (SelfSubjectRulesReview, the escalation check)         → calls/s
 *
 * Prints figures only. Usage: node bench/rbac.ts [--namespaces 1000] [--bindings 5] [--requests 200000]
 *
 * Figures on the team's 2-core machine, 2026-12-07, defaults (1008 roles, 5008 role bindings, 135 cluster role
 * bindings), shared with other engineers (single runs, noisy): first index 44-240 ms, re-index 13-25 ms,
 * allow 33-40k/s (25-30 µs), deny 114-278k/s, rulesFor 51-55k/s. The index is rebuilt whole on any RBAC change.
 */
import { parseArgs } from 'node:util';
import { RbacAuthorizer } from '../src/apiserver/rbac/authorizer.ts';
import { CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS } from '../src/apiserver/rbac/bootstrap-policy.ts';
import type { ClusterRole, KubeObject } from '../src/api/index.ts';
import { aggregateRules } from '../src/apiserver/rbac/aggregation.ts';

const { values } = parseArgs({ options: { namespaces: { type: 'string', default: '1000' }, bindings: { type: 'string', default: '5' }, requests: { type: 'string', default: '200000' } } });
const N = Number(values.namespaces);
const B = Number(values.bindings);
const R = Number(values.requests);
const G = 'rbac.authorization.k8s.io';

const roles: object[] = [...ROLES];
const roleBindings: object[] = [...ROLE_BINDINGS];
const clusterRoleBindings: object[] = [...CLUSTER_ROLE_BINDINGS];
for (let i = 0; i < N; i++) {
  const ns = `ns-${i}`;
  roles.push({ metadata: { name: 'app', namespace: ns }, rules: [{ verbs: ['get', 'list', 'watch', 'update'], apiGroups: [''], resources: ['configmaps', 'secrets'] }] });
  for (let j = 0; j < B; j++) {
    roleBindings.push({
      metadata: { name: `b-${j}`, namespace: ns }, roleRef: { apiGroup: G, kind: j % 2 ? 'Role' : 'ClusterRole', name: j % 2 ? 'app' : 'view' },
      subjects: [{ kind: 'ServiceAccount', name: `sa-${j}`, namespace: ns }, { kind: 'User', apiGroup: G, name: `user-${i}-${j}` }, { kind: 'Group', apiGroup: G, name: `team-${i}` }],
    });
  }
  if (i % 10 === 0) clusterRoleBindings.push({ metadata: { name: `crb-${i}` }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', apiGroup: G, name: `team-${i}` }] });
}
// The aggregated roles as the aggregation controller leaves them (view first: edit gathers it, admin gathers edit).
const clusterRoles: ClusterRole[] = structuredClone(CLUSTER_ROLES);
for (const name of ['view', 'edit', 'admin']) {
  const role = clusterRoles.find((r) => r.metadata?.name === name)!;
  role.rules = aggregateRules(role, clusterRoles);
}
let revision = 1;
const view = (items: object[]) => ({ revision: () => revision, items: () => items as KubeObject[] });
const rbac = new RbacAuthorizer({ roles: view(roles), clusterRoles: view(clusterRoles), roleBindings: view(roleBindings), clusterRoleBindings: view(clusterRoleBindings) });
const attrs = (user: { name: string; groups: string[] }, verb: string, resource: string, namespace: string) => ({
  user, verb, resourceRequest: true, namespace, apiGroup: '', apiVersion: 'v1', resource, subresource: '', name: '', path: '',
});

let t = performance.now();
rbac.authorize(attrs({ name: 'x', groups: [] }, 'get', 'pods', 'ns-0'));
console.log(`objects: ${roles.length} roles, ${roleBindings.length} rolebindings, ${CLUSTER_ROLES.length} clusterroles, ${clusterRoleBindings.length} clusterrolebindings`);
console.log(`index     ${(performance.now() - t).toFixed(1)} ms`);

function timed(name: string, fn: (i: number) => unknown): void {
  const start = performance.now();
  for (let i = 0; i < R; i++) fn(i);
  const s = (performance.now() - start) / 1000;
  console.log(`${name.padEnd(9)} ${Math.round(R / s).toLocaleString('en')}/s (${((s / R) * 1e6).toFixed(2)} µs each)`);
}
const sa = (i: number) => ({ name: `system:serviceaccount:ns-${i % N}:sa-${i % B}`, groups: ['system:serviceaccounts', `system:serviceaccounts:ns-${i % N}`, 'system:authenticated'] });
let allowed = 0;
timed('allow', (i) => (rbac.authorize(attrs(sa(i), 'list', (i % B) % 2 ? 'secrets' : 'pods', `ns-${i % N}`)).decision === 'Allow' ? allowed++ : 0));
timed('deny', (i) => rbac.authorize(attrs({ name: 'nobody', groups: ['system:authenticated', `team-${i % N}`] }, 'delete', 'nodes', '')));
timed('rules', (i) => rbac.rulesFor(sa(i), `ns-${i % N}`));
revision++;
t = performance.now();
rbac.authorize(attrs({ name: 'x', groups: [] }, 'get', 'pods', 'ns-0'));
console.log(`reindex   ${(performance.now() - t).toFixed(1)} ms   (allowed ${allowed} of ${R})`);
