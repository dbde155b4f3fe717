/**
 * A process's memory and CPU time as the benchmarks report them, read from /proc: RSS (VmRSS, what `ps` shows)
 * and PSS (smaps_rollup: shared pages split between the processes that map them, the fairer figure for an idle
 * server whose code pages other node processes share), MiB, rounded, NaN when the process is gone; CPU time
 * (user + system, all threads), which the machine's load moves far less than rates and latencies.
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

/** CPU time (user + system, all threads) the process has used so far, in ms (Linux: /proc/PID/stat). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) in clock ticks, 100 a second on Linux; counted from field 3 here.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
