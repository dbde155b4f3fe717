import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, type KubeObject, type Pod } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { DefaultTolerationSeconds } from './default-toleration-seconds.ts';

const pods = RESOURCES.find((r) => r.group === '' && r.plural === 'pods')!;
const create = (pod: Pod): AdmissionAttributes => ({
  operation: 'CREATE', resource: pods, subresource: '', namespace: 'default', name: 'p', object: pod as unknown as KubeObject, oldObject: undefined, dryRun: false, user: 'u',
});

test('DefaultTolerationSeconds: 300 s by default, the two server flags separately, existing tolerations kept', () => {
  const pod = (): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } });
  const seconds = (p: Pod) => p.spec!.tolerations!.map((t) => [t.key, t.effect, t.operator, t.tolerationSeconds]);
  const a = pod();
  new DefaultTolerationSeconds().admit(create(a));
  assert.deepEqual(seconds(a), [['node.kubernetes.io/not-ready', 'NoExecute', 'Exists', 300], ['node.kubernetes.io/unreachable', 'NoExecute', 'Exists', 300]]);
  const b = pod();
  new DefaultTolerationSeconds({ notReadySeconds: 7, unreachableSeconds: 11 }).admit(create(b));
  assert.deepEqual(seconds(b), [['node.kubernetes.io/not-ready', 'NoExecute', 'Exists', 7], ['node.kubernetes.io/unreachable', 'NoExecute', 'Exists', 11]]);
  const c = pod();
  c.spec!.tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }];
  new DefaultTolerationSeconds({ notReadySeconds: 7, unreachableSeconds: 11 }).admit(create(c));
  assert.deepEqual(seconds(c), [['node.kubernetes.io/unreachable', 'NoExecute', 'Exists', 60], ['node.kubernetes.io/not-ready', 'NoExecute', 'Exists', 7]]);
});
