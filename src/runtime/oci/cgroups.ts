/**
 * Cgroups for pods and containers on both layouts a node may have: cgroup v2 (one unified tree under
 * /sys/fs/cgroup) and v1, also "hybrid" v1 (one tree per controller plus a cgroup2 mount at unified/). crun
 * creates and removes each container's own cgroup (`cgroupsPath` = `<pod cgroup>/<container id>`); this
 * module owns the pod-level cgroup: its limits, reading OOM kills and the pids of a cgroup, and removing the
 * pod cgroup in every hierarchy so nothing is left behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError, type LinuxResources } from '../runtime.ts';
import { killQuiet } from './processes.ts';

export interface CgroupLayout {
  version: 1 | 2;
  root: string;
  /** Every hierarchy mount directory (v1: one per controller, plus `unified` and named ones). */
  hierarchies: string[];
}

export function detectCgroupLayout(root = '/sys/fs/cgroup'): CgroupLayout {
  if (existsSync(join(root, 'cgroup.controllers'))) return { version: 2, root, hierarchies: [root] };
  const hierarchies: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (existsSync(join(dir, 'cgroup.procs'))) hierarchies.push(dir);
  }
  return { version: 1, root, hierarchies };
}

/** A safe relative cgroup path: no leading slash, no `..`, no empty parts. */
export function normaliseCgroupPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  if (parts.some((p) => p === '..' || p === '.')) throw new RuntimeError('InvalidArgument', `invalid cgroup path ${JSON.stringify(path)}`);
  return parts.join('/');
}

function controllerDir(layout: CgroupLayout, controller: string, path: string): string {
  return layout.version === 2 ? join(layout.root, path) : join(layout.root, controller, path);
}

function writeIfPresent(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Enables `controllers` in the subtree of every ancestor of `path` (v2 needs it before limits can be set). */
function enableControllers(layout: CgroupLayout, path: string, controllers: string[]): void {
  const parts = path.split('/');
  let dir = layout.root;
  for (let i = 0; i < parts.length; i++) {
    let available: string[] = [];
    try {
      available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
    } catch {}
    const want = controllers.filter((c) => available.includes(c));
    if (want.length) {
      try {
        writeFileSync(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
      } catch {}
    }
    dir = join(dir, parts[i]!);
    mkdirSync(dir, { recursive: true });
  }
}

/**
 * Creates the pod cgroup and applies pod-level limits. Sync file calls inside: a dozen tiny cgroupfs
 * operations on every pod start, each cheaper than a round trip through libuv's thread pool.
 */
export async function setupPodCgroup(layout: CgroupLayout, path: string, r: LinuxResources | undefined): Promise<void> {
  if (layout.version === 2) {
    enableControllers(layout, path, ['cpu', 'memory', 'pids', 'cpuset']);
    const dir = join(layout.root, path);
    mkdirSync(dir, { recursive: true });
    if (!r) return;
    if (r.memoryLimitInBytes) writeIfPresent(join(dir, 'memory.max'), String(r.memoryLimitInBytes));
    if (r.cpuQuota && r.cpuQuota > 0) writeIfPresent(join(dir, 'cpu.max'), `${r.cpuQuota} ${r.cpuPeriod || 100000}`);
    if (r.cpuShares) writeIfPresent(join(dir, 'cpu.weight'), String(sharesToWeight(r.cpuShares)));
    if (r.pidsLimit && r.pidsLimit > 0) writeIfPresent(join(dir, 'pids.max'), String(r.pidsLimit));
    return;
  }
  for (const h of layout.hierarchies) mkdirSync(join(h, path), { recursive: true });
  if (!r) return;
  if (r.memoryLimitInBytes) writeIfPresent(join(controllerDir(layout, 'memory', path), 'memory.limit_in_bytes'), String(r.memoryLimitInBytes));
  if (r.cpuShares) writeIfPresent(join(controllerDir(layout, 'cpu', path), 'cpu.shares'), String(r.cpuShares));
  if (r.cpuQuota && r.cpuQuota > 0) {
    writeIfPresent(join(controllerDir(layout, 'cpu', path), 'cpu.cfs_period_us'), String(r.cpuPeriod || 100000));
    writeIfPresent(join(controllerDir(layout, 'cpu', path), 'cpu.cfs_quota_us'), String(r.cpuQuota));
  }
  if (r.pidsLimit && r.pidsLimit > 0) writeIfPresent(join(controllerDir(layout, 'pids', path), 'pids.max'), String(r.pidsLimit));
}

/** crun's and the kubelet's conversion from v1 shares (2..262144) to v2 weight (1..10000). */
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((Math.min(Math.max(shares, 2), 262144) - 2) * 9999) / 262142);
}

