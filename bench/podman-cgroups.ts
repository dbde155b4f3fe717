/**
 * podman 4 with the cgroupfs manager on a cgroup v1 host leaves an empty `libpod_parent/<id>` cgroup in the
 * name=systemd and unified hierarchies for every container it ran (thousands after a few bench runs, which
 * the next runs then pay for). The benches remove the empty ones that appeared while they ran.
 */
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

function podmanCgroups(): Set<string> {
  const out = new Set<string>();
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync(ROOT);
  } catch {
    return out;
  }
  for (const h of hierarchies) {
    const parent = join(ROOT, h, 'libpod_parent');
    try {
      for (const e of readdirSync(parent, { withFileTypes: true })) if (e.isDirectory()) out.add(join(parent, e.name));
    } catch {}
  }
  return out;
}

/** The podman cgroups present now; pass them to `removeNewPodmanCgroups` when the bench is done. */
export function podmanCgroupsBefore(): Set<string> {
  return podmanCgroups();
}

/** Removes the empty podman cgroups made since `before` (rmdir refuses any that still hold a process). */
export function removeNewPodmanCgroups(before: Set<string>): void {
  for (const dir of podmanCgroups()) {
    if (before.has(dir)) continue;
    try {
      rmdirSync(dir);
    } catch {}
  }
}
