import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type KubeObject, type Pod, type PriorityClass } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { PriorityAdmission } from './priority.ts';
import { ApiError } from '../status.ts';

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): KubeObject =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra }) as KubeObject;

function attrs(operation: AdmissionAttributes['operation'], object: object | undefined, old?: object, plural = 'pods', group = ''): AdmissionAttributes {
  const o = object as KubeObject | undefined;
  return {
    operation, resource: findResource(group ? `${group}/v1` : 'v1', plural)!, subresource: '', namespace: plural === 'pods' ? 'default' : '',
    name: o?.metadata?.name ?? (old as KubeObject | undefined)?.metadata?.name ?? '', object: o, oldObject: old as KubeObject | undefined, dryRun: false, user: 'u',
  };
}
const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });
const forbiddenWith = (message: string) => (err: unknown) => err instanceof ApiError && err.code === 403 && err.message === message;

test('a pod without a class gets priority 0 and PreemptLowerPriority when no global default exists', () => {
  const p = pod();
  new PriorityAdmission(() => [pc('high', 1000)]).admit(attrs('CREATE', p));
  assert.equal(p.spec!.priority, 0);
  assert.equal(p.spec!.preemptionPolicy, 'PreemptLowerPriority');
  assert.equal(p.spec!.priorityClassName, undefined);
});

test('the global default (lowest value among defaults) names the class, value and policy', () => {
  const p = pod();
  new PriorityAdmission(() => [pc('a', 50, { globalDefault: true, preemptionPolicy: 'Never' }), pc('b', 10, { globalDefault: true, preemptionPolicy: 'Never' })]).admit(attrs('CREATE', p));
  assert.deepEqual([p.spec!.priorityClassName, p.spec!.priority, p.spec!.preemptionPolicy], ['b', 10, 'Never']);
});

test('a named class resolves; system classes resolve before they are cached', () => {
  const p = pod({ priorityClassName: 'high' });
  new PriorityAdmission(() => [pc('high', 1000, { preemptionPolicy: 'PreemptLowerPriority' })]).admit(attrs('CREATE', p));
  assert.equal(p.spec!.priority, 1000);
  const s = pod({ priorityClassName: 'system-node-critical' });
  new PriorityAdmission(() => []).admit(attrs('CREATE', s));
  assert.equal(s.spec!.priority, 2000001000);
});

test('unknown classes and conflicting values are refused with upstream messages', () => {
  const plugin = new PriorityAdmission(() => [pc('high', 1000, { preemptionPolicy: 'Never' })]);
  assert.throws(() => plugin.admit(attrs('CREATE', pod({ priorityClassName: 'x' }))), forbiddenWith('pods "p" is forbidden: no PriorityClass with name x was found'));
  assert.throws(() => plugin.admit(attrs('CREATE', pod({ priorityClassName: 'high', priority: 5 }))),
    forbiddenWith('pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name'));
  assert.throws(() => plugin.admit(attrs('CREATE', pod({ priorityClassName: 'high', preemptionPolicy: 'PreemptLowerPriority' }))),
    forbiddenWith('pods "p" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name'));
  const same = pod({ priorityClassName: 'high', priority: 1000 });
  plugin.admit(attrs('CREATE', same));
  assert.equal(same.spec!.priority, 1000);
});

test('an update keeps the stored priority', () => {
  const old = pod({ priority: 7, preemptionPolicy: 'Never' });
  const next = pod();
  new PriorityAdmission(() => []).admit(attrs('UPDATE', next, old));
  assert.deepEqual([next.spec!.priority, next.spec!.preemptionPolicy], [7, 'Never']);
});

test('one global default only; system classes cannot be deleted', () => {
  const plugin = new PriorityAdmission(() => [pc('a', 5, { globalDefault: true })]);
  assert.throws(() => plugin.validate(attrs('CREATE', pc('b', 6, { globalDefault: true }), undefined, 'priorityclasses', 'scheduling.k8s.io')),
    forbiddenWith('priorityclasses.scheduling.k8s.io "b" is forbidden: PriorityClass a is already marked as default. Only one default can exist'));
  plugin.validate(attrs('UPDATE', pc('a', 5, { globalDefault: true }), pc('a', 5, { globalDefault: true }), 'priorityclasses', 'scheduling.k8s.io'));
  assert.throws(() => plugin.validate(attrs('DELETE', undefined, pc('system-node-critical', 2000001000), 'priorityclasses', 'scheduling.k8s.io')),
    forbiddenWith('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted'));
});
