/**
 * Makes moving a process into a cgroup cheap on the node, with the cgroup filesystem's `favordynmods` mount
 * option (Linux 6.0 and later).
 *
 * Without it, every migration takes the kernel's global cgroup_threadgroup_rwsem for writing, which waits
 * for an RCU grace period: 6 to 14 ms on a quiet node, measured with one `echo PID > cgroup.procs`. crun
 * writes each container's first process into its cgroup on cgroup v1 (and on v2 when it cannot clone it
 * there), so a pod start waited for two grace periods (pause and container) in a row, a third of its time.
 * With the option set a migration takes about 0.3 ms. The kernel documents the trade: dynamic cgroup
 * changes become cheap, fork and exit slightly dearer; right for a node whose work is starting containers.
 *
 * The option is global to the kernel and on recent kernels cannot be turned off again until reboot, so it
 * is set only where the node may change kernel settings, as a kubelet adjusts sysctls unless started with
 * --protect-kernel-defaults.
 */
import { execFileSync } from 'node:child_process';
import { mountTable, type MountEntry } from './mounts.ts';

/**
 * The mount to set the option on, from a mount table: the cgroup2 one (hybrid nodes have it at
 * unified/), or any cgroup mount that has the option already. cgroup v1 refuses option changes on a remount,
 * so a node with no cgroup2 mount keeps what it booted with.
 */
export function favorDynmodsTarget(mounts: MountEntry[]): { mountPoint: string; enabled: boolean } | undefined {
  let v2: { mountPoint: string; enabled: boolean } | undefined;
  for (const m of mounts) {
    if (m.fsType !== 'cgroup2' && m.fsType !== 'cgroup') continue;
    const entry = { mountPoint: m.mountPoint, enabled: m.superOptions.includes('favordynmods') };
    // One flag for the whole kernel: set on any hierarchy, it speeds up migrations in all of them.
    if (entry.enabled) return entry;
    if (m.fsType === 'cgroup2') v2 ??= entry;
  }
  return v2;
}

export type FavorDynmodsResult = 'enabled' | 'already' | { unavailable: string };

/**
 * Sets `favordynmods` on the node's cgroup filesystem unless it is set. mount(8) keeps the mount's other
 * options on a remount (nsdelegate, memory_recursiveprot). Never throws: a kernel without the option, or a
 * process in a cgroup namespace that may not remount, leaves migrations as they were.
 */
export function favorDynamicCgroupModifications(): FavorDynmodsResult {
  let target: ReturnType<typeof favorDynmodsTarget>;
  try {
    target = favorDynmodsTarget(mountTable());
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
  if (!target) return { unavailable: 'no cgroup2 filesystem mounted' };
  if (target.enabled) return 'already';
  try {
    execFileSync('mount', ['-o', 'remount,favordynmods', target.mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    return { unavailable: stderr.split('\n')[0] || (err as Error).message };
  }
  return 'enabled';
}
