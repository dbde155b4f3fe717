import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText } from '../../../api/index.ts';
import { LATEST, levelVersionString, parseVersion, policyToEvaluate, v1, type Policy } from './levels.ts';

test('versions: latest and v1.N only', () => {
  assert.deepEqual(parseVersion('latest'), { version: LATEST });
  assert.deepEqual(parseVersion('v1.32'), { version: v1(32) });
  assert.deepEqual(parseVersion('v1.0'), { version: v1(0) });
  for (const bad of ['v1.032', 'v2.1', '1.32', 'v1.', 'Latest']) assert.equal(parseVersion(bad).error, 'must be "latest" or "v1.x"', bad);
  assert.equal(levelVersionString({ level: 'restricted', version: v1(25) }), 'restricted:v1.25');
});

test('labels: unlabelled modes take the defaults; each mode and version separately', () => {
  const defaults: Policy = {
    enforce: { level: 'baseline', version: v1(30) }, audit: { level: 'privileged', version: LATEST }, warn: { level: 'restricted', version: LATEST },
  };
  assert.deepEqual(policyToEvaluate(undefined, defaults), { policy: defaults, errors: [] });
  const { policy, errors } = policyToEvaluate({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/audit-version': 'v1.25', other: 'x' }, defaults);
  assert.deepEqual(errors, []);
  assert.equal(levelVersionString(policy.enforce), 'restricted:v1.30');
  assert.equal(levelVersionString(policy.audit), 'privileged:v1.25');
  assert.equal(levelVersionString(policy.warn), 'restricted:latest');
});

test('bad labels: enforce fails closed (restricted:latest), audit and warn open (privileged), with field errors', () => {
  const { policy, errors } = policyToEvaluate({
    'pod-security.kubernetes.io/enforce': 'strict',
    'pod-security.kubernetes.io/warn': 'loud',
    'pod-security.kubernetes.io/audit-version': 'v2',
  });
  assert.equal(levelVersionString(policy.enforce), 'restricted:latest');
  assert.equal(levelVersionString(policy.warn), 'privileged:latest');
  assert.equal(levelVersionString(policy.audit), 'privileged:latest');
  assert.deepEqual(errors.map(fieldErrorText), [
    'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    'metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "v2": must be "latest" or "v1.x"',
    'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "loud": must be one of privileged, baseline, restricted',
  ]);
});

test('warn follows a stricter enforce label unless a warn label is set (1.26+)', () => {
  const lv = (labels: Record<string, string>, defaults?: Policy) => levelVersionString(policyToEvaluate(labels, defaults).policy.warn);
  assert.equal(lv({ 'pod-security.kubernetes.io/enforce': 'baseline' }), 'baseline:latest');
  assert.equal(lv({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.29' }), 'restricted:v1.29');
  assert.equal(lv({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.29', 'pod-security.kubernetes.io/warn-version': 'v1.30' }), 'restricted:v1.30');
  assert.equal(lv({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'privileged' }), 'privileged:latest');
  assert.equal(lv({ 'pod-security.kubernetes.io/enforce': 'strict' }), 'privileged:latest');
  assert.equal(lv({ 'pod-security.kubernetes.io/enforce-version': 'v1.20' }), 'privileged:latest');
  const strictWarn: Policy = { enforce: { level: 'privileged', version: LATEST }, audit: { level: 'privileged', version: LATEST }, warn: { level: 'restricted', version: LATEST } };
  assert.equal(lv({ 'pod-security.kubernetes.io/enforce': 'baseline' }, strictWarn), 'restricted:latest');
});
