/**
 * The host's device nodes for a privileged container, as containerd's `WithDevices(HostDevices)` gives it:
 * every character and block device under /dev (not the pseudo-terminal, shm, mqueue and fd trees, and not the
 * devices every container gets anyway), as OCI `linux.devices` entries the runtime recreates in the
 * container's /dev with the host's numbers, mode and owner.
 */
import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
/** Created by the OCI runtime in every container already (the spec's default devices). */
const DEFAULT_DEVICES = new Set(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'console', 'ptmx']);

/** Linux's major/minor from a dev_t (glibc's gnu_dev_major/minor). */
export function splitDevice(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

export function hostDevices(root = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = lstatSync(p, { bigint: true });
      } catch {
        continue; // gone since readdir
      }
      if (st.isDirectory()) {
        if (!SKIPPED_DIRS.has(r)) walk(p, r);
        continue;
      }
      if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
      if (!rel && DEFAULT_DEVICES.has(name)) continue;
      out.push({
        path: `/dev/${r}`,
        type: st.isCharacterDevice() ? 'c' : 'b',
        ...splitDevice(st.rdev),
        fileMode: Number(st.mode & 0o777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
      });
    }
  };
  walk(root, '');
  return out;
}
