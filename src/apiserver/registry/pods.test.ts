import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/index.ts';
import { dropDisabledPodFields } from './pods.ts';

const spec = (): NonNullable<Pod['spec']> =>
  ({
    securityContext: { seLinuxOptions: { level: 's0:c1,c2' }, seLinuxChangePolicy: 'Recursive' },
    initContainers: [{ name: 'i', image: 'x', resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] }],
    containers: [{ name: 'c', image: 'x', resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] }],
  }) as NonNullable<Pod['spec']>;

test('1.32 alpha fields are dropped on create: resizePolicy and seLinuxChangePolicy; seLinuxOptions stays', () => {
  const s = spec();
  dropDisabledPodFields(s);
  assert.equal(s.containers[0]!.resizePolicy, undefined);
  assert.equal(s.initContainers![0]!.resizePolicy, undefined);
  assert.deepEqual(s.securityContext, { seLinuxOptions: { level: 's0:c1,c2' } });
});

test('on update they are kept where the stored pod already uses them', () => {
  const s = spec();
  dropDisabledPodFields(s, spec());
  assert.deepEqual(s, spec());
});
