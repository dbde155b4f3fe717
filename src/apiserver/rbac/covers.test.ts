import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactRules, compactString, covers } from './covers.ts';
import { escalationMessage } from './escalation.ts';

test('covers: owner rules must grant every verb, group, resource, name and URL of the servant rules', () => {
  const owner = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/scale'] },
    { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
    { verbs: ['get'], nonResourceURLs: ['/apis/*'] },
  ];
  assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]).covered, true);
  assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['deployments/scale'] }]).covered, true);
  assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }]).covered, true);
  assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]).covered, false, 'a named grant does not cover all names');
  assert.equal(covers(owner, [{ verbs: ['get'], nonResourceURLs: ['/apis/apps'] }]).covered, true);
  const r = covers(owner, [{ verbs: ['get', 'delete', 'watch'], apiGroups: [''], resources: ['pods'] }]);
  assert.equal(r.covered, false);
  assert.deepEqual(r.missing, [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }, { verbs: ['watch'], apiGroups: [''], resources: ['pods'] }]);
  assert.deepEqual(compactRules(r.missing).map(compactString), ['{APIGroups:[""], Resources:["pods"], Verbs:["delete" "watch"]}']);
  assert.equal(covers([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['escalate'], apiGroups: ['x'], resources: ['y/z'] }]).covered, true);
});

test('escalationMessage is upstream\'s text, with the missing rules compacted and sorted', () => {
  const resolver = {
    rulesFor: () => ({ rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], errors: [] }),
    roleRefRules: () => [],
  };
  const user = { name: 'bob', groups: ['dev', 'system:authenticated'] };
  assert.equal(escalationMessage(resolver, user, 'ns', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), undefined);
  assert.equal(
    escalationMessage(resolver, user, 'ns', [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }]),
    'user "bob" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
  );
});
