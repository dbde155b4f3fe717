/**
 * Which pod goes first, and what it is told (upstream pkg/kubelet/eviction/helpers.go):
 *
 *   memory      rankMemoryPressure: pods using more memory than they request first, then lower priority,
 *               then the larger usage over request
 *   disk        rankDiskPressure: the same with the pod's local storage (emptyDirs, logs, writable layers)
 *   pids        rankPIDPressure: lower priority first, then more processes
 *
 * The messages are upstream's fragments, trailing spaces included:
 * `The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container c was using
 * 50Mi, request is 0, has larger consumption of memory. `
 */
import { Quantity, parseQuantity } from '../../api/index.ts';
import type { IPod } from 'kubernetes-models/v1/Pod';

export type ReclaimResource = 'memory' | 'ephemeral-storage' | 'pids';

export interface ContainerUsage {
  name: string;
  memoryWorkingSetBytes?: number;
  /** Writable layer plus logs. */
  ephemeralBytes?: number;
  /** The container's log files (all its instances). */
  logsBytes?: number;
}

export interface PodUsage {
  memoryWorkingSetBytes: number;
  /** emptyDirs (disk-backed), logs and writable layers. */
  ephemeralBytes: number;
  processes: number;
  containers: ContainerUsage[];
}

const bytes = (n: number) => Quantity.fromValue(Math.max(0, Math.round(n)), 'BinarySI').toString();

function request(pod: IPod, resource: 'memory' | 'ephemeral-storage'): number {
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) {
    const v = c.resources?.requests?.[resource];
    if (v !== undefined) sum += parseQuantity(v as string).value();
  }
  return sum;
}

const priority = (pod: IPod) => pod.spec?.priority ?? 0;

type Cmp = (a: IPod, b: IPod) => number;

function orderedBy(...cmps: Cmp[]): Cmp {
  return (a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
}

/** Sorts `pods` in place, the first to evict first; pods without usage figures sort last. */
export function rankPods(pods: IPod[], resource: ReclaimResource, usage: (pod: IPod) => PodUsage | undefined): IPod[] {
  const used = (p: IPod): number | undefined => {
    const u = usage(p);
    if (!u) return undefined;
    return resource === 'memory' ? u.memoryWorkingSetBytes : resource === 'pids' ? u.processes : u.ephemeralBytes;
  };
  const exceeds: Cmp = (a, b) => {
    const over = (p: IPod) => {
      const u = used(p);
      return u !== undefined && resource !== 'pids' && u > request(p, resource) ? 1 : 0;
    };
    return over(b) - over(a);
  };
  const byPriority: Cmp = (a, b) => priority(a) - priority(b);
  const overRequest: Cmp = (a, b) => {
    const ua = used(a);
    const ub = used(b);
    if (ua === undefined || ub === undefined) return ua === undefined ? (ub === undefined ? 0 : 1) : -1;
    if (resource === 'pids') return ub - ua;
    return ub - request(b, resource) - (ua - request(a, resource));
  };
  return pods.sort(resource === 'pids' ? orderedBy(byPriority, overRequest) : orderedBy(exceeds, byPriority, overRequest));
}

const signalResource: Record<ReclaimResource, string> = { memory: 'memory', 'ephemeral-storage': 'ephemeral-storage', pids: 'pids' };

/** The evicted pod's status message for node pressure on `resource`. */
export function evictionMessage(
  pod: IPod,
  resource: ReclaimResource,
  threshold: { quantity: number; available: number } | undefined,
  usage: PodUsage | undefined,
): string {
  let message = `The node was low on resource: ${signalResource[resource]}. `;
  if (threshold) message += `Threshold quantity: ${bytes(threshold.quantity)}, available: ${bytes(threshold.available)}. `;
  if (resource === 'pids' || !usage) return message;
  for (const c of pod.spec?.containers ?? []) {
    const cu = usage.containers.find((x) => x.name === c.name);
    const used = resource === 'memory' ? cu?.memoryWorkingSetBytes : cu?.ephemeralBytes;
    if (used === undefined) continue;
    const req = c.resources?.requests?.[resource];
    const reqQ = req === undefined ? new Quantity(0n, 'DecimalSI') : parseQuantity(req as string);
    if (used > reqQ.value()) message += `Container ${c.name} was using ${bytes(used)}, request is ${reqQ.toString()}, has larger consumption of ${resource}. `;
  }
  return message;
}

/** upstream emptyDirMessageFmt. */
export const emptyDirMessage = (volume: string, limit: string) => `Usage of EmptyDir volume ${JSON.stringify(volume)} exceeds the limit ${JSON.stringify(limit)}. `;
/** upstream podEphemeralStorageMessageFmt. */
export const podEphemeralStorageMessage = (limit: string) => `Pod ephemeral local storage usage exceeds the total limit of containers ${limit}. `;
/** upstream containerEphemeralStorageMessageFmt. */
export const containerEphemeralStorageMessage = (container: string, limit: string) => `Container ${container} exceeded its local ephemeral storage limit ${JSON.stringify(limit)}. `;
/** upstream nodeConditionMessageFmt, for pods refused at admission. */
export const nodeConditionMessage = (conditions: string[]) => `The node had condition: [${conditions.join(' ')}]. `;
