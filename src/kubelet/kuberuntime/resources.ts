/**
 * Pod resources as the kubelet turns them into cgroup settings: a container's cpu shares, CFS quota, memory
 * limit and OOM score (upstream's generateLinuxContainerResources and policy.GetContainerOOMScoreAdjust), the
 * pod cgroup's limits (ResourceConfigForPod) and its place under the QoS cgroups. Quantities, effective pod
 * requests and the QoS class come from src/api (parseQuantity, podRequests, podQOSClass).
 */
import { parseQuantity, podLimits, podQOSClass, podRequests } from '../../api/index.ts';
import type { LinuxResources } from '../../runtime/runtime.ts';
import type { Container, Pod } from './api.ts';

type ResourceMap = Record<string, string | number> | undefined;

/** A resource of a requests/limits map in milli-units (cpu) — 0 when absent. */
function milli(map: ResourceMap, name: string): number {
  const v = map?.[name];
  return v === undefined ? 0 : parseQuantity(v).milliValue();
}

/** A resource of a requests/limits map in whole units (memory bytes) — 0 when absent. */
function value(map: ResourceMap, name: string): number {
  const v = map?.[name];
  return v === undefined ? 0 : parseQuantity(v).value();
}

/** The pod's cgroup, relative: `kubepods/pod<uid>`, `kubepods/burstable/pod<uid>`, `kubepods/besteffort/pod<uid>`. */
export function podCgroupParent(pod: Pod): string {
  const uid = pod.metadata?.uid ?? '';
  switch (podQOSClass(pod)) {
    case 'Guaranteed':
      return `kubepods/pod${uid}`;
    case 'Burstable':
      return `kubepods/burstable/pod${uid}`;
    default:
      return `kubepods/besteffort/pod${uid}`;
  }
}

const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1000;

function milliCPUToShares(m: number): number {
  return Math.max(MIN_SHARES, Math.floor((m * SHARES_PER_CPU) / 1000));
}

function milliCPUToQuota(m: number): number {
  return Math.max(MIN_QUOTA, Math.floor((m * QUOTA_PERIOD) / 1000));
}

/** Upstream's policy.GetContainerOOMScoreAdjust. */
export function oomScoreAdj(pod: Pod, container: Container, nodeMemoryCapacity: number): number {
  const qos = podQOSClass(pod);
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const memRequest = value(container.resources?.requests as ResourceMap, 'memory');
  const adj = 1000 - Math.floor((1000 * memRequest) / Math.max(1, nodeMemoryCapacity)); // integer division, as upstream
  return Math.min(999, Math.max(2, adj));
}

/** A container's cgroup limits: cpu shares from the request, CFS quota from the limit, memory limit, OOM score. */
export function containerLinuxResources(pod: Pod, container: Container, nodeMemoryCapacity: number): LinuxResources {
  const req = container.resources?.requests as ResourceMap;
  const lim = container.resources?.limits as ResourceMap;
  const cpuRequestMilli = milli(req, 'cpu');
  const cpuLimitMilli = milli(lim, 'cpu');
  const out: LinuxResources = {
    cpuShares: milliCPUToShares(cpuRequestMilli === 0 && cpuLimitMilli > 0 ? cpuLimitMilli : cpuRequestMilli),
    oomScoreAdj: oomScoreAdj(pod, container, nodeMemoryCapacity),
  };
  if (cpuLimitMilli > 0) {
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = milliCPUToQuota(cpuLimitMilli);
  }
  const memLimit = value(lim, 'memory');
  if (memLimit > 0) out.memoryLimitInBytes = memLimit;
  return out;
}

/**
 * The pod cgroup's limits (upstream ResourceConfigForPod): cpu shares from the pod's effective cpu request
 * (podRequests: containers, init maximum with sidecars, overhead); a CFS quota and a memory limit only when
 * every container declares that limit (a container without one may use the whole node). BestEffort pods get
 * the minimum shares.
 */
export function podLinuxResources(pod: Pod): LinuxResources {
  const qos = podQOSClass(pod);
  if (qos === 'BestEffort') return { cpuShares: MIN_SHARES };
  const requests = podRequests(pod);
  const out: LinuxResources = { cpuShares: milliCPUToShares(requests.cpu?.milliValue() ?? 0) };
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const declared = (name: string) => all.every((c) => (c.resources?.limits as ResourceMap)?.[name] !== undefined);
  // Limits add up like requests do: containers and sidecars summed, init containers at their maximum, overhead.
  const limits = podLimits(pod);
  if (declared('cpu') && limits.cpu) {
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = milliCPUToQuota(limits.cpu.milliValue());
  }
  if (declared('memory') && limits.memory) out.memoryLimitInBytes = limits.memory.value();
  return out;
}
