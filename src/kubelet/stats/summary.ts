/**
 * The kubelet's `/stats/summary` (upstream's statsapi Summary, the document metrics-server scrapes): the node's
 * CPU and memory, and per active pod its own and each container's. Memory working sets come from the eviction
 * manager's `NodeStatsProvider` (one reading of the cgroups for both); CPU is read here from the cgroups'
 * cumulative counters (v1 `cpuacct.usage`, v2 `cpu.stat` usage_usec; the node from the root cgroup, or
 * /proc/stat when the v2 root has no cpu.stat) and turned into `usageNanoCores` by `CpuRate`, so a rate
 * appears from the second scrape on.
 *
 * Network: a pod's from its sandbox's own network namespace (the runtime's podSandboxNetworkStats; host-network
 * pods have none, as upstream leaves them out), the node's from the kubelet's /proc/net/dev without cAdvisor's
 * ignored devices (lo, veth*, docker*, nerdctl*); the interface named eth0 is also inlined, as upstream does.
 * Filesystems: a container's `rootfs` is its writable layer (the runtime's containerWritableLayer, kept for
 * `fsCacheMs` because it is a walk of the tree) on the capacity of the filesystem holding it, `logs` its log
 * files; a pod's `volume[]` its emptyDirs and `ephemeral-storage` their sum with the logs and writable layers;
 * the node's `fs` is the kubelet's root dir and `runtime.imageFs` the image store. Log and volume sizes are the
 * eviction manager's (one measuring for both).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { NetworkInterfaceStats, WritableLayerUsage } from '../../runtime/runtime.ts';
import type { Observations, StatsProvider } from '../eviction/stats.ts';
import { CpuRate } from './cpu-rate.ts';
import { nodeInterfaces } from './net-dev.ts';

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

export interface InterfaceStats {
  name: string;
  rxBytes?: number;
  rxErrors?: number;
  txBytes?: number;
  txErrors?: number;
}

/** The default interface (eth0) inline, and every interface. */
export interface NetworkStats extends Partial<InterfaceStats> {
  time: string;
  interfaces?: InterfaceStats[];
}

export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

export interface VolumeStats extends FsStats {
  name: string;
}

export interface ContainerStats {
  name: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}

export interface PodStatsSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime?: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  volume?: VolumeStats[];
  'ephemeral-storage'?: FsStats;
}

export interface NodeStats {
  nodeName: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  fs?: FsStats;
  runtime?: { imageFs?: FsStats };
}

export interface Summary {
  node: NodeStats;
  pods: PodStatsSummary[];
}

/** The interface upstream inlines in NetworkStats (network.DefaultInterfaceName). */
const DEFAULT_INTERFACE = 'eth0';

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
  /** The pod's network interfaces (its ready sandbox's); undefined for host-network pods. */
  podNetwork?: (uid: string) => Promise<NetworkInterfaceStats[] | undefined>;
  /** A container's writable layer. */
  writableLayer?: (containerId: string) => Promise<WritableLayerUsage | undefined>;
  /** The image store's use. */
  imageFs?: () => Promise<{ usedBytes: number; capacityBytes: number; availableBytes: number }>;
  /** How long a writable layer's measure is reused (default 10 s, as the eviction stats' du). */
  fsCacheMs?: number;
}

function network(time: string, interfaces: NetworkInterfaceStats[]): NetworkStats {
  const all = [...interfaces].sort((a, b) => a.name.localeCompare(b.name));
  const inline = all.find((i) => i.name === DEFAULT_INTERFACE);
  return { time, ...(inline ?? {}), interfaces: all };
}

