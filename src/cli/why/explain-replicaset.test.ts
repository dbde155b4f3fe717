import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from '../../api/index.ts';
import { explainReplicaSet } from './explain-replicaset.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

const rs = (status: ReplicaSet['status']): ReplicaSet => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet',
  metadata: { name: 'web-5d4', uid: 'r1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } } },
  status,
});

test('explainReplicaSet: ready, a pod not Ready, ReplicaFailure', () => {
  const ready = explainReplicaSet({ replicaSet: rs({ replicas: 2, readyReplicas: 2 }), events: [], now: NOW });
  assert.equal(ready.sentence, 'replicaset/web-5d4 is ready: 2 of 2 replicas Ready.');
  assert.equal(ready.healthy, true);
  assert.match(ready.evidence[0]!, /owned by deployment\/web$/);
  const crash = { sentence: 'pod/web-5d4-a is in CrashLoopBackOff: container app exited with exit code 1 (Error) 5s ago and has been restarted 3 times.', evidence: [], healthy: false };
  assert.equal(explainReplicaSet({ replicaSet: rs({ replicas: 2, readyReplicas: 1 }), events: [], podAnswer: crash, now: NOW }).sentence, `replicaset/web-5d4 has 1 of 2 replicas Ready. Not ready: ${crash.sentence}`);
  const quota = rs({ replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-5d4-x" is forbidden: exceeded quota: q' }] });
  assert.equal(explainReplicaSet({ replicaSet: quota, events: [], now: NOW }).sentence, 'replicaset/web-5d4 cannot create its pods: pods "web-5d4-x" is forbidden: exceeded quota: q.');
});
