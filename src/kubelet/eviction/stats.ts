/**
 * What the eviction manager observes (upstream's summary provider, fed by cAdvisor): per signal the amount
 * available and its capacity, and per pod its usage. `NodeStatsProvider` (node-stats.ts) reads the machine;
 * unit tests hand the manager fixed figures.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { PodUsage } from './rank.ts';
import type { Signal } from './thresholds.ts';

export interface Observation {
  available: number;
  capacity: number;
}

export type Observations = Partial<Record<Signal, Observation>>;

export interface VolumeUsage {
  /** The pod's volume name. */
  name: string;
  usedBytes: number;
}

export interface PodStats extends PodUsage {
  /** emptyDir volumes, by name. */
  volumes: VolumeUsage[];
}

export interface StatsProvider {
  observe(): Promise<Observations>;
  /** The usage of each active pod, by uid; pods without figures (no cgroup yet) are missing. */
  podStats(pods: IPod[]): Promise<Map<string, PodStats>>;
}
