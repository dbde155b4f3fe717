/**
 * Writes a cgroup's settings on either layout, as upstream's cgroupfs driver does for the kubelet's own
 * cgroups: v1 (one hierarchy per controller under the root: cpu.shares, memory.limit_in_bytes, pids.max) or
 * v2 (one tree: cpu.weight converted from shares, memory.max, pids.max, with the controllers enabled in each
 * ancestor's cgroup.subtree_control first). The pod cgroups below are the runtime's; only the kubelet's QoS
 * parents are written here.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { cpuSharesToCpuWeight, type CgroupSettings } from './qos-cgroups.ts';

const V2_CONTROLLERS = ['cpu', 'memory', 'pids'];

export class CgroupFs {
  readonly root: string;
  #v2: boolean | undefined;

  /** `root` is the cgroup filesystem's mount (default /sys/fs/cgroup); tests point it at a fake tree. */
  constructor(root = '/sys/fs/cgroup') {
    this.root = root;
  }

  async isV2(): Promise<boolean> {
    this.#v2 ??= await fs.access(path.join(this.root, 'cgroup.controllers')).then(
      () => true,
      () => false,
    );
    return this.#v2;
  }

  /** Creates `rel` (relative, e.g. `kubepods/burstable`) where needed and writes its settings. */
  async apply(rel: string, s: CgroupSettings): Promise<void> {
    if (await this.isV2()) return this.#applyV2(rel, s);
    const set = async (controller: string, file: string, value: number | undefined) => {
      if (value === undefined) return;
      const dir = path.join(this.root, controller, rel);
      // A host without this controller mounted (no pids hierarchy on old kernels) keeps the default.
      if (!(await exists(path.join(this.root, controller)))) return;
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, file), String(value));
    };
    await set('cpu', 'cpu.shares', s.cpuShares);
    await set('memory', 'memory.limit_in_bytes', s.memoryLimitInBytes);
    await set('pids', 'pids.max', s.pidsLimit);
  }

  async #applyV2(rel: string, s: CgroupSettings): Promise<void> {
    let dir = this.root;
    for (const part of rel.split('/').filter(Boolean)) {
      await enableControllers(dir);
      dir = path.join(dir, part);
      await fs.mkdir(dir, { recursive: true });
    }
    const write = async (file: string, value: number | undefined) => {
      if (value !== undefined) await fs.writeFile(path.join(dir, file), String(value));
    };
    await write('cpu.weight', s.cpuShares === undefined ? undefined : cpuSharesToCpuWeight(s.cpuShares));
    await write('memory.max', s.memoryLimitInBytes);
    await write('pids.max', s.pidsLimit);
  }

  /** Removes `rel` and the cgroups below it in every hierarchy (tests' cleanup; the kubelet keeps its QoS tree). */
  async remove(rel: string): Promise<void> {
    const dirs = (await this.isV2())
      ? [path.join(this.root, rel)]
      : (await fs.readdir(this.root)).map((h) => path.join(this.root, h, rel));
    for (const dir of dirs) await rmdirTree(dir);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** v2: a child gets cpu/memory/pids files only once its parent lists them in cgroup.subtree_control. */
async function enableControllers(dir: string): Promise<void> {
  const available = (await fs.readFile(path.join(dir, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  const enabled = (await fs.readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8').catch(() => '')).split(/\s+/);
  const want = V2_CONTROLLERS.filter((c) => available.includes(c) && !enabled.includes(c));
  if (want.length) await fs.writeFile(path.join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
}

async function rmdirTree(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return;
  for (const e of entries) if (e.isDirectory()) await rmdirTree(path.join(dir, e.name));
  await fs.rmdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