/** Capacity and free space of a filesystem from an observation (bytes, and inodes when known). */
function fsOf(time: string, obs: Observations, bytes: 'nodefs.available' | 'imagefs.available', inodes: 'nodefs.inodesFree' | 'imagefs.inodesFree'): FsStats {
  const b = obs[bytes];
  const i = obs[inodes];
  return {
    time,
    ...(b ? { availableBytes: b.available, capacityBytes: b.capacity } : {}),
    ...(i ? { inodesFree: i.available, inodes: i.capacity } : {}),
  };
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
  readonly #layers = new Map<string, { atMs: number; usage: Promise<WritableLayerUsage | undefined> }>();
  readonly #statfs = new Map<string, Promise<FsStats>>();
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

  /** The writable layer of a container, measured at most once per fsCacheMs. */
  #writableLayer(id: string, atMs: number): Promise<WritableLayerUsage | undefined> {
    const ttl = this.#c.fsCacheMs ?? 10_000;
    const hit = this.#layers.get(id);
    if (hit && atMs - hit.atMs < ttl) return hit.usage;
    const usage = this.#c.writableLayer!(id).catch(() => undefined);
    this.#layers.set(id, { atMs, usage });
    return usage;
  }

  /** Capacity and free space of the filesystem holding `dir` (once per scrape). */
  #fsOfDir(dir: string, time: string): Promise<FsStats> {
    let st = this.#statfs.get(dir);
    if (!st) {
      st = fs.statfs(dir).then(
        (s): FsStats => ({ time, availableBytes: s.bavail * s.bsize, capacityBytes: s.blocks * s.bsize, ...(s.files > 0 ? { inodesFree: s.ffree, inodes: s.files } : {}) }),
        (): FsStats => ({ time }),
      );
      this.#statfs.set(dir, st);
    }
    return st;
  }

  async get(): Promise<Summary> {
    const at = this.#c.now();
    const time = at.toISOString().replace(/\.\d+Z$/, 'Z');
    const atMs = at.getTime();
    this.#statfs.clear();
    const observations = await this.#c.stats.observe();
    const obs = observations['memory.available'];
    const node: Summary['node'] = { nodeName: this.#c.nodeName, startTime: this.#bootTime.toISOString().replace(/\.\d+Z$/, 'Z') };
    const nodeCpu = await this.#cpu('', '', time, atMs);
    if (nodeCpu) node.cpu = nodeCpu;
    if (obs) node.memory = { time, availableBytes: obs.available, workingSetBytes: obs.capacity - obs.available };
    const nodeNet = await nodeInterfaces(this.#proc);
    if (nodeNet) node.network = network(time, nodeNet);
    const nodeFs = fsOf(time, observations, 'nodefs.available', 'nodefs.inodesFree');
    if (nodeFs.capacityBytes !== undefined) node.fs = { ...nodeFs, usedBytes: nodeFs.capacityBytes - nodeFs.availableBytes! };
    const image = await this.#c.imageFs?.().catch(() => undefined);
    if (image) {
      const inodes = fsOf(time, observations, 'imagefs.available', 'imagefs.inodesFree');
      node.runtime = { imageFs: { ...inodes, availableBytes: image.availableBytes, capacityBytes: image.capacityBytes, usedBytes: image.usedBytes } };
    }
    const pods = this.#c.pods();
    const usage = await this.#c.stats.podStats(pods);
    const keep = new Set<string>(['']);
    const liveIds = new Set<string>();
    const out: PodStatsSummary[] = [];
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      const figures = usage.get(uid);
      const cgroup = await this.#podCgroup(uid);
      if (!figures || !cgroup) continue;
      keep.add(uid);
      const ids = this.#c.containerIds(uid);
      const containers: ContainerStats[] = [];
      // Where logs and emptyDirs live: the kubelet's root filesystem.
      const nodefs = { ...nodeFs };
      let ephemeral = figures.ephemeralBytes;
      for (const c of pod.spec?.containers ?? []) {
        const id = ids.get(c.name);
        const usage = figures.containers.find((x) => x.name === c.name);
        const ws = usage?.memoryWorkingSetBytes;
        if (!id || ws === undefined) continue;
        const key = `${uid}/${id}`;
        keep.add(key);
        liveIds.add(id);
        const status = pod.status?.containerStatuses?.find((s) => s.name === c.name);
        const stats: ContainerStats = {
          name: c.name,
          ...(status?.state?.running?.startedAt ? { startTime: status.state.running.startedAt as unknown as string } : {}),
          cpu: await this.#cpu(key, `${cgroup}/${id}`, time, atMs),
          memory: { time, workingSetBytes: ws },
        };
        const layer = this.#c.writableLayer ? await this.#writableLayer(id, atMs) : undefined;
        if (layer) {
          const holder = await this.#fsOfDir(layer.mountpoint, time);
          stats.rootfs = { ...holder, usedBytes: layer.usedBytes, inodesUsed: layer.inodesUsed };
          ephemeral += layer.usedBytes;
        }
        if (usage?.logsBytes !== undefined) stats.logs = { ...nodefs, usedBytes: usage.logsBytes };
        containers.push(stats);
      }
      const pstats: PodStatsSummary = {
        podRef: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid },
        ...(pod.status?.startTime ? { startTime: pod.status.startTime as unknown as string } : {}),
        containers,
        cpu: await this.#cpu(uid, cgroup, time, atMs),
        memory: { time, workingSetBytes: figures.memoryWorkingSetBytes },
      };
      const interfaces = pod.spec?.hostNetwork ? undefined : await this.#c.podNetwork?.(uid).catch(() => undefined);
      if (interfaces) pstats.network = network(time, interfaces);
      if (figures.volumes.length > 0) {
        pstats.volume = figures.volumes.map((v) => {
          const memory = pod.spec?.volumes?.find((x) => x.name === v.name)?.emptyDir?.medium === 'Memory';
          return { ...(memory ? { time } : nodefs), usedBytes: v.usedBytes, name: v.name };
        });
      }
      pstats['ephemeral-storage'] = { ...nodefs, usedBytes: ephemeral };
      out.push(pstats);
    }
    this.#rates.retain(keep);
    for (const id of this.#layers.keys()) if (!liveIds.has(id)) this.#layers.delete(id);
    return { node, pods: out };
  }
}
