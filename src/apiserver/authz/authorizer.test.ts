import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizerChain, forbiddenMessage, type Attributes, type Authorizer } from './authorizer.ts';

const base: Attributes = {
  user: { name: 'jane', groups: ['system:authenticated'] }, verb: 'list', resourceRequest: true, namespace: 'default',
  apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: '', name: '', path: '/api/v1/namespaces/default/pods',
};

test('forbiddenMessage words resource, subresource, scope and paths as upstream', () => {
  assert.equal(forbiddenMessage(base, ''), 'User "jane" cannot list resource "pods" in API group "" in the namespace "default"');
  assert.equal(forbiddenMessage({ ...base, verb: 'get', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: '' }, 'no RBAC policy matched'),
    'User "jane" cannot get resource "deployments/scale" in API group "apps" at the cluster scope: no RBAC policy matched');
  assert.equal(forbiddenMessage({ ...base, resourceRequest: false, verb: 'get', path: '/metrics' }, ''), 'User "jane" cannot get path "/metrics"');
});

test('the first authorizer with an opinion decides; no opinion from all is not an allow', async () => {
  const none: Authorizer = { authorize: () => ({ decision: 'NoOpinion', reason: 'not mine' }) };
  const deny: Authorizer = { authorize: () => ({ decision: 'Deny', reason: 'nope' }) };
  const allow: Authorizer = { authorize: () => ({ decision: 'Allow', reason: '' }) };
  assert.equal((await new AuthorizerChain([none, allow, deny]).authorize(base)).decision, 'Allow');
  assert.equal((await new AuthorizerChain([none, deny, allow]).authorize(base)).decision, 'Deny');
  assert.deepEqual(await new AuthorizerChain([none, none]).authorize(base), { decision: 'NoOpinion', reason: 'not mine, not mine' });
});
