import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setZeroTimes } from './zero-times.ts';
import { findResource } from './resources.ts';

const T = '2026-12-07T20:00:00Z';

test('a pod condition without lastProbeTime gets null; a set time is kept', () => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', creationTimestamp: T },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T }] },
  };
  setZeroTimes('pods', pod);
  assert.deepEqual(pod.status.conditions, [{ type: 'Ready', status: 'True', lastTransitionTime: T, lastProbeTime: null }]);
  assert.equal(pod.metadata.creationTimestamp, T);
});

test('container states: running.startedAt and terminated.startedAt/finishedAt; a waiting state has no time', () => {
  const status = {
    containerStatuses: [
      { name: 'a', state: { waiting: { reason: 'ContainerCreating' } } },
      { name: 'b', state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } },
    ],
  };
  setZeroTimes('pods', { status });
  assert.deepEqual(status.containerStatuses[0], { name: 'a', state: { waiting: { reason: 'ContainerCreating' } } });
  assert.deepEqual(status.containerStatuses[1], {
    name: 'b',
    state: { running: { startedAt: null } },
    lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', startedAt: null, finishedAt: null } },
  });
});

test('pointer times stay absent: deletionTimestamp, status.startTime, a taint timeAdded, a lease renewTime, a job completionTime', () => {
  const pod = { metadata: { name: 'p', creationTimestamp: T }, status: { phase: 'Pending' } };
  setZeroTimes('pods', pod);
  assert.deepEqual(pod, { metadata: { name: 'p', creationTimestamp: T }, status: { phase: 'Pending' } });
  const node = { metadata: { name: 'n', creationTimestamp: T }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
  setZeroTimes('nodes', node);
  assert.deepEqual(node.spec.taints, [{ key: 'k', effect: 'NoSchedule' }]);
  const lease = { metadata: { name: 'l', creationTimestamp: T }, spec: { holderIdentity: 'x' } };
  setZeroTimes(findResource('coordination.k8s.io/v1', 'leases')!, lease);
  assert.deepEqual(lease.spec, { holderIdentity: 'x' });
  const job = { metadata: { name: 'j', creationTimestamp: T }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: {} } }, status: { active: 1 } };
  setZeroTimes(findResource('batch/v1', 'jobs')!, job);
  assert.deepEqual(job.status, { active: 1 });
});

test('a core/v1 Event without eventTime gets eventTime: null; events.k8s.io/v1 gets its deprecated timestamps null', () => {
  const core: Record<string, unknown> = { metadata: { name: 'e', creationTimestamp: T }, reason: 'Started', firstTimestamp: T, lastTimestamp: T };
  setZeroTimes('events', core);
  assert.equal(core.eventTime, null);
  assert.equal(core.firstTimestamp, T);
  const v1: Record<string, unknown> = { metadata: { name: 'e', creationTimestamp: T }, eventTime: '2026-12-07T20:00:00.000000Z', series: { count: 2, lastObservedTime: '2026-12-07T20:00:01.000000Z' } };
  setZeroTimes(findResource('events.k8s.io/v1', 'events')!, v1);
  assert.equal(v1.deprecatedFirstTimestamp, null);
  assert.equal(v1.deprecatedLastTimestamp, null);
  assert.equal(v1.eventTime, '2026-12-07T20:00:00.000000Z');
});

test('templates: an embedded ObjectMeta is always there, with creationTimestamp: null', () => {
  const cronJob = {
    metadata: { name: 'c', creationTimestamp: T },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [] } } } } },
  };
  setZeroTimes(findResource('batch/v1', 'cronjobs')!, cronJob);
  assert.deepEqual(cronJob.spec.jobTemplate, {
    metadata: { creationTimestamp: null },
    spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: [] } } },
  });
  const sts = {
    metadata: { name: 's', creationTimestamp: T },
    spec: { template: { metadata: { labels: { a: 'b' } } }, volumeClaimTemplates: [{ metadata: { name: 'www' }, status: { phase: 'Pending', conditions: [{ type: 'Resizing', status: 'True' }] } }] },
  };
  setZeroTimes(findResource('apps/v1', 'statefulsets')!, sts);
  assert.deepEqual(sts.spec.template.metadata, { labels: { a: 'b' }, creationTimestamp: null });
  assert.deepEqual(sts.spec.volumeClaimTemplates[0], {
    metadata: { name: 'www', creationTimestamp: null },
    status: { phase: 'Pending', conditions: [{ type: 'Resizing', status: 'True', lastProbeTime: null, lastTransitionTime: null }] },
  });
});

test('conditions of the other built-in kinds', () => {
  const cases: [resource: ReturnType<typeof findResource>, condition: Record<string, unknown>, want: string[]][] = [
    [findResource('apps/v1', 'deployments'), { type: 'Available', status: 'True' }, ['lastUpdateTime', 'lastTransitionTime']],
    [findResource('apps/v1', 'replicasets'), { type: 'ReplicaFailure', status: 'True' }, ['lastTransitionTime']],
    [findResource('apps/v1', 'daemonsets'), { type: 'X', status: 'True' }, ['lastTransitionTime']],
    [findResource('batch/v1', 'jobs'), { type: 'Complete', status: 'True' }, ['lastProbeTime', 'lastTransitionTime']],
    [findResource('v1', 'nodes'), { type: 'Ready', status: 'True' }, ['lastHeartbeatTime', 'lastTransitionTime']],
    [findResource('v1', 'namespaces'), { type: 'NamespaceDeletionDiscoveryFailure', status: 'False' }, ['lastTransitionTime']],
    [findResource('v1', 'replicationcontrollers'), { type: 'ReplicaFailure', status: 'True' }, ['lastTransitionTime']],
    [findResource('autoscaling/v2', 'horizontalpodautoscalers'), { type: 'AbleToScale', status: 'True' }, ['lastTransitionTime']],
    [findResource('certificates.k8s.io/v1', 'certificatesigningrequests'), { type: 'Approved', status: 'True' }, ['lastUpdateTime', 'lastTransitionTime']],
    [findResource('policy/v1', 'poddisruptionbudgets'), { type: 'DisruptionAllowed', status: 'True' }, ['lastTransitionTime']],
  ];
  for (const [resource, condition, want] of cases) {
    const obj = { metadata: { name: 'x', creationTimestamp: T }, status: { conditions: [condition] } };
    setZeroTimes(resource!, obj);
    for (const f of want) assert.equal(condition[f], null, `${resource!.plural}: ${f}`);
  }
});

test('idempotent, and custom resources are left alone', () => {
  const once = { metadata: { name: 'p', creationTimestamp: T }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
  setZeroTimes('pods', once);
  const twice = structuredClone(once);
  setZeroTimes('pods', twice);
  assert.deepEqual(twice, once);
  const info = { ...findResource('v1', 'pods')!, custom: {} as never };
  const cr = { metadata: { name: 'p' }, status: { conditions: [{ type: 'Ready' }] } };
  setZeroTimes(info, cr);
  assert.deepEqual(cr.status.conditions, [{ type: 'Ready' }]);
});
