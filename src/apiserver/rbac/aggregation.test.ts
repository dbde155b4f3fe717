import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateRules } from './aggregation.ts';
import { reconcileObject } from './reconcile.ts';
import { CLUSTER_ROLES } from './bootstrap-policy.ts';
import type { ClusterRole } from '../../api/index.ts';

const byName = (n: string) => CLUSTER_ROLES.find((r) => r.metadata?.name === n)!;

test('aggregation: view, edit and admin gather the rules of the roles labelled for them, in name order, once each', () => {
  const extra: ClusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'a-crd-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [{ verbs: ['get'], apiGroups: ['x.io'], resources: ['widgets'] }] };
  const all = [...CLUSTER_ROLES, extra];
  const view = aggregateRules(byName('view'), all)!;
  assert.deepEqual(view[0], extra.rules![0], 'a-crd-viewer sorts before system:aggregate-to-view');
  // Then system:aggregate-to-view, then system:aggregated-metrics-reader (the metrics API's, as metrics-server ships it).
  assert.deepEqual(view.slice(1), [...byName('system:aggregate-to-view').rules!, ...byName('system:aggregated-metrics-reader').rules!]);
  // edit aggregates view's (aggregated) rules through its label, once the view role carries them.
  const withView = all.map((r) => (r.metadata?.name === 'view' ? { ...r, rules: view } : r));
  const edit = aggregateRules(byName('edit'), withView)!;
  for (const r of byName('system:aggregate-to-edit').rules!) assert.ok(edit.some((x) => JSON.stringify(x) === JSON.stringify(r)));
  for (const r of view) assert.ok(edit.some((x) => JSON.stringify(x) === JSON.stringify(r)));
  assert.equal(aggregateRules(byName('cluster-admin'), all), undefined);
});

test('reconcile: creates what is missing, adds missing rules and subjects, keeps additions, honours autoupdate=false', () => {
  const expected = byName('system:node-proxier');
  assert.equal(reconcileObject(undefined, expected as never).action, 'create');
  assert.equal(reconcileObject(structuredClone(expected) as never, expected as never).action, 'none');
  const edited = structuredClone(expected);
  edited.rules = [edited.rules![0]!, { verbs: ['get'], apiGroups: ['mine.io'], resources: ['things'] }];
  edited.metadata!.labels = { mine: 'yes' };
  const r = reconcileObject(edited as never, expected as never);
  assert.equal(r.action, 'update');
  const out = (r as { object: ClusterRole }).object;
  assert.ok(out.rules!.some((x) => x.apiGroups?.[0] === 'mine.io'), 'the user\'s rule stays');
  for (const want of expected.rules!) assert.ok(out.rules!.some((x) => JSON.stringify(x) === JSON.stringify(want)));
  assert.equal(out.metadata!.labels!.mine, 'yes');
  assert.equal(out.metadata!.labels!['kubernetes.io/bootstrapping'], 'rbac-defaults');
  const frozen = structuredClone(edited);
  frozen.metadata!.annotations = { 'rbac.authorization.kubernetes.io/autoupdate': 'false' };
  assert.equal(reconcileObject(frozen as never, expected as never).action, 'none');
  // Bindings: subjects are added, never removed; another roleRef means delete and create.
  const binding = { kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'x' }, subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'g' }] };
  const existing = { ...structuredClone(binding), subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'u' }] };
  const rb = reconcileObject(existing as never, binding as never) as { action: string; object: typeof binding };
  assert.equal(rb.action, 'update');
  assert.deepEqual(rb.object.subjects.map((s) => s.name), ['u', 'g']);
  assert.equal(reconcileObject({ ...existing, roleRef: { ...binding.roleRef, name: 'y' } } as never, binding as never).action, 'recreate');
});
