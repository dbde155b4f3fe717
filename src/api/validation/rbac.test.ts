import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObject, validateObjectUpdate } from './index.ts';
import { applyDefaults } from '../defaults.ts';

const G = 'rbac.authorization.k8s.io';
const msgs = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);

test('rbac validation: rules, roleRef, subjects as upstream', () => {
  const roleErrs = msgs(validateObject('roles', { metadata: { name: 'r', namespace: 'a' }, rules: [{ verbs: [], apiGroups: [''], resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/x'] }] } as never));
  assert.equal(roleErrs.length, 2);
  assert.equal(roleErrs[0], 'rules[0].verbs: Required value: verbs must contain at least one value');
  assert.match(roleErrs[1]!, /^rules\[1\]\.nonResourceURLs: Invalid value: .*\/x.*: namespaced rules cannot apply to non-resource URLs$/);
  assert.deepEqual(msgs(validateObject('clusterroles', { metadata: { name: 'r' }, rules: [{ verbs: ['get'] }] } as never)), [
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[0].resources: Required value: resource rules must supply at least one resource',
  ]);
  assert.deepEqual(validateObject('clusterroles', { metadata: { name: 'system:x' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] } as never), []);
  const crb = { metadata: { name: 'b' }, roleRef: { apiGroup: G, kind: 'Role', name: 'x' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r' }, { kind: 'User', name: 'u', apiGroup: 'x' }] };
  assert.deepEqual(msgs(validateObject('clusterrolebindings', crb as never)), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    'subjects[2].apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
  ]);
  // Defaults: User and Group subjects and the roleRef get the API group.
  const rb = applyDefaults('rolebindings', { metadata: { name: 'b', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 'sa' }] });
  assert.deepEqual(rb.roleRef, { kind: 'ClusterRole', name: 'view', apiGroup: G });
  assert.deepEqual(rb.subjects.map((s) => (s as { apiGroup?: string }).apiGroup), [G, undefined]);
  assert.deepEqual(validateObject('rolebindings', rb as never), []);
  const changed = { ...structuredClone(rb), metadata: { ...rb.metadata, resourceVersion: '2' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'edit' } };
  assert.deepEqual(msgs(validateObjectUpdate('rolebindings', changed as never, { ...rb, metadata: { ...rb.metadata, resourceVersion: '2' } } as never)), [
    'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
  ]);
});
