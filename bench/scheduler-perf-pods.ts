/**
 * The pods of upstream's scheduler_perf cases (test/integration/scheduler_perf's templates), as a client sends
 * them: bench/scheduler.ts creates them through the API server, bench/scheduler-cycle.ts hands them to the
 * scheduler directly (adding what the server would default).
 */
import type { Pod } from '../src/api/index.ts';

export const basicPod = (name: string, extra: Partial<NonNullable<Pod['spec']>> = {}, labels: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'bench', labels: { bench: 'yes', ...labels } },
  spec: {
    containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } } }],
    ...extra,
  },
});

export const antiAffinity = (name: string) => basicPod(name, {
  affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: 'green' } }, topologyKey: 'kubernetes.io/hostname' }] } },
}, { color: 'green' });

export const nodeAffinity = (name: string) => basicPod(name, {
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone1', 'zone2'] }] }] } } },
});

export const spreading = (name: string) => basicPod(name, {
  topologySpreadConstraints: [{ maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { color: 'blue' } } }],
}, { color: 'blue' });

/** A pod of one whole CPU (PreemptionBasic's), its priority given as the spec fields `extra` names. */
export const oneCpu = (name: string, extra: Partial<NonNullable<Pod['spec']>>) => {
  const pod = basicPod(name, { ...extra, terminationGracePeriodSeconds: 0 });
  pod.spec!.containers[0]!.resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
  return pod;
};
