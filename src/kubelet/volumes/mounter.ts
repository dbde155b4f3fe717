/**
 * The few mount operations volumes need (tmpfs for Memory emptyDirs and secrets), behind an interface so
 * unit tests run without root. SystemMounter calls mount(8)/umount(8); Node has no mount syscall.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Mounter {
  /** Mounts a tmpfs on `dir` (which exists); `sizeBytes` caps it, otherwise the kernel default applies. */
  mountTmpfs(dir: string, sizeBytes?: number): Promise<void>;
  /** Unmounts `dir` if something is mounted there; idempotent. */
  unmount(dir: string): Promise<void>;
  isMountPoint(dir: string): Promise<boolean>;
  /** Mount points at or under `dir`, deepest first (the order to unmount them). */
  mountsUnder(dir: string): Promise<string[]>;
}

/** Runs a short command to completion, rejecting when it fails. */
export type RunCommand = (cmd: string, args: string[]) => Promise<unknown>;

export class SystemMounter implements Mounter {
  #run: RunCommand;

  /**
   * `run` starts mount(8) and umount(8); by default execFile, which forks this process. A node passes its
   * helper shells instead (runtime/oci/spawner.ts): forking a busy Node process costs several milliseconds
   * of its main thread, and every pod mounts a tmpfs for its service account token.
   */
  constructor(run: RunCommand = (cmd, args) => execFileAsync(cmd, args)) {
    this.#run = run;
  }

  async mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
    const opts = ['mode=0777', ...(sizeBytes ? [`size=${sizeBytes}`] : [])];
    await this.#run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir]);
  }

  async unmount(dir: string): Promise<void> {
    if (!(await this.isMountPoint(dir))) return;
    await this.#run('umount', [dir]);
  }

  async isMountPoint(dir: string): Promise<boolean> {
    return (await mountPoints()).includes(dir);
  }

  async mountsUnder(dir: string): Promise<string[]> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    return (await mountPoints()).filter((m) => m === dir || m.startsWith(prefix)).sort((a, b) => b.length - a.length);
  }
}

/** Mount points of this mount namespace, from /proc/self/mountinfo (field 5, octal escapes decoded). */
async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** A Mounter that only records, for unit tests. */
export class FakeMounter implements Mounter {
  readonly mounts = new Map<string, number | undefined>();

  async mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
    this.mounts.set(dir, sizeBytes);
  }

  async unmount(dir: string): Promise<void> {
    this.mounts.delete(dir);
  }

  async isMountPoint(dir: string): Promise<boolean> {
    return this.mounts.has(dir);
  }

  async mountsUnder(dir: string): Promise<string[]> {
    return [...this.mounts.keys()]
      .filter((m) => m === dir || m.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
  }
}
