import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from '../../api/index.ts';
import type { PodStatus } from '../kuberuntime/api.ts';
import { podStatusPatch } from './pod-status-patch.ts';

const cond = (type: string, status: string, extra: object = {}) => ({ type, status, ...extra });

test('podStatusPatch: only what changed, conditions by type with their order, the uid as precondition', () => {
  const old: PodStatus = {
    phase: 'Pending',
    conditions: [cond('PodScheduled', 'True'), cond('Ready', 'False', { reason: 'ContainersNotReady' })],
    containerStatuses: [{ name: 'a', ready: false, restartCount: 0, image: 'i', imageID: '' }],
    message: 'gone soon',
  };
  const next: PodStatus = {
    phase: 'Running',
    conditions: [cond('PodScheduled', 'True'), cond('Initialized', 'True'), cond('Ready', 'True')],
    containerStatuses: [{ name: 'a', ready: true, restartCount: 0, image: 'i', imageID: '' }],
  };
  assert.deepEqual(podStatusPatch('u1', old, next), {
    metadata: { uid: 'u1' },
    status: {
      phase: 'Running',
      '$setElementOrder/conditions': [{ type: 'PodScheduled' }, { type: 'Initialized' }, { type: 'Ready' }],
      conditions: [cond('Initialized', 'True'), { type: 'Ready', status: 'True', reason: null }],
      // An atomic list is sent whole.
      containerStatuses: next.containerStatuses,
      message: null,
    },
  });
  assert.deepEqual(
    podStatusPatch('u1', next, structuredClone(next)),
    { metadata: { uid: 'u1' } },
    'no change, no status',
  );
  const dropped = podStatusPatch('u1', next, { ...next, conditions: [cond('PodScheduled', 'True')] });
  assert.deepEqual(dropped.status?.conditions, [
    { $patch: 'delete', type: 'Initialized' },
    { $patch: 'delete', type: 'Ready' },
  ]);
});

test('podStatusPatch applied to a status another writer changed meanwhile keeps their changes', () => {
  const read: PodStatus = { phase: 'Pending', conditions: [cond('PodScheduled', 'True')] };
  const ours: PodStatus = {
    phase: 'Running',
    conditions: [cond('PodScheduled', 'True'), cond('Ready', 'True')],
    podIP: '10.42.0.5',
    podIPs: [{ ip: '10.42.0.5' }],
  };
  const patch = podStatusPatch('u1', read, ours);
  // Between our GET and our PATCH a controller added a condition and the scheduler nominated a node.
  const server = {
    metadata: { uid: 'u1' },
    status: { ...read, nominatedNodeName: 'n2', conditions: [...read.conditions!, cond('DisruptionTarget', 'True')] },
  };
  const after = applyStrategicMergePatch(server, patch, 'Pod').status!;
  assert.equal(after.phase, 'Running');
  assert.equal(after.nominatedNodeName, 'n2');
  assert.deepEqual(
    after.conditions?.map((c) => c.type),
    ['PodScheduled', 'Ready', 'DisruptionTarget'],
  );
  assert.deepEqual(after.podIPs, [{ ip: '10.42.0.5' }]);
});

test('podStatusPatch: conditions that differ only in order, or by a null against an absent field, are no change', () => {
  const a = { type: 'Ready', status: 'True' };
  const b = { type: 'PodScheduled', status: 'True' };
  assert.deepEqual(podStatusPatch('u', { conditions: [b, a] }, { conditions: [a, b] }), { metadata: { uid: 'u' } });
  assert.deepEqual(podStatusPatch('u', { conditions: [a, b] }, { conditions: [{ ...a, lastProbeTime: null as never }, b] }), { metadata: { uid: 'u' } });
  assert.deepEqual(podStatusPatch('u', { conditions: [{ ...a, lastProbeTime: null as never }, b] }, { conditions: [a, b] }), { metadata: { uid: 'u' } });
  const patch = podStatusPatch('u', { conditions: [b, a] }, { conditions: [{ ...a, status: 'False' }, b] });
  assert.deepEqual(patch.status?.conditions, [{ type: 'Ready', status: 'False' }]);
});

test('podStatusPatch: the atomic containerStatuses are not sent again for a zero time the server keeps as null', () => {
  // What the kubelet generates for a container that failed to start: no startedAt, no message (undefined).
  const ours = {
    containerStatuses: [{
      name: 'c', image: 'busybox:1.35', imageID: '', ready: false, restartCount: 0,
      state: { terminated: { exitCode: 128, reason: 'StartError', message: undefined, startedAt: undefined, finishedAt: '2026-12-07T20:00:00Z' } },
    }],
  } as unknown as PodStatus;
  // What the server stores and serves back: the zero startedAt as null, the undefined message left out.
  const server = JSON.parse(JSON.stringify(ours)) as PodStatus;
  (server.containerStatuses![0]!.state!.terminated as unknown as Record<string, unknown>).startedAt = null;
  assert.deepEqual(podStatusPatch('u', server, ours), { metadata: { uid: 'u' } });
  const changed = structuredClone(ours);
  changed.containerStatuses![0]!.restartCount = 1;
  const sent = podStatusPatch('u', server, changed).status?.containerStatuses as { restartCount: number }[] | undefined;
  assert.equal(sent?.[0]?.restartCount, 1);
});
