import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes } from '../authz/authorizer.ts';
import { levelFor, parsePolicy, PolicyError, type Policy } from './policy.ts';

const admin = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

function attrs(over: Partial<Attributes> = {}): Attributes {
  return {
    user: admin, verb: 'get', resourceRequest: true, namespace: 'default', apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: '', name: 'p', path: '/api/v1/namespaces/default/pods/p',
    ...over,
  };
}

function policy(rules: string, extra = ''): Policy {
  return parsePolicy(`apiVersion: audit.k8s.io/v1\nkind: Policy\n${extra}rules:\n${rules}`, 'policy.yaml');
}

describe('audit policy: parsing', () => {
  test('reads rules with every field', () => {
    const p = policy(`- level: RequestResponse
  users: [alice]
  userGroups: [devs]
  verbs: [create]
  namespaces: [default]
  resources:
  - group: apps
    resources: [deployments, deployments/scale]
    resourceNames: [web]
  omitStages: [RequestReceived]
  omitManagedFields: true
- level: Metadata
  nonResourceURLs: ["/healthz*"]
`, 'omitStages: [Panic]\n');
    assert.equal(p.rules.length, 2);
    assert.deepEqual(p.rules[0]!.resources, [{ group: 'apps', resources: ['deployments', 'deployments/scale'], resourceNames: ['web'] }]);
    assert.equal(p.rules[0]!.omitManagedFields, true);
    assert.equal(p.rules[1]!.omitManagedFields, undefined);
    assert.deepEqual(p.omitStages, ['Panic']);
  });

  test('refuses what upstream refuses, with its messages', () => {
    const cases: [string, string][] = [
      ['- users: [a]\n', 'rules[0].level: Required value: from file policy.yaml'],
      ['- level: Everything\n', 'rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse": from file policy.yaml'],
      ['- level: None\n  nonResourceURLs: [healthz]\n', `rules[0].nonResourceURLs[0]: Invalid value: "healthz": non-resource URL rules must begin with a '/' character: from file policy.yaml`],
      ['- level: None\n  nonResourceURLs: ["/a*/b"]\n', `rules[0].nonResourceURLs[0]: Invalid value: "/a*/b": non-resource URL wildcards '*' must be the final character of the rule: from file policy.yaml`],
      ['- level: None\n  nonResourceURLs: ["/x"]\n  namespaces: [a]\n', 'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs: from file policy.yaml'],
      ['- level: None\n  resources: [{group: "", resourceNames: [x]}]\n', 'rules[0].resources.resourceNames: Invalid value: []string{"x"}: using resourceNames requires at least one resource: from file policy.yaml'],
      ['- level: None\n  omitStages: [Started]\n', 'rules[0].omitStages[0]: Invalid value: "Started": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic: from file policy.yaml'],
      ['- level: None\n  resources: [{group: "apps/v1"}]\n', 'rules[0].resources.group: Invalid value: "apps/v1": a lowercase RFC 1123 subdomain'],
    ];
    for (const [rules, message] of cases) {
      assert.throws(() => policy(rules), (err: Error) => err instanceof PolicyError && err.message.startsWith(message), `${rules} → ${message}`);
    }
    assert.throws(() => policy('- level: Bad\n- users: [a]\n'), /^PolicyError: \[rules\[0\]\.level: Unsupported value: "Bad".*, rules\[1\]\.level: Required value\]: from file policy\.yaml$/);
    assert.throws(() => parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n', 'p.yaml'), { message: 'loaded illegal policy with 0 rules: from file p.yaml' });
    assert.throws(() => parsePolicy('apiVersion: audit.k8s.io/v2\nkind: Policy\nrules: [{level: None}]\n', 'p.yaml'), /no kind "Policy" is registered for version "audit.k8s.io\/v2"/);
  });
});

describe('audit policy: matching', () => {
  test('the first matching rule wins; no match is None', () => {
    const p = policy('- level: None\n  verbs: [watch]\n- level: Metadata\n  resources: [{group: ""}]\n- level: Request\n');
    assert.equal(levelFor(p, attrs({ verb: 'watch' })).level, 'None');
    assert.equal(levelFor(p, attrs()).level, 'Metadata');
    assert.equal(levelFor(p, attrs({ apiGroup: 'apps', resource: 'deployments' })).level, 'Request');
    const none = policy('- level: Metadata\n  users: [bob]\n');
    assert.equal(levelFor(none, attrs()).level, 'None');
  });

  test('users, userGroups and verbs', () => {
    const p = policy('- level: Metadata\n  users: [system:admin]\n  verbs: [create, delete]\n- level: Request\n  userGroups: [devs]\n');
    assert.equal(levelFor(p, attrs({ verb: 'create' })).level, 'Metadata');
    assert.equal(levelFor(p, attrs({ verb: 'get' })).level, 'None');
    assert.equal(levelFor(p, attrs({ user: { name: 'carol', groups: ['devs'] } })).level, 'Request');
    assert.equal(levelFor(p, attrs({ user: { name: 'carol', groups: ['ops'] } })).level, 'None');
    // A request without a user (failed authentication) never matches a rule about users.
    assert.equal(levelFor(p, attrs({ user: { name: '', groups: [] }, verb: 'create' })).level, 'None');
  });

  test('resources: group, subresources, wildcards and resourceNames', () => {
    const p = policy(`- level: RequestResponse
  resources: [{group: "", resources: [pods/log]}]
- level: Request
  resources: [{group: "", resources: ["*/status"]}]
- level: Metadata
  resources: [{group: "", resources: ["configmaps/*"]}]
- level: Metadata
  resources: [{group: "", resources: [secrets], resourceNames: [keep]}]
- level: Request
  resources: [{group: apps, resources: ["*"]}]
`);
    assert.equal(levelFor(p, attrs({ subresource: 'log' })).level, 'RequestResponse');
    assert.equal(levelFor(p, attrs()).level, 'None', 'pods/log does not match pods');
    assert.equal(levelFor(p, attrs({ subresource: 'status' })).level, 'Request');
    assert.equal(levelFor(p, attrs({ resource: 'nodes', subresource: 'status', namespace: '' })).level, 'Request');
    assert.equal(levelFor(p, attrs({ resource: 'configmaps' })).level, 'Metadata');
    assert.equal(levelFor(p, attrs({ resource: 'configmaps', subresource: 'x' })).level, 'Metadata');
    assert.equal(levelFor(p, attrs({ resource: 'secrets', name: 'keep' })).level, 'Metadata');
    assert.equal(levelFor(p, attrs({ resource: 'secrets', name: 'other' })).level, 'None');
    assert.equal(levelFor(p, attrs({ apiGroup: 'apps', resource: 'deployments' })).level, 'Request');
    assert.equal(levelFor(p, attrs({ apiGroup: 'batch', resource: 'jobs' })).level, 'None');
  });

  test('namespaces ("" is cluster scope) and non-resource URLs', () => {
    const p = policy(`- level: Metadata
  namespaces: [kube-system, ""]
- level: Request
  nonResourceURLs: ["/healthz*", "/version"]
`);
    assert.equal(levelFor(p, attrs({ namespace: 'kube-system' })).level, 'Metadata');
    assert.equal(levelFor(p, attrs({ namespace: '', resource: 'nodes' })).level, 'Metadata');
    assert.equal(levelFor(p, attrs()).level, 'None');
    const nonResource = (path: string) => attrs({ resourceRequest: false, path, namespace: '', resource: '', name: '' });
    assert.equal(levelFor(p, nonResource('/healthz/etcd')).level, 'Request');
    assert.equal(levelFor(p, nonResource('/version')).level, 'Request');
    assert.equal(levelFor(p, nonResource('/versions')).level, 'None');
    assert.equal(levelFor(p, nonResource('/api')).level, 'None');
    // A namespaces rule never matches a non-resource request.
    const ns = policy('- level: Metadata\n  namespaces: [""]\n');
    assert.equal(levelFor(ns, nonResource('/api')).level, 'None');
  });

  test('omitStages joins the policy and the rule; omitManagedFields: the rule over the policy', () => {
    const p = policy('- level: Metadata\n  verbs: [get]\n  omitStages: [ResponseStarted]\n  omitManagedFields: false\n- level: Metadata\n', 'omitStages: [RequestReceived]\nomitManagedFields: true\n');
    const get = levelFor(p, attrs());
    assert.deepEqual([...get.omitStages].sort(), ['RequestReceived', 'ResponseStarted']);
    assert.equal(get.omitManagedFields, false);
    const list = levelFor(p, attrs({ verb: 'list' }));
    assert.deepEqual([...list.omitStages], ['RequestReceived']);
    assert.equal(list.omitManagedFields, true);
  });
});