/** Whether the kernel OOM-killed a process in the cgroup (v2 memory.events, v1 memory.oom_control). */
export function cgroupOomKilled(layout: CgroupLayout, path: string): boolean {
  try {
    if (layout.version === 2) {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(layout.root, path, 'memory.events'), 'utf8'));
      return !!m && Number(m[1]) > 0;
    }
    const text = readFileSync(join(layout.root, 'memory', path, 'memory.oom_control'), 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return !!m && Number(m[1]) > 0;
  } catch {
    return false;
  }
}

/**
 * Host pids of every process in a cgroup and in the cgroups below it (a nested runtime in a container may
 * have made some); empty when the cgroup is gone.
 */
export async function cgroupPids(layout: CgroupLayout, path: string): Promise<number[]> {
  const dirs = layout.version === 2 ? [join(layout.root, path)] : [join(layout.root, 'pids', path), join(layout.root, 'memory', path)];
  for (const dir of dirs) {
    const pids = await treePids(dir);
    if (pids) return pids;
  }
  return [];
}

async function treePids(dir: string): Promise<number[] | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'cgroup.procs'), 'utf8');
  } catch {
    return undefined;
  }
  const pids = text.split('\n').filter(Boolean).map(Number);
  const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const c of children) if (c.isDirectory()) pids.push(...((await treePids(join(dir, c.name))) ?? []));
  return pids;
}

/**
 * SIGKILLs whatever is still in a cgroup or below it, as `crun delete -f` does: v2's cgroup.kill (kernel
 * 5.14+) takes the whole subtree at once, even processes forking meanwhile; otherwise each listed pid.
 */
async function killCgroup(layout: CgroupLayout, path: string): Promise<void> {
  if (layout.version === 2) {
    try {
      await writeFile(join(layout.root, path, 'cgroup.kill'), '1', { flag: 'r+' });
      return;
    } catch {
      // The cgroup is gone (nothing to kill), or the kernel predates cgroup.kill: kill pid by pid.
      if (!existsSync(join(layout.root, path))) return;
    }
  }
  for (const pid of await cgroupPids(layout, path)) killQuiet(pid, 'SIGKILL');
}

async function rmdirTree(dir: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => rmdirTree(join(dir, e.name))));
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // EBUSY: a process that was just killed has not left the cgroup yet.
      if (code !== 'EBUSY' || attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Removes a cgroup (and any child cgroups left behind) in every hierarchy, killing what still runs there. */
export async function removeCgroup(layout: CgroupLayout, path: string): Promise<void> {
  if (!path) return;
  await killCgroup(layout, path);
  await Promise.all(layout.hierarchies.map((h) => rmdirTree(join(h, path))));
}

/** Whether the cgroup exists in any hierarchy (tests use this to prove nothing is left). */
export function cgroupExists(layout: CgroupLayout, path: string): boolean {
  return layout.hierarchies.some((h) => existsSync(join(h, path)));
}

/**
 * v1's cpuset needs cpus and mems in every cgroup before a process may join it (a fresh one has none):
 * each empty level from the root down to `path` takes its parent's, as crun does for the cgroups it makes.
 */
function fillCpuset(hierarchy: string, path: string): void {
  let parent = hierarchy;
  for (const part of path.split('/')) {
    const dir = join(parent, part);
    mkdirSync(dir, { recursive: true });
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (readFileSync(join(dir, f), 'utf8').trim() === '') writeFileSync(join(dir, f), readFileSync(join(parent, f), 'utf8').trim());
    }
    parent = dir;
  }
}

/**
 * Moves every process of cgroup `from` into `to` (made where missing) in each hierarchy that holds `from`,
 * then removes `from`'s tree. A cgroup cannot be renamed into another parent, so a pooled sandbox's pause
 * joins its pod's cgroup this way when a pod takes it.
 */
export async function moveCgroupProcesses(layout: CgroupLayout, from: string, to: string, fromRoot: string): Promise<void> {
  if (layout.version === 2) enableControllers(layout, to, ['cpu', 'memory', 'pids', 'cpuset']);
  for (const h of layout.hierarchies) {
    const src = join(h, from);
    if (!existsSync(src)) continue;
    if (layout.version === 1 && existsSync(join(h, 'cpuset.cpus'))) fillCpuset(h, to);
    else mkdirSync(join(h, to), { recursive: true });
    const pids = readFileSync(join(src, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    // One pid per write: cgroup.procs takes a single process at a time.
    for (const pid of pids) writeFileSync(join(h, to, 'cgroup.procs'), pid);
  }
  await removeCgroup(layout, fromRoot);
}
