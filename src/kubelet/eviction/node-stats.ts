/**
 * The machine's figures for eviction, read as cAdvisor reads them for the kubelet:
 *
 *   memory.available   capacity − working set of the root memory cgroup (usage − inactive_file; cgroup v1
 *                      `memory.usage_in_bytes`/`total_inactive_file`, v2 from /proc/meminfo, which is what the
 *                      root cgroup would say)
 *   nodefs / imagefs   statfs of the kubelet's root dir and of the image store (bytes and inodes)
 *   pid.available      kernel.pid_max − the number of processes
 *   pods               working set of `kubepods[/burstable|/besteffort]/pod<uid>` and each container's cgroup
 *                      below it (v1 memory hierarchy or the v2 tree), emptyDir sizes (du), the pod's logs
 *                      (per container: logs/<ns>_<name>_<uid>/<container>)
 *
 * The eviction manager and the Summary (each scrape) both ask for pod figures: `du` results are kept for
 * `diskUsageCacheMs` so that a walk of a tree happens at most once in that time, however often they ask.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ContainerUsage } from './rank.ts';
import type { Observations, PodStats, StatsProvider } from './stats.ts';

export interface NodeStatsProviderConfig {
  /** The kubelet's root dir (nodefs). */
  rootDir: string;
  /** The image store's dir (imagefs; default the root dir). */
  imageFsDir?: string;
  /** pods/<uid>/volumes/kubernetes.io~empty-dir/<name> */
  emptyDirPath: (uid: string, volume: string) => string;
  /** The pod's log dir (logs/<ns>_<name>_<uid>). */
  podLogDir: (pod: IPod) => string;
  /** The ids of the pod's containers by name (newest instance), from the runtime status cache. */
  containerIds: (uid: string) => Map<string, string>;
  /** Default /sys/fs/cgroup; tests point it at a fake tree. */
  cgroupRoot?: string;
  procRoot?: string;
  /** How long a measured tree's size is reused (default 10 s; 0 measures every time). */
  diskUsageCacheMs?: number;
  /** Milliseconds now (default Date.now). */
  now?: () => number;
}

async function read(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

function statField(stat: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(stat);
  return m ? Number(m[1]) : 0;
}

/** Bytes used by a tree, as `du` counts them (allocated blocks; hard links once). */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p, { bigint: false }).catch(() => undefined);
    if (!st) return;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    total += st.blocks * 512;
    if (st.isDirectory()) {
      const entries = await fs.readdir(p).catch(() => [] as string[]);
      for (const e of entries) await walk(path.join(p, e));
    }
  };
  await walk(dir);
  return total;
}

export class NodeStatsProvider implements StatsProvider {
  readonly #c: NodeStatsProviderConfig;
  readonly #cg: string;
  readonly #proc: string;
  #v2: boolean | undefined;
  readonly #du = new Map<string, { atMs: number; bytes: Promise<number> }>();

  constructor(config: NodeStatsProviderConfig) {
    this.#c = config;
    this.#cg = config.cgroupRoot ?? '/sys/fs/cgroup';
    this.#proc = config.procRoot ?? '/proc';
  }

