import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type KubeObject } from '../../../api/index.ts';
import { applyDefaults } from '../../../api/defaults.ts';
import { ApiError } from '../../status.ts';
import type { AdmissionAttributes } from '../chain.ts';
import { ValidatingAdmissionPolicyPlugin } from './validating-policy.ts';

const deployments = findResource('apps/v1', 'deployments')!;

function attrs(replicas: number, labels: Record<string, string> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE', resource: deployments, subresource: '', namespace: 'team', name: 'web',
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'team', labels }, spec: { replicas } } as KubeObject,
    oldObject: undefined, dryRun: false, user: 'alice', warnings: [], auditAnnotations: {},
  };
}

function policy(spec: Record<string, unknown>): KubeObject {
  return applyDefaults('validatingadmissionpolicies.admissionregistration.k8s.io', {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'max-replicas' },
    spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] }, ...spec },
  }) as KubeObject;
}

function binding(actions: string[], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'max-replicas-binding' }, spec: { policyName: 'max-replicas', validationActions: actions, ...extra } } as KubeObject;
}

const lookup = { get: async () => undefined };
const plugin = (p: KubeObject, b: KubeObject) => new ValidatingAdmissionPolicyPlugin({ policies: () => [p], bindings: () => [b] }, lookup);

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

test('Deny refuses with upstream\'s message; the default message names the failed expression', async () => {
  const vap = plugin(policy({ validations: [{ expression: 'object.spec.replicas <= 5' }] }), binding(['Deny']));
  await vap.validate(attrs(5));
  const e = await refusal(vap.validate(attrs(6)));
  assert.equal(e.code, 422);
  assert.equal(e.reason, 'Invalid');
  assert.equal(e.message, 'deployments.apps "web" is forbidden: ValidatingAdmissionPolicy \'max-replicas\' with binding \'max-replicas-binding\' denied request: failed expression: object.spec.replicas <= 5');
  assert.deepEqual(e.details?.causes, [{ message: 'ValidatingAdmissionPolicy \'max-replicas\' with binding \'max-replicas-binding\' denied request: failed expression: object.spec.replicas <= 5' }]);
});

test('message, messageExpression, reason and variables', async () => {
  const vap = plugin(policy({
    variables: [{ name: 'limit', expression: '3' }],
    validations: [{ expression: 'object.spec.replicas <= variables.limit', messageExpression: "'replicas must be at most ' + string(variables.limit)", reason: 'Forbidden' }],
  }), binding(['Deny']));
  const e = await refusal(vap.validate(attrs(4)));
  assert.equal(e.code, 403);
  assert.match(e.message, /denied request: replicas must be at most 3$/);
});

test('Warn and Audit do not refuse: they add a warning and an audit annotation', async () => {
  const vap = plugin(policy({ validations: [{ expression: 'object.spec.replicas <= 5', message: 'too many' }] }), binding(['Warn', 'Audit']));
  const a = attrs(9);
  await vap.validate(a);
  assert.deepEqual(a.warnings, ["Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding': too many"]);
  assert.match(a.auditAnnotations!['validation.policy.admission.k8s.io/validation_failure']!, /"message":"too many"/);
});

test('an expression that errors fails the request under Fail and is skipped under Ignore', async () => {
  const broken = { validations: [{ expression: 'object.spec.nope > 1' }] };
  const e = await refusal(plugin(policy(broken), binding(['Deny'])).validate(attrs(1)));
  assert.match(e.message, /denied request: expression 'object.spec.nope > 1' resulted in error: /);
  await plugin(policy({ ...broken, failurePolicy: 'Ignore' }), binding(['Deny'])).validate(attrs(1));
});

test('the binding\'s matchResources and the policy\'s constraints limit what is checked', async () => {
  const p = policy({ validations: [{ expression: 'false' }] });
  await plugin(p, binding(['Deny'], { matchResources: { objectSelector: { matchLabels: { checked: 'yes' } } } })).validate(attrs(1));
  await refusal(plugin(p, binding(['Deny'], { matchResources: { objectSelector: { matchLabels: { checked: 'yes' } } } })).validate(attrs(1, { checked: 'yes' })));
  const pods = { ...attrs(1), resource: findResource('v1', 'pods')! };
  await plugin(p, binding(['Deny'])).validate(pods);
});

test('params: a ConfigMap named by paramRef (in the request\'s namespace) is `params`; none found denies unless Allow', async () => {
  const limits: Record<string, KubeObject> = {
    'team/limits': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'limits', namespace: 'team' }, data: { max: '3' } } as KubeObject,
  };
  const paramLookup = {
    get: async (r: string, ns: string, n: string) => (r === 'configmaps' ? limits[`${ns}/${n}`] : undefined),
    list: async (r: string, ns: string) => (r === 'configmaps' ? Object.values(limits).filter((o) => o.metadata?.namespace === ns) : []),
  };
  const p = policy({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, validations: [{ expression: 'object.spec.replicas <= int(params.data.max)' }] });
  const withRef = (paramRef: Record<string, unknown>) => new ValidatingAdmissionPolicyPlugin({ policies: () => [p], bindings: () => [binding(['Deny'], { paramRef })] }, paramLookup);
  await withRef({ name: 'limits' }).validate(attrs(3));
  const e = await refusal(withRef({ name: 'limits' }).validate(attrs(4)));
  assert.match(e.message, /denied request: failed expression: object.spec.replicas <= int\(params.data.max\)$/);
  await refusal(withRef({ selector: {} }).validate(attrs(4)));
  const missing = await refusal(withRef({ name: 'nope' }).validate(attrs(1)));
  assert.match(missing.message, /denied request: no params found for policy binding with `Deny` parameterNotFoundAction$/);
  await withRef({ name: 'nope', parameterNotFoundAction: 'Allow' }).validate(attrs(1));
});
