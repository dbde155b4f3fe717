import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerLinuxResources, podCgroupParent, podLinuxResources } from './resources.ts';
import { makePod } from './testing.ts';

const GiB = 2 ** 30;

test('container resources take every quantity form the API accepts (api parseQuantity)', () => {
  const pod = makePod('q')
    .container('c', { resources: { requests: { cpu: '250000u', memory: '0.5Gi' }, limits: { cpu: '1.5', memory: '1e9' } } })
    .build();
  assert.deepEqual(containerLinuxResources(pod, pod.spec!.containers[0], 8 * GiB), {
    cpuShares: 256,
    cpuPeriod: 100000,
    cpuQuota: 150000,
    memoryLimitInBytes: 1e9,
    oomScoreAdj: 938,
  });
});

test('QoS cgroup parent from api podQOSClass', () => {
  const guaranteed = makePod('g', 'u1')
    .container('c', { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } })
    .build();
  const burstable = makePod('b', 'u2').container('c', { resources: { requests: { cpu: '100m' } } }).build();
  const bestEffort = makePod('e', 'u3').container('c').build();
  assert.deepEqual(
    [guaranteed, burstable, bestEffort].map(podCgroupParent),
    ['kubepods/podu1', 'kubepods/burstable/podu2', 'kubepods/besteffort/podu3'],
  );
});

test('pod cgroup limits: shares from effective requests, quota and memory only when every container has a limit', () => {
  const both = makePod('p')
    .init('init', { resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } } })
    .container('a', { resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } } })
    .container('b', { resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } } })
    .build();
  // The init container's 2 cpu / 1Gi is the maximum over the pod's life (podRequests).
  assert.deepEqual(podLinuxResources(both), {
    cpuShares: 2048,
    cpuPeriod: 100000,
    cpuQuota: 200000,
    memoryLimitInBytes: GiB,
  });
  const partial = makePod('q')
    .container('a', { resources: { requests: { cpu: '500m' }, limits: { cpu: '1', memory: '64Mi' } } })
    .container('b', { resources: { requests: { cpu: '250m' } } })
    .build();
  assert.deepEqual(podLinuxResources(partial), { cpuShares: 768 });
  assert.deepEqual(podLinuxResources(makePod('e').container('c').build()), { cpuShares: 2 });
});
