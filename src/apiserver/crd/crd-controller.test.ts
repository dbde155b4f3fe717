import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, customResourceInfos, type CustomResourceDefinition } from '../../api/index.ts';
import { nameConflict } from './crd-controller.ts';

function crd(name: string, group: string, names: CustomResourceDefinition['spec']['names']): CustomResourceDefinition {
  return {
    metadata: { name, uid: name },
    spec: { group, scope: 'Namespaced', names: { listKind: `${names.kind}List`, ...names }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
  } as CustomResourceDefinition;
}

test('a CRD whose names another resource of its group uses is not accepted', () => {
  const crontabs = crd('crontabs.stable.example.com', 'stable.example.com', { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] });
  const served = [...RESOURCES, ...customResourceInfos(crontabs)];
  assert.equal(nameConflict(crontabs, served), undefined, 'its own names do not conflict');
  assert.deepEqual(nameConflict(crd('crontabs.stable.example.com-2', 'stable.example.com', { plural: 'crontabs', kind: 'Other' }), served), { reason: 'PluralConflict', message: '"crontabs" is already in use' });
  assert.deepEqual(nameConflict(crd('x.stable.example.com', 'stable.example.com', { plural: 'xs', kind: 'X', shortNames: ['ct'] }), served), { reason: 'ShortNamesConflict', message: '"ct" is already in use' });
  assert.deepEqual(nameConflict(crd('y.stable.example.com', 'stable.example.com', { plural: 'ys', kind: 'CronTab' }), served), { reason: 'KindConflict', message: '"CronTab" is already in use' });
  assert.equal(nameConflict(crd('crontabs.other.example.com', 'other.example.com', { plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] }), served), undefined, 'another group may use the same names');
  assert.deepEqual(nameConflict(crd('deployments.apps', 'apps', { plural: 'deployments', kind: 'Deployment' }), served)?.reason, 'PluralConflict');
});
