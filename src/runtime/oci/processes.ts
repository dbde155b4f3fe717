/**
 * Host processes by pid: whether one still runs (a zombie does not), when it started (so that a pid reused
 * after a reboot or a long uptime is not taken for ours), signalling without throwing, and waiting for one
 * to end when it is not our child (pause processes are reaped by the spawner's catatonit).
 */
import { readFileSync } from 'node:fs';

/** The `code` of a failed system call (ENOENT, EPERM, ...). */
export function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

/** The fields of /proc/<pid>/stat after the command name (which may itself hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function killQuiet(pid: number, sig: NodeJS.Signals | number): void {
  if (pid <= 0) return;
  try {
    process.kill(pid, sig);
  } catch {}
}

export function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errno(err) !== 'EPERM') return false;
  }
  // A zombie still answers signal 0; its state letter says it is gone.
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), if it exists. */
export function processStartTime(pid: number): number | undefined {
  if (pid <= 0) return undefined;
  const ticks = Number(statFields(pid)?.[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** Whether `pid` runs and is the process that started at `startTime` (when known). */
export function aliveSince(pid: number, startTime: number | undefined): boolean {
  if (!alive(pid)) return false;
  return startTime === undefined || processStartTime(pid) === startTime;
}

/** Resolves true once `pid` has ended (or is a zombie), false after `timeoutMs`. Polls, briefly at first. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let delay = 1;
  while (alive(pid)) {
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 25);
  }
  return true;
}
