import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type ResourceInfo } from '../../../api/index.ts';
import type { AdmissionAttributes, Operation } from '../chain.ts';
import { ruleMatches as matches } from './matching.ts';

const ruleMatches = (rule: object, a: AdmissionAttributes) => matches(rule as Parameters<typeof matches>[0], a);

function attrs(resource: ResourceInfo, operation: Operation, subresource = '', namespace = 'ns'): AdmissionAttributes {
  return { operation, resource, subresource, namespace, name: 'x', object: undefined, oldObject: undefined, dryRun: false, user: 'u' };
}

const pods = findResource('v1', 'pods')!;
const deployments = findResource('apps/v1', 'deployments')!;
const namespaces = findResource('v1', 'namespaces')!;
const nodes = findResource('v1', 'nodes')!;

test('rules match operations, groups, versions and resources with their subresources as upstream', () => {
  const rule = (resources: string[], extra: object = {}) => ({ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources, ...extra });
  assert.equal(ruleMatches(rule(['pods']), attrs(pods, 'CREATE')), true);
  assert.equal(ruleMatches(rule(['pods']), attrs(pods, 'DELETE')), false);
  assert.equal(ruleMatches(rule(['pods']), attrs(pods, 'UPDATE', 'status')), false);
  assert.equal(ruleMatches(rule(['pods/status']), attrs(pods, 'UPDATE', 'status')), true);
  assert.equal(ruleMatches(rule(['pods/status']), attrs(pods, 'UPDATE')), false);
  assert.equal(ruleMatches(rule(['pods/*']), attrs(pods, 'UPDATE', 'status')), true);
  assert.equal(ruleMatches(rule(['pods/*']), attrs(pods, 'UPDATE')), true);
  assert.equal(ruleMatches(rule(['*']), attrs(pods, 'UPDATE', 'status')), false);
  assert.equal(ruleMatches(rule(['*/*']), attrs(pods, 'UPDATE', 'status')), true);
  assert.equal(ruleMatches(rule(['*/status']), attrs(pods, 'UPDATE', 'status')), true);
  assert.equal(ruleMatches(rule(['deployments']), attrs(deployments, 'CREATE')), false, 'group apps is not ""');
  assert.equal(ruleMatches({ operations: ['*'], apiGroups: ['apps'], apiVersions: ['*'], resources: ['deployments'] }, attrs(deployments, 'DELETE')), true);
  assert.equal(ruleMatches({ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1beta1'], resources: ['deployments'] }, attrs(deployments, 'CREATE')), false);
});

test('scope: Namespaced matches namespaced objects only, Cluster cluster-scoped ones and namespaces', () => {
  const rule = (scope: string) => ({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope });
  assert.equal(ruleMatches(rule('Namespaced'), attrs(pods, 'CREATE')), true);
  assert.equal(ruleMatches(rule('Namespaced'), attrs(nodes, 'CREATE', '', '')), false);
  assert.equal(ruleMatches(rule('Namespaced'), attrs(namespaces, 'CREATE', '', 'team')), false);
  assert.equal(ruleMatches(rule('Cluster'), attrs(namespaces, 'CREATE', '', 'team')), true);
  assert.equal(ruleMatches(rule('Cluster'), attrs(nodes, 'CREATE', '', '')), true);
  assert.equal(ruleMatches(rule('Cluster'), attrs(pods, 'CREATE')), false);
  assert.equal(ruleMatches(rule('*'), attrs(pods, 'CREATE')), true);
});
