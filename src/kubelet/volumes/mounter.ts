/**
 * The few mount operations volumes need (tmpfs for Memory emptyDirs and secrets), behind an interface so
 * unit tests run without root. SystemMounter calls mount(8)/umount(8); Node has no mount syscall.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Mounter {
  /** Mounts a tmpfs on `dir` (which exists); `sizeBytes` caps it, otherwise the kernel default applies. */
  mountTmpfs(dir: string, sizeBytes?: number): Promise<void>;
  /** Unmounts `dir` if something is mounted there; idempotent. */
  unmount(dir: string): Promise<void>;
  isMountPoint(dir: string): Promise<boolean>;
  /** Mount points at or under `dir`, deepest first (the order to unmount them). */
  mountsUnder(dir: string): Promise<string[]>;
}

export class SystemMounter implements Mounter {
  async mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
    const opts = ['mode=0777', ...(sizeBytes ? [`size=${sizeBytes}`] : [])];
    await run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir]);
  }

  async unmount(dir: string): Promise<void> {
    if (!(await this.isMountPoint(dir))) return;
    await run('umount', [dir]);
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
