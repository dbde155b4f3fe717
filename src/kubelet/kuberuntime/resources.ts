/**
 * Pod resources as the kubelet turns them into cgroup settings: cpu/memory quantities, the pod's QoS class
 * (upstream qos.GetPodQOS), the QoS cgroup parent and the OOM score. Small local helpers until src/api's
 * parseQuantity/podQOSClass land; only cpu and memory matter here.
 */
import type { LinuxResources } from '../../runtime/runtime.ts';
import type { Container, Pod } from './api.ts';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity as a number (`500m` → 0.5, `64Mi` → 67108864, `1e3` → 1000). Throws on bad input. */
export function quantityValue(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.exec(q.trim());
  if (!m)
    throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  return Number(m[1]) * SUFFIX[m[2] ?? ''];
}

type ResourceMap = Record<string, string | number> | undefined;

function get(map: ResourceMap, name: string): number {
  const v = map?.[name];
  return v === undefined ? 0 : quantityValue(v);
}

export function podQOSClass(pod: Pod): QOSClass {
  const all: Container[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const requests: Record<string, number> = {};
  const limits: Record<string, number> = {};
  let isGuaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests as ResourceMap;
    const lim = c.resources?.limits as ResourceMap;
    for (const r of ['cpu', 'memory']) {
      const rq = get(req, r);
      if (rq > 0) requests[r] = (requests[r] ?? 0) + rq;
      const l = get(lim, r);
      if (l > 0) limits[r] = (limits[r] ?? 0) + l;
    }
    if (!(get(lim, 'cpu') > 0 && get(lim, 'memory') > 0)) isGuaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const r of ['cpu', 'memory']) if (requests[r] !== undefined && requests[r] !== limits[r]) isGuaranteed = false;
  }
  return isGuaranteed && Object.keys(limits).length === 2 ? 'Guaranteed' : 'Burstable';
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

/** Upstream's policy.GetContainerOOMScoreAdjust. */
export function oomScoreAdj(pod: Pod, container: Container, nodeMemoryCapacity: number): number {
  const qos = podQOSClass(pod);
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const memRequest = get(container.resources?.requests as ResourceMap, 'memory');
  const adj = 1000 - Math.floor((1000 * memRequest) / Math.max(1, nodeMemoryCapacity)); // integer division, as upstream
  return Math.min(999, Math.max(2, adj));
}

/** A container's cgroup limits: cpu shares from the request, CFS quota from the limit, memory limit, OOM score. */
export function containerLinuxResources(pod: Pod, container: Container, nodeMemoryCapacity: number): LinuxResources {
  const req = container.resources?.requests as ResourceMap;
  const lim = container.resources?.limits as ResourceMap;
  const cpuRequestMilli = Math.round(get(req, 'cpu') * 1000);
  const cpuLimitMilli = Math.round(get(lim, 'cpu') * 1000);
  const sharesMilli = cpuRequestMilli === 0 && cpuLimitMilli > 0 ? cpuLimitMilli : cpuRequestMilli;
  const out: LinuxResources = {
    cpuShares: Math.max(MIN_SHARES, Math.floor((sharesMilli * SHARES_PER_CPU) / 1000)),
    oomScoreAdj: oomScoreAdj(pod, container, nodeMemoryCapacity),
  };
  if (cpuLimitMilli > 0) {
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = Math.max(MIN_QUOTA, Math.floor((cpuLimitMilli * QUOTA_PERIOD) / 1000));
  }
  const memLimit = get(lim, 'memory');
  if (memLimit > 0) out.memoryLimitInBytes = Math.floor(memLimit);
  return out;
}
