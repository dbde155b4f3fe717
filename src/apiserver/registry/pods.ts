/**
 * Pods: status belongs to the kubelet (reset to Pending on create, carried over on spec updates, the only part
 * `/status` writes); deletion of a pod bound to a node is graceful (deletionTimestamp + grace period, the
 * kubelet finishes it), while unbound or finished pods and `gracePeriodSeconds: 0` go at once. A pod created
 * with scheduling gates starts with PodScheduled=False/SchedulingGated.
 */
import type { DeleteOptions, KubeObject, Pod, ResourceInfo } from '../../api/index.ts';
import { podQOSClass } from '../api-bridge.ts';
import { baseStrategy } from './base.ts';
import { timestamp } from './generic.ts';
import type { Strategy } from './strategy.ts';

const DEFAULT_GRACE = 30;

/**
 * A pod created with scheduling gates says so at once (upstream's applySchedulingGatedCondition), so
 * `kubectl get` shows SchedulingGated instead of Pending; the scheduler leaves it alone until the gates go.
 * Upstream adds it with podutil.UpdatePodCondition, which stamps lastTransitionTime with the time now
 * (lastProbeTime stays zero: null).
 */
function applySchedulingGatedCondition(pod: Pod): void {
  if (!pod.spec?.schedulingGates?.length) return;
  const status = (pod.status ??= {});
  if (status.conditions?.some((c) => c.type === 'PodScheduled')) return;
  (status.conditions ??= []).push({
    type: 'PodScheduled',
    status: 'False',
    reason: 'SchedulingGated',
    message: 'Scheduling is blocked due to non-empty scheduling gates',
    lastTransitionTime: timestamp(Date.now()),
  });
}

type PodSpec = NonNullable<Pod['spec']>;
const allContainers = (s: PodSpec | undefined) => [...(s?.initContainers ?? []), ...(s?.containers ?? [])];

/**
 * Fields of features that are alpha, so off, in Kubernetes 1.32, dropped as upstream's dropDisabledPodFields
 * does unless the stored pod already uses them: containers' `resizePolicy` (InPlacePodVerticalScaling) and
 * `securityContext.seLinuxChangePolicy` (SELinuxChangePolicy). `kubectl get -o yaml` shows neither.
 */
export function dropDisabledPodFields(spec: PodSpec | undefined, old?: PodSpec): void {
  if (!spec) return;
  if (!allContainers(old).some((c) => c.resizePolicy?.length)) {
    for (const c of allContainers(spec)) delete c.resizePolicy;
  }
  const sc = spec.securityContext as { seLinuxChangePolicy?: string } | undefined;
  if (sc && !(old?.securityContext as { seLinuxChangePolicy?: string } | undefined)?.seLinuxChangePolicy) delete sc.seLinuxChangePolicy;
}

export function podStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true });
  return {
    ...base,
    prepareForCreate(obj: KubeObject) {
      const pod = obj as unknown as Pod;
      dropDisabledPodFields(pod.spec);
      pod.status = { phase: 'Pending', qosClass: podQOSClass(pod) };
      applySchedulingGatedCondition(pod);
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject) {
      base.prepareForUpdate(obj, old);
      dropDisabledPodFields((obj as unknown as Pod).spec, (old as unknown as Pod).spec);
    },
    gracePeriodSeconds(obj: KubeObject, options: DeleteOptions): number {
      const pod = obj as unknown as Pod;
      let period = options.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE;
      if (!pod.spec?.nodeName) period = 0;
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') period = 0;
      // A negative period means "as soon as possible" to the kubelet: 1 s, as the real strategy makes it.
      if (period < 0) period = 1;
      return period;
    },
  };
}
