/**
 * A tiny initramfs for the test VMs, built at test time without any tool: a "newc" cpio archive (the format
 * the kernel unpacks; uncompressed, which every kernel accepts) holding busybox-static, an /init script, and
 * the kernel modules the guest needs before it can reach the host's files, taken from the installed
 * linux-image package with their dependencies resolved through `modules.dep`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; content: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function record(ino: number, mode: number, name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
  const header = Buffer.from('070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join(''), 'ascii');
  return Buffer.concat([
    header,
    nameBytes,
    Buffer.alloc(pad4(header.length + nameBytes.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ]);
}

/** A newc cpio archive of `entries` (owned by root); parents must come before their children. */
export function cpioArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (!path || path.split('/').includes('..')) throw new Error(`cpio: bad path ${JSON.stringify(e.path)}`);
    if (e.type === 'dir') parts.push(record(ino++, S_IFDIR | (e.mode ?? 0o755), path, Buffer.alloc(0)));
    else if (e.type === 'file') parts.push(record(ino++, S_IFREG | (e.mode ?? 0o644), path, Buffer.from(e.content)));
    else parts.push(record(ino++, S_IFLNK | 0o777, path, Buffer.from(e.target)));
  }
  parts.push(record(0, 0, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/**
 * The module files (paths relative to `modulesDir`) that loading `names` needs, dependencies first, each
 * once. Names are module names as `modprobe` takes them (`9pnet_virtio`; `-` and `_` are the same).
 * Throws when a module is not in modules.dep (not built as a module for this kernel).
 */
export function moduleLoadOrder(modulesDir: string, names: string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const file = line.slice(0, colon);
    deps.set(
      file,
      line
        .slice(colon + 1)
        .split(/\s+/)
        .filter(Boolean),
    );
    byName.set(moduleName(file), file);
  }
  const order: string[] = [];
  const visit = (file: string) => {
    if (order.includes(file)) return;
    for (const d of deps.get(file) ?? []) visit(d);
    order.push(file);
  };
  for (const n of names) {
    const file = byName.get(n.replace(/-/g, '_'));
    if (!file) throw new Error(`kernel module ${n} not found in ${modulesDir}/modules.dep`);
    visit(file);
  }
  return order;
}

function moduleName(file: string): string {
  return file
    .slice(file.lastIndexOf('/') + 1)
    .replace(/\.ko(\.\w+)?$/, '')
    .replace(/-/g, '_');
}
