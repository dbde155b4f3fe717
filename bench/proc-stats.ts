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

/**
 * Where a process's resident memory is, from /proc/PID/smaps, MiB: glibc malloc's main heap (`[heap]`, the brk
 * area: native allocations of the main thread, which free() rarely gives back), other anonymous mappings (V8's
 * heap pages, large Buffers, the other threads' malloc arenas), and file-backed mappings (code, libraries).
 */
export function residentBreakdown(pid: number): { mallocHeap: number; anonymous: number; files: number } {
  const out = { mallocHeap: 0, anonymous: 0, files: 0 };
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return { mallocHeap: NaN, anonymous: NaN, files: NaN };
  }
  let kind: keyof typeof out = 'anonymous';
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[1]!;
      kind = path === '[heap]' ? 'mallocHeap' : path === '' || path.startsWith('[') ? 'anonymous' : 'files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]) / 1024;
  }
  return { mallocHeap: Math.round(out.mallocHeap), anonymous: Math.round(out.anonymous), files: Math.round(out.files) };
}
