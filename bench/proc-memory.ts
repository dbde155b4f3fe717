/**
 * A process's memory as the benchmarks report it, read from /proc: RSS (VmRSS, what `ps` shows) and PSS
 * (smaps_rollup: shared pages split between the processes that map them, the fairer figure for an idle
 * server whose code pages other node processes share). MiB, rounded; NaN when the process is gone.
 */
import { readFileSync } from 'node:fs';

function field(path: string, name: string): number {
  try {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync(path, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

export const rssMiB = (pid: number): number => field(`/proc/${pid}/status`, 'VmRSS');
export const pssMiB = (pid: number): number => field(`/proc/${pid}/smaps_rollup`, 'Pss');
