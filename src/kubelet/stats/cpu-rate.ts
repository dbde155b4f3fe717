/**
 * CPU usage rates from cumulative counters, as cAdvisor derives `usageNanoCores`: the difference of two samples
 * of a cgroup's cumulative CPU time (cpuacct.usage, or cpu.stat usage_usec on cgroup v2) over the time between
 * them. The last sample per cgroup is kept; a sample taken too soon after the previous one (under `minIntervalMs`)
 * answers the rate computed last instead of replacing the sample, so frequent scrapes do not shrink the window
 * to noise. A counter that went backwards (the cgroup was recreated) restarts the series.
 */

interface Sample {
  usageNs: number;
  atMs: number;
  rate?: number;
  windowMs?: number;
}

export interface CpuRateResult {
  /** Nanocores (ns of CPU per s), undefined until there are two samples. */
  usageNanoCores?: number;
  /** The time between the two samples the rate is from. */
  windowMs?: number;
}

export class CpuRate {
  readonly #last = new Map<string, Sample>();
  readonly #minIntervalMs: number;

  constructor(minIntervalMs = 1000) {
    this.#minIntervalMs = minIntervalMs;
  }

  /** Records `usageNs` (cumulative CPU ns) of `key` at `atMs` and answers its rate. */
  sample(key: string, usageNs: number, atMs: number): CpuRateResult {
    const prev = this.#last.get(key);
    if (prev && usageNs >= prev.usageNs && atMs - prev.atMs < this.#minIntervalMs) {
      return { usageNanoCores: prev.rate, windowMs: prev.windowMs };
    }
    const next: Sample = { usageNs, atMs };
    if (prev && usageNs >= prev.usageNs && atMs > prev.atMs) {
      next.windowMs = atMs - prev.atMs;
      next.rate = Math.round(((usageNs - prev.usageNs) * 1000) / next.windowMs);
    }
    this.#last.set(key, next);
    return { usageNanoCores: next.rate, windowMs: next.windowMs };
  }

  /** Forgets the cgroups not in `keep` (pods gone). */
  retain(keep: Set<string>): void {
    for (const k of this.#last.keys()) if (!keep.has(k)) this.#last.delete(k);
  }
}
