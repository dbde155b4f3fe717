import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type KubeObject, type Pod, type RuntimeClass } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { RuntimeClassAdmission, mergeTolerations } from './runtime-class.ts';
import { ApiError } from '../status.ts';

const rc = (name: string, extra: Partial<RuntimeClass> = {}): KubeObject =>
  ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: name, ...extra }) as KubeObject;
const attrs = (operation: AdmissionAttributes['operation'], object: object): AdmissionAttributes => ({
  operation, resource: findResource('v1', 'pods')!, subresource: '', namespace: 'default', name: 'p',
  object: object as KubeObject, oldObject: undefined, dryRun: false, user: 'u',
});
const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });
const forbiddenWith = (message: string) => (err: unknown) => err instanceof ApiError && err.code === 403 && err.message === message;

test('a pod naming a missing RuntimeClass is refused with upstream message; none named: untouched', () => {
  const plugin = new RuntimeClassAdmission(() => [rc('runc')]);
  assert.throws(() => plugin.admit(attrs('CREATE', pod({ runtimeClassName: 'kata' }))), forbiddenWith('pods "p" is forbidden: pod rejected: RuntimeClass "kata" not found'));
  const p = pod();
  plugin.admit(attrs('CREATE', p));
  plugin.validate(attrs('CREATE', p));
  assert.deepEqual(p, pod());
});

test('the class overhead becomes the pod overhead; a different one is refused; overhead without a class too', () => {
  const plugin = new RuntimeClassAdmission(() => [rc('gvisor', { overhead: { podFixed: { cpu: '0.25', memory: '64Mi' } } }), rc('plain')]);
  const p = pod({ runtimeClassName: 'gvisor' });
  plugin.admit(attrs('CREATE', p));
  plugin.validate(attrs('CREATE', p));
  assert.deepEqual(p.spec!.overhead, { cpu: '250m', memory: '64Mi' });
  // The same overhead spelled otherwise is the same.
  plugin.admit(attrs('CREATE', pod({ runtimeClassName: 'gvisor', overhead: { cpu: '250m', memory: '64Mi' } })));
  const msg = "pods \"p\" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";
  assert.throws(() => plugin.admit(attrs('CREATE', pod({ runtimeClassName: 'gvisor', overhead: { cpu: '1' } }))), forbiddenWith(msg));
  assert.throws(() => plugin.validate(attrs('CREATE', pod({ runtimeClassName: 'gvisor', overhead: { cpu: '1' } }))), forbiddenWith(msg));
  const none = 'pods "p" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead';
  assert.throws(() => plugin.validate(attrs('CREATE', pod({ overhead: { cpu: '1' } }))), forbiddenWith(none));
  assert.throws(() => plugin.validate(attrs('CREATE', pod({ runtimeClassName: 'plain', overhead: { cpu: '1' } }))), forbiddenWith(none));
});

test('scheduling: nodeSelector merged (a conflicting value refused), tolerations merged without redundant ones', () => {
  const plugin = new RuntimeClassAdmission(() => [
    rc('sandboxed', {
      scheduling: {
        nodeSelector: { sandbox: 'yes' },
        tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }, { key: 'covered', operator: 'Equal', value: 'x', effect: 'NoSchedule' }],
      },
    }),
  ]);
  const p = pod({ runtimeClassName: 'sandboxed', nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'covered', operator: 'Exists' }] });
  plugin.admit(attrs('CREATE', p));
  assert.deepEqual(p.spec!.nodeSelector, { disk: 'ssd', sandbox: 'yes' });
  assert.deepEqual(p.spec!.tolerations, [{ key: 'covered', operator: 'Exists' }, { key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }]);
  assert.throws(
    () => plugin.admit(attrs('CREATE', pod({ runtimeClassName: 'sandboxed', nodeSelector: { sandbox: 'no' } }))),
    forbiddenWith('pods "p" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = yes; pod.spec.nodeSelector[sandbox] = no'),
  );
});

test('mergeTolerations keeps the superset: Exists over Equal, empty effect over one effect, a longer NoExecute tolerationSeconds over a shorter', () => {
  assert.deepEqual(mergeTolerations([{ key: 'a', operator: 'Equal', value: 'v' }], [{ key: 'a', operator: 'Exists' }]), [{ key: 'a', operator: 'Exists' }]);
  assert.deepEqual(mergeTolerations([{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }], [{ key: 'a', operator: 'Exists' }]), [{ key: 'a', operator: 'Exists' }]);
  assert.deepEqual(
    mergeTolerations([{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }], [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]),
    [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
  );
  assert.deepEqual(mergeTolerations([{ operator: 'Exists' }], [{ key: 'x', operator: 'Exists' }]), [{ operator: 'Exists' }]);
  assert.deepEqual(mergeTolerations([{ key: 'a', operator: 'Exists' }], [{ key: 'a', operator: 'Exists' }]), [{ key: 'a', operator: 'Exists' }]);
});
