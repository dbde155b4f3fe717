import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Pod, ReplicaSet } from '../../api/index.ts';
import { explainDeployment, podToExplain } from './explain-deployment.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function deployment(status: Deployment['status'], spec: Partial<NonNullable<Deployment['spec']>> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd1', generation: 2 },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: {}, ...spec } as Deployment['spec'],
    status: { observedGeneration: 2, ...status },
  };
}

const pullAnswer = { sentence: 'pod/web-2-a cannot start: the image "busybox:nope" of container app cannot be pulled: not found.', evidence: [], healthy: false };

test('explainDeployment: rolled out', () => {
  const got = explainDeployment({ deployment: deployment({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 }), events: [], now: NOW });
  assert.equal(got.sentence, 'deployment/web is rolled out: 3 of 3 replicas up to date and available.');
  assert.equal(got.healthy, true);
});

test('explainDeployment: progress deadline exceeded reaches the why of one unready pod', () => {
  const got = explainDeployment({
    deployment: deployment(
      { replicas: 4, updatedReplicas: 1, availableReplicas: 3, unavailableReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-2" has timed out progressing.' }] },
      { progressDeadlineSeconds: 30 },
    ),
    events: [],
    podAnswer: pullAnswer,
    now: NOW,
  });
  assert.equal(
    got.sentence,
    'deployment/web is stuck: its rollout made no progress for 30s (ProgressDeadlineExceeded), 1 of 3 replicas unavailable. Not ready: ' + pullAnswer.sentence,
  );
  assert.equal(got.healthy, false);
});

test('explainDeployment: still rolling out', () => {
  const got = explainDeployment({ deployment: deployment({ replicas: 4, updatedReplicas: 1, availableReplicas: 3, unavailableReplicas: 1 }), events: [], podAnswer: pullAnswer, now: NOW });
  assert.match(got.sentence, /^deployment\/web is rolling out: 1 of 3 replicas up to date, 3 available\. Not ready: pod\/web-2-a cannot start/);
});

test('podToExplain: an unready pod of the newest ReplicaSet comes first', () => {
  const rs = (name: string, rev: string): ReplicaSet => ({
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, uid: name, annotations: { 'deployment.kubernetes.io/revision': rev }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] },
  } as ReplicaSet);
  const pod = (name: string, owner: string, ready: boolean): Pod => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const d = deployment({});
  const got = podToExplain(d, [rs('web-1', '1'), rs('web-2', '2')], [pod('old-unready', 'web-1', false), pod('new-ready', 'web-2', true), pod('new-unready', 'web-2', false)]);
  assert.equal(got?.metadata?.name, 'new-unready');
  assert.equal(podToExplain(d, [rs('web-2', '2')], [pod('new-ready', 'web-2', true)]), undefined);
});
