import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, PersistentVolumeClaim, Pod, StatefulSet } from '../../api/index.ts';
import { explainStatefulSet, statefulSetPodToExplain } from './explain-statefulset.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function sts(replicas: number, status: Partial<NonNullable<StatefulSet['status']>> = {}, spec: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 's1', generation: 1 },
    spec: { replicas, serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: {}, ...spec } as StatefulSet['spec'],
    status: { replicas: 0, observedGeneration: 1, ...status },
  };
}

function pod(name: string, ready: boolean, owner = 's1'): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: owner, controller: true }] },
    status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const pending = { sentence: 'pod/web-0 is Pending: no node can run it (0/1 nodes are available): 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.', evidence: [], healthy: false };

test('explainStatefulSet: stuck at web-1 because web-0 is not Ready, its claim Pending, down to the pod answer', () => {
  const claim: PersistentVolumeClaim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-web-0' }, spec: { storageClassName: 'slow' }, status: { phase: 'Pending' } };
  const got = explainStatefulSet({
    statefulSet: sts(3, { replicas: 1 }, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] }),
    events: [], pods: [pod('web-0', false)], claims: [claim], podAnswer: pending, now: NOW,
  });
  assert.equal(
    got.sentence,
    'statefulset/web is stuck at web-1: web-0 is not Ready, and with OrderedReady the next pod is created only once the one before it is Running and Ready. Its claim data-web-0 is Pending. Not ready: ' + pending.sentence,
  );
  assert.equal(got.healthy, false);
  assert.ok(got.evidence.includes('pod web-1: not created'), got.evidence.join('\n'));
  assert.ok(got.evidence.includes('claim data-web-0: Pending (storageClass slow)'), got.evidence.join('\n'));
});

test('explainStatefulSet: Parallel names the unready pod without "stuck at"', () => {
  const got = explainStatefulSet({ statefulSet: sts(2, { replicas: 2, readyReplicas: 1 }, { podManagementPolicy: 'Parallel' }), events: [], pods: [pod('web-0', true), pod('web-1', false)], claims: [], now: NOW });
  assert.equal(got.sentence, 'statefulset/web has web-1 not Ready (1 of 2 replicas Ready).');
});

test('explainStatefulSet: ready, creating, cannot create', () => {
  const ready = explainStatefulSet({ statefulSet: sts(2, { replicas: 2, readyReplicas: 2 }), events: [], pods: [pod('web-0', true), pod('web-1', true)], claims: [], now: NOW });
  assert.equal(ready.sentence, 'statefulset/web is ready: 2 of 2 replicas Ready.');
  assert.equal(ready.healthy, true);
  const creating = explainStatefulSet({ statefulSet: sts(2, { replicas: 1, readyReplicas: 1 }), events: [], pods: [pod('web-0', true)], claims: [], now: NOW });
  assert.equal(creating.sentence, 'statefulset/web is creating web-1 (1 of 2 replicas Ready).');
  const failed: Event = { apiVersion: 'v1', kind: 'Event', metadata: {}, involvedObject: {}, reason: 'FailedCreate', type: 'Warning', message: 'create Pod web-0 in StatefulSet web failed error: pods "web-0" is forbidden: exceeded quota' };
  assert.equal(
    explainStatefulSet({ statefulSet: sts(1), events: [failed], pods: [], claims: [], now: NOW }).sentence,
    'statefulset/web cannot create web-0: create Pod web-0 in StatefulSet web failed error: pods "web-0" is forbidden: exceeded quota.',
  );
});

test('statefulSetPodToExplain: the lowest unready ordinal it owns', () => {
  const set = sts(3);
  assert.equal(statefulSetPodToExplain(set, [pod('web-2', false), pod('web-0', true), pod('web-1', false), pod('web-0x', false)])?.metadata?.name, 'web-1');
  assert.equal(statefulSetPodToExplain(set, [pod('web-0', false, 'someone-else')]), undefined);
});
