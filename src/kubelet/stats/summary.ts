/**
 * The kubelet's `/stats/summary` (upstream's statsapi Summary, the document metrics-server scrapes): the node's
 * CPU and memory, and per active pod its own and each container's. Memory working sets come from the eviction
 * manager's `NodeStatsProvider` (one reading of the cgroups for both); CPU is read here from the cgroups'
 * cumulative counters (v1 `cpuacct.usage`, v2 `cpu.stat` usage_usec; the node from the root cgroup, or
 * /proc/stat when the v2 root has no cpu.stat) and turned into `usageNanoCores` by `CpuRate`, so a rate
 * appears from the second scrape on. Network and filesystem stats are not reported.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { StatsProvider } from '../eviction/stats.ts';
import { CpuRate } from './cpu-rate.ts';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodStatsSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime?: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface Summary {
  node: { nodeName: string; startTime?: string; cpu?: CpuStats; memory?: MemoryStats };
  pods: PodStatsSummary[];
}

export interface SummaryProviderConfig {
  nodeName: string;
  stats: StatsProvider;
  /** The pods running on the node. */
  pods: () => IPod[];
  /** The ids of the pod's containers by name (newest instance). */
  containerIds: (uid: string) => Map<string, string>;
  now: () => Date;
  cgroupRoot?: string;
  procRoot?: string;
}

async function read(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

export class SummaryProvider {
  readonly #c: SummaryProviderConfig;
  readonly #cg: string;
  readonly #proc: string;
  readonly #rates = new CpuRate();
  readonly #bootTime = new Date();
  #v2: boolean | undefined;

  constructor(config: SummaryProviderConfig) {
    this.#c = config;
    this.#cg = config.cgroupRoot ?? '/sys/fs/cgroup';
    this.#proc = config.procRoot ?? '/proc';
  }

  async #isV2(): Promise<boolean> {
    this.#v2 ??= (await read(path.join(this.#cg, 'cgroup.controllers'))) !== undefined;
    return this.#v2;
  }

  /** Cumulative CPU ns of a cgroup (relative path), or undefined when it does not exist. */
  async #cpuUsage(rel: string): Promise<number | undefined> {
    if (await this.#isV2()) {
      const stat = await read(path.join(this.#cg, rel, 'cpu.stat'));
      const m = stat && /^usage_usec (\d+)$/m.exec(stat);
      if (m) return Number(m[1]) * 1000;
      if (rel !== '') return undefined;
    } else {
      const usage = await read(path.join(this.#cg, 'cpuacct', rel, 'cpuacct.usage'));
      if (usage !== undefined) return Number(usage.trim());
      if (rel !== '') return undefined;
    }
    // The node without a root counter: busy jiffies of /proc/stat (USER_HZ is 100 on Linux).
    const cpu = /^cpu\s+(.*)$/m.exec((await read(path.join(this.#proc, 'stat'))) ?? '');
    if (!cpu) return undefined;
    const f = cpu[1]!.trim().split(/\s+/).map(Number);
    const busy = f.reduce((a, b, i) => (i === 3 || i === 4 ? a : a + b), 0); // minus idle and iowait
    return busy * 10_000_000;
  }

  async #cpu(key: string, rel: string | undefined, time: string, atMs: number): Promise<CpuStats | undefined> {
    if (rel === undefined) return undefined;
    const usage = await this.#cpuUsage(rel);
    if (usage === undefined) return undefined;
    const { usageNanoCores } = this.#rates.sample(key, usage, atMs);
    return { time, ...(usageNanoCores !== undefined ? { usageNanoCores } : {}), usageCoreNanoSeconds: usage };
  }

  async #podCgroup(uid: string): Promise<string | undefined> {
    const base = (await this.#isV2()) ? this.#cg : path.join(this.#cg, 'cpuacct');
    for (const rel of [`kubepods/pod${uid}`, `kubepods/burstable/pod${uid}`, `kubepods/besteffort/pod${uid}`]) {
      if (await fs.stat(path.join(base, rel)).then(() => true, () => false)) return rel;
    }
    return undefined;
  }

  async get(): Promise<Summary> {
    const at = this.#c.now();
    const time = at.toISOString().replace(/\.\d+Z$/, 'Z');
    const atMs = at.getTime();
    const obs = (await this.#c.stats.observe())['memory.available'];
    const node: Summary['node'] = { nodeName: this.#c.nodeName, startTime: this.#bootTime.toISOString().replace(/\.\d+Z$/, 'Z') };
    const nodeCpu = await this.#cpu('', '', time, atMs);
    if (nodeCpu) node.cpu = nodeCpu;
    if (obs) node.memory = { time, availableBytes: obs.available, workingSetBytes: obs.capacity - obs.available };
    const pods = this.#c.pods();
    const usage = await this.#c.stats.podStats(pods);
    const keep = new Set<string>(['']);
    const out: PodStatsSummary[] = [];
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      const figures = usage.get(uid);
      const cgroup = await this.#podCgroup(uid);
      if (!figures || !cgroup) continue;
      keep.add(uid);
      const ids = this.#c.containerIds(uid);
      const containers: ContainerStats[] = [];
      for (const c of pod.spec?.containers ?? []) {
        const id = ids.get(c.name);
        const ws = figures.containers.find((x) => x.name === c.name)?.memoryWorkingSetBytes;
        if (!id || ws === undefined) continue;
        const key = `${uid}/${id}`;
        keep.add(key);
        const status = pod.status?.containerStatuses?.find((s) => s.name === c.name);
        containers.push({
          name: c.name,
          ...(status?.state?.running?.startedAt ? { startTime: status.state.running.startedAt as unknown as string } : {}),
          cpu: await this.#cpu(key, `${cgroup}/${id}`, time, atMs),
          memory: { time, workingSetBytes: ws },
        });
      }
      out.push({
        podRef: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid },
        ...(pod.status?.startTime ? { startTime: pod.status.startTime as unknown as string } : {}),
        containers,
        cpu: await this.#cpu(uid, cgroup, time, atMs),
        memory: { time, workingSetBytes: figures.memoryWorkingSetBytes },
      });
    }
    this.#rates.retain(keep);
    return { node, pods: out };
  }
}
