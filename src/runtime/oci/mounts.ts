/**
 * Host mounts the runtime reads and makes outside of a pod: the tmpfs that holds the runtime's volatile
 * state, a read-only view of the OCI runtime binary, and unmounting what lies under a data directory before
 * it is removed.
 *
 * Volatile state (records, bundles, crun's state, exit files, sockets, leases) lives in memory, as it does
 * under /run with CRI-O and containerd: a pod start writes a few dozen small files and directories, and on a
 * disk filesystem each costs a journal commit (here, half of a pod start's time). None of it outlives a
 * reboot, and nothing it describes does either. Container writable layers and logs stay on disk.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  /** The filesystem's own options (the field after the source), e.g. `rw,nsdelegate` for cgroup2. */
  superOptions: string[];
}

/** A mountinfo text's mount points (octal escapes decoded) with their filesystem types and options. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0) continue;
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ mountPoint: unescape(fields[4]!), fsType: fields[sep + 1]!, superOptions: (fields[sep + 3] ?? '').split(',') });
  }
  return out;
}

/** This process's mount table, from /proc/self/mountinfo. */
export function mountTable(): MountEntry[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** The type of the filesystem `path` (an existing path) is on: that of its deepest enclosing mount. */
export function filesystemType(path: string): string {
  const real = realpathSync(path);
  let best: MountEntry | undefined;
  for (const m of mountTable()) {
    const inside = real === m.mountPoint || real.startsWith(m.mountPoint === '/' ? '/' : `${m.mountPoint}/`);
    // Later entries are mounted over earlier ones at the same point.
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best?.fsType ?? '';
}

/** Makes `dir` (created 0700) a tmpfs mount unless it is on a tmpfs already. Returns whether it mounted. */
export function ensureTmpfs(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (filesystemType(dir) === 'tmpfs') return false;
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0700,nosuid,nodev,size=512m', 'kubeling-state', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return true;
}

/**
 * Unmounts (lazily, deepest first) every mount at or under `dir`: call before removing a data directory
 * whose runtime has stopped, so that neither the state tmpfs nor anything a crashed test left stays mounted.
 */
export function unmountUnder(dir: string): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return;
  }
  const points = mountTable()
    .map((m) => m.mountPoint)
    .filter((p) => p === real || p.startsWith(`${real}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of new Set(points)) {
    try {
      execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch {}
  }
}

/**
 * A read-only bind mount of an OCI runtime binary at `<dir>/<its name>`, made once (remade when the binary
 * was replaced), or undefined when it cannot be made.
 *
 * Why: crun and runc defend against CVE-2019-5736 (a container overwriting the host's runtime binary
 * through /proc/self/exe) by re-executing themselves from a sealed or read-only copy on every create, run
 * and exec: two host mounts and a second load of their shared libraries, about 2 ms a call and two calls
 * per pod start. Run from a read-only mount, with _LIBCONTAINER_CLONED_BINARY=1 in their environment, they
 * are already safe from it and skip the copy (crun's and runc's cloned_binary.c read exactly these two).
 */
export function readOnlyBinary(binary: string, dir: string): string | undefined {
  try {
    const source = realpathSync(binary);
    const target = join(dir, basename(source));
    const mounted = mountTable().some((m) => m.mountPoint === target);
    if (mounted) {
      const [a, b] = [statSync(source), statSync(target)];
      if (a.ino === b.ino && a.dev === b.dev) return target;
      execFileSync('umount', ['-l', target], { stdio: 'ignore' });
    }
    mkdirSync(dir, { recursive: true });
    if (!existsSync(target)) writeFileSync(target, '');
    execFileSync('mount', ['--bind', source, target], { stdio: 'ignore' });
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', target], { stdio: 'ignore' });
    } catch (err) {
      execFileSync('umount', ['-l', target], { stdio: 'ignore' });
      throw err;
    }
    return target;
  } catch {
    return undefined;
  }
}