  async #isV2(): Promise<boolean> {
    this.#v2 ??= (await read(path.join(this.#cg, 'cgroup.controllers'))) !== undefined;
    return this.#v2;
  }

  /** diskUsage of `dir`, reused for diskUsageCacheMs (also by a concurrent caller). */
  #diskUsage(dir: string): Promise<number> {
    const now = (this.#c.now ?? Date.now)();
    const hit = this.#du.get(dir);
    if (hit && now - hit.atMs < (this.#c.diskUsageCacheMs ?? 10_000)) return hit.bytes;
    for (const [k, v] of this.#du) if (now - v.atMs >= (this.#c.diskUsageCacheMs ?? 10_000)) this.#du.delete(k);
    const bytes = diskUsage(dir);
    this.#du.set(dir, { atMs: now, bytes });
    return bytes;
  }

  /** The pod's log dir: each entry's size (containers' dirs by name) and the total. */
  async #logs(dir: string): Promise<{ total: number; byEntry: Map<string, number> }> {
    const byEntry = new Map<string, number>();
    const entries = await fs.readdir(dir).catch(() => [] as string[]);
    let total = 0;
    for (const e of entries) {
      const bytes = await this.#diskUsage(path.join(dir, e));
      byEntry.set(e, bytes);
      total += bytes;
    }
    return { total, byEntry };
  }

  /** The memory controller's dir of a relative cgroup path. */
  async #memDir(rel: string): Promise<string> {
    return (await this.#isV2()) ? path.join(this.#cg, rel) : path.join(this.#cg, 'memory', rel);
  }

  /** usage − inactive_file of a cgroup, or undefined when it does not exist. */
  async #workingSet(rel: string): Promise<number | undefined> {
    const dir = await this.#memDir(rel);
    const v2 = await this.#isV2();
    const usage = await read(path.join(dir, v2 ? 'memory.current' : 'memory.usage_in_bytes'));
    if (usage === undefined) return undefined;
    const stat = (await read(path.join(dir, 'memory.stat'))) ?? '';
    const inactive = statField(stat, v2 ? 'inactive_file' : 'total_inactive_file');
    return Math.max(0, Number(usage.trim()) - inactive);
  }

  async observe(): Promise<Observations> {
    const meminfo = (await read(path.join(this.#proc, 'meminfo'))) ?? '';
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
    const capacity = kb('MemTotal');
    let workingSet = (await this.#isV2()) ? undefined : await this.#workingSet('');
    workingSet ??= capacity - kb('MemFree') - kb('Inactive\\(file\\)');
    const obs: Observations = { 'memory.available': { available: Math.max(0, capacity - workingSet), capacity } };
    const fsObs = async (dir: string, bytesKey: 'nodefs.available' | 'imagefs.available', inodesKey: 'nodefs.inodesFree' | 'imagefs.inodesFree') => {
      const st = await fs.statfs(dir).catch(() => undefined);
      if (!st) return;
      obs[bytesKey] = { available: st.bavail * st.bsize, capacity: st.blocks * st.bsize };
      if (st.files > 0) obs[inodesKey] = { available: st.ffree, capacity: st.files };
    };
    await fsObs(this.#c.rootDir, 'nodefs.available', 'nodefs.inodesFree');
    await fsObs(this.#c.imageFsDir ?? this.#c.rootDir, 'imagefs.available', 'imagefs.inodesFree');
    const pidMax = Number((await read(path.join(this.#proc, 'sys/kernel/pid_max')))?.trim() ?? 0);
    if (pidMax > 0) {
      const procs = (await fs.readdir(this.#proc).catch(() => [] as string[])).filter((e) => /^\d+$/.test(e)).length;
      obs['pid.available'] = { available: pidMax - procs, capacity: pidMax };
    }
    return obs;
  }

  async #podCgroup(uid: string): Promise<string | undefined> {
    for (const rel of [`kubepods/pod${uid}`, `kubepods/burstable/pod${uid}`, `kubepods/besteffort/pod${uid}`]) {
      if (await fs.stat(await this.#memDir(rel)).then(() => true, () => false)) return rel;
    }
    return undefined;
  }

  async podStats(pods: IPod[]): Promise<Map<string, PodStats>> {
    const out = new Map<string, PodStats>();
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      const cgroup = await this.#podCgroup(uid);
      if (!cgroup) continue;
      const memory = (await this.#workingSet(cgroup)) ?? 0;
      const ids = this.#c.containerIds(uid);
      const containers: ContainerUsage[] = [];
      const logs = await this.#logs(this.#c.podLogDir(pod));
      for (const c of pod.spec?.containers ?? []) {
        const id = ids.get(c.name);
        const ws = id ? await this.#workingSet(`${cgroup}/${id}`) : undefined;
        containers.push({ name: c.name, ...(ws !== undefined ? { memoryWorkingSetBytes: ws } : {}), logsBytes: logs.byEntry.get(c.name) ?? 0 });
      }
      const volumes = [];
      let diskVolumes = 0;
      for (const v of pod.spec?.volumes ?? []) {
        if (!v.emptyDir) continue;
        const usedBytes = await this.#diskUsage(this.#c.emptyDirPath(uid, v.name));
        volumes.push({ name: v.name, usedBytes });
        if (v.emptyDir.medium !== 'Memory') diskVolumes += usedBytes;
      }
      const pidsRaw = await read(path.join((await this.#isV2()) ? path.join(this.#cg, cgroup) : path.join(this.#cg, 'pids', cgroup), 'pids.current'));
      out.set(uid, {
        memoryWorkingSetBytes: memory,
        ephemeralBytes: logs.total + diskVolumes,
        processes: Number(pidsRaw?.trim() ?? 0),
        containers,
        volumes,
      });
    }
    return out;
  }
}
