import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { Pod, PodStatus } from '../kuberuntime/api.ts';
import { KubeletMetrics } from './kubelet-metrics.ts';

const CREATED = Date.parse('2026-01-01T00:00:00Z');

function pod(uid: string, containers = 2): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: uid, namespace: 'default', uid, creationTimestamp: new Date(CREATED).toISOString() },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: 'busybox' })) },
  };
}

function status(phase: 'Pending' | 'Running' | 'Succeeded', started: number, of = 2): PodStatus {
  return {
    phase,
    containerStatuses: Array.from({ length: of }, (_, i) => ({
      name: `c${i}`, image: 'busybox', imageID: '', ready: i < started, restartCount: 0, started: i < started,
      state: i < started ? { running: { startedAt: '2026-01-01T00:00:03Z' } } : { waiting: { reason: 'ContainerCreating' } },
    })),
  };
}

async function sample(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith(name));
}

test('running pods and containers come from the last relist; each relist is timed', async () => {
  const registry = new Registry();
  const m = new KubeletMetrics(registry);
  m.relisted(30, { runningPods: 2, containers: { CONTAINER_RUNNING: 3, CONTAINER_EXITED: 1, CONTAINER_CREATED: 1 } });
  m.relisted(1500, { runningPods: 1, containers: { CONTAINER_RUNNING: 1 } });
  assert.deepEqual(await sample(registry, 'kubelet_running_pods'), ['kubelet_running_pods 1']);
  // Only what the last relist saw: the exited and created containers are gone from it.
  assert.deepEqual(await sample(registry, 'kubelet_running_containers'), ['kubelet_running_containers{container_state="running"} 1']);
  assert.ok((await sample(registry, 'kubelet_pleg_relist_duration_seconds_count')).includes('kubelet_pleg_relist_duration_seconds_count 2'));
  assert.ok((await sample(registry, 'kubelet_pleg_relist_duration_seconds_bucket{le="0.05"}')).includes('kubelet_pleg_relist_duration_seconds_bucket{le="0.05"} 1'));
});

test('pod start SLI: from creation to the first status with every container started, once per pod', async () => {
  const registry = new Registry();
  const m = new KubeletMetrics(registry);
  const p = pod('a');
  m.podStatus(p, status('Pending', 0), CREATED + 1000);
  m.podStatus(p, status('Running', 1), CREATED + 2000);
  m.podStatus(p, status('Running', 2), CREATED + 4000);
  m.podStatus(p, status('Running', 2), CREATED + 9000);
  assert.ok((await sample(registry, 'kubelet_pod_start_sli_duration_seconds_count')).includes('kubelet_pod_start_sli_duration_seconds_count 1'));
  assert.ok((await sample(registry, 'kubelet_pod_start_sli_duration_seconds_sum')).includes('kubelet_pod_start_sli_duration_seconds_sum 4'));
  // A pod first seen already running (adopted after a kubelet restart) is not a start this kubelet saw.
  m.podStatus(pod('b'), status('Running', 2), CREATED + 60_000);
  // Nor is one that ended before its containers all started.
  const c = pod('c');
  m.podStatus(c, status('Pending', 0), CREATED + 1000);
  m.podStatus(c, status('Succeeded', 0), CREATED + 2000);
  m.podStatus(c, status('Running', 2), CREATED + 3000);
  assert.ok((await sample(registry, 'kubelet_pod_start_sli_duration_seconds_count')).includes('kubelet_pod_start_sli_duration_seconds_count 1'));
});
