import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObject, validateObjectUpdate } from './index.ts';
import { fieldErrorText } from '../field-error.ts';

const quota = (spec: object) => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' }, spec });
const texts = (errs: ReturnType<typeof validateObject>) => errs.map(fieldErrorText);

test('ResourceQuota: non-negative quantities, whole object counts, known and compatible scopes', () => {
  assert.deepEqual(texts(validateObject('resourcequotas', quota({ hard: { pods: '2', 'requests.cpu': '1' } }))), []);
  assert.deepEqual(texts(validateObject('resourcequotas', quota({ hard: { cpu: '-1', pods: '1500m' } }))), [
    'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    'spec.hard[pods]: Invalid value: "1500m": must be an integer',
  ]);
  assert.match(texts(validateObject('resourcequotas', quota({ hard: { services: '1' }, scopes: ['BestEffort'] }))).join('\n'),
    /^spec.hard: Invalid value: .*: unsupported scope applied to resource$/);
  assert.match(texts(validateObject('resourcequotas', quota({ hard: { pods: '1' }, scopes: ['Terminating', 'NotTerminating'] }))).join('\n'), /conflicting scopes/);
  assert.match(texts(validateObject('resourcequotas', quota({ hard: { pods: '1' }, scopes: ['Sometimes'] }))).join('\n'), /spec.scopes\[0\]: Invalid value: "Sometimes": unsupported scope/);
  const old = quota({ hard: { pods: '1' }, scopes: ['Terminating'] });
  assert.match(texts(validateObjectUpdate('resourcequotas', quota({ hard: { pods: '1' }, scopes: ['NotTerminating'] }), old)).join('\n'), /spec.scopes: Invalid value: .*field is immutable/);
});

const range = (limits: object[]) => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } });

test('LimitRange: ordered bounds, no defaults for Pod, storage bound for claims', () => {
  assert.deepEqual(texts(validateObject('limitranges', range([{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }]))), [
    'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
  ]);
  assert.deepEqual(texts(validateObject('limitranges', range([{ type: 'Container', default: { cpu: '2' }, max: { cpu: '1' } }]))), [
    'spec.limits[0].default[cpu]: Invalid value: "2": default value 2 is greater than max value 1',
  ]);
  assert.deepEqual(texts(validateObject('limitranges', range([{ type: 'Pod', default: { cpu: '1' } }]))), [
    "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
  ]);
  assert.deepEqual(texts(validateObject('limitranges', range([{ type: 'PersistentVolumeClaim', max: { cpu: '1' } }]))), [
    'spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
  ]);
  assert.deepEqual(texts(validateObject('limitranges', range([{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }]))), [
    'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
  ]);
});
