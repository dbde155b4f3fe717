/**
 * Host mounts the runtime reads and makes outside of a pod: the tmpfs that holds the runtime's volatile
 * state, and unmounting what lies under a data directory before it is removed.
 *
 * Volatile state (records, bundles, crun's state, exit files, sockets, leases) lives in memory, as it does
 * under /run with CRI-O and containerd: a pod start writes a few dozen small files and directories, and on a
 * disk filesystem each costs a journal commit (here, half of a pod start's time). None of it outlives a
 * reboot, and nothing it describes does either. Container writable layers and logs stay on disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';

interface MountEntry {
  mountPoint: string;
  fsType: string;
}

/** /proc/self/mountinfo's mount points (octal escapes decoded) with their filesystem types. */
export function mountTable(): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0) continue;
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ mountPoint: unescape(fields[4]!), fsType: fields[sep + 1]! });
  }
  return out;
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
