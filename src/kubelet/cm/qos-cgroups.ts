/**
 * What the node's QoS parent cgroups should hold, as upstream's container manager computes it:
 *
 *   kubepods             node allocatable enforcement (node_container_manager_linux.go, enforceNodeAllocatable
 *                        "pods", the default): memory limit = capacity − kube/system reserved (kubeling reserves
 *                        none, and hard eviction thresholds are not taken off here, as upstream), cpu shares from
 *                        the node's cores, pids limit = the kernel's pid_max
 *   kubepods/burstable   cpu shares from the sum of the Burstable pods' effective cpu requests
 *                        (qos_container_manager_linux.go setCPUCgroupConfig)
 *   kubepods/besteffort  the minimum, 2 shares
 *
 * No memory limits on the QoS tiers: upstream sets those only with the alpha QOSReserved gate. Guaranteed pods
 * sit directly under kubepods. Pure: pods and node capacity in, settings out.
 */
import { podQOSClass, podRequests } from '../../api/index.ts';
import type { IPod } from 'kubernetes-models/v1/Pod';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;

/** Upstream's MilliCPUToShares: 1024 shares a core, clamped to [2, 262144]; 0 milli-cores is the minimum. */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU <= 0) return MIN_SHARES;
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milliCPU * 1024) / 1000)));
}

/** cgroup v1 cpu.shares to v2 cpu.weight, upstream's CpuSharesToCpuWeight (the KEP 2254 formula). */
export function cpuSharesToCpuWeight(shares: number): number {
  return Math.floor(((shares - 2) * 9999) / 262142) + 1;
}

/** One cgroup's settings in v1 terms; the writer converts them for v2. */
export interface CgroupSettings {
  cpuShares?: number;
  memoryLimitInBytes?: number;
  pidsLimit?: number;
}

export interface NodeCapacity {
  cpus: number;
  memoryBytes: number;
  /** kernel.pid_max; left unset when unknown. */
  pidMax?: number;
}

export interface QOSCgroupConfigs {
  kubepods: CgroupSettings;
  burstable: CgroupSettings;
  besteffort: CgroupSettings;
}

export function qosCgroupConfigs(activePods: IPod[], capacity: NodeCapacity): QOSCgroupConfigs {
  let burstableMilliCPU = 0;
  for (const pod of activePods) {
    if (podQOSClass(pod) !== 'Burstable') continue;
    burstableMilliCPU += podRequests(pod).cpu?.milliValue() ?? 0;
  }
  const kubepods: CgroupSettings = {
    cpuShares: milliCPUToShares(capacity.cpus * 1000),
    memoryLimitInBytes: capacity.memoryBytes,
  };
  if (capacity.pidMax) kubepods.pidsLimit = capacity.pidMax;
  return {
    kubepods,
    burstable: { cpuShares: milliCPUToShares(burstableMilliCPU) },
    besteffort: { cpuShares: MIN_SHARES },
  };
}
