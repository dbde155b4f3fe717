/**
 * The conmon processes a test's node left running: the real-container agent tests count them under the agent's
 * data dir (containers outlive a killed agent; a stopped one leaves none). Read from /proc, no signals sent.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** conmon processes whose command line names `dir` (the agent's runtime state lives under it). */
export function conmonsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if ((cmd.startsWith('/usr/bin/conmon') || cmd.includes('conmon\0')) && cmd.includes(dir)) pids.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
