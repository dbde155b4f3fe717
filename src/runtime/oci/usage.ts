/**
 * What a sandbox and a container use, for the kubelet's Summary (CRI's PodSandboxStats and ContainerStats):
 *
 *   network         /proc/<pause pid>/net/dev: the pause process lives in the pod's network namespace, so its
 *                   view of the counters is the pod's own (rx is what the pod received), read in one file
 *                   without entering the namespace; loopback is left out as cAdvisor does
 *   writable layer  the overlay upper dir's allocated blocks and inodes (what `du` and `du --inodes` count)
 */
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkInterfaceStats } from '../runtime.ts';

/** The interfaces of a `/proc/net/dev` text, `lo` left out. */
export function parseNetDev(text: string): NetworkInterfaceStats[] {
  const out: NetworkInterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    // receive: bytes packets errs drop fifo frame compressed multicast, then transmit: bytes packets errs ...
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (name === 'lo' || f.length < 16) continue;
    out.push({ name, rxBytes: f[0]!, rxErrors: f[2]!, txBytes: f[8]!, txErrors: f[10]! });
  }
  return out;
}

export async function readNetDev(pid: number, procRoot = '/proc'): Promise<NetworkInterfaceStats[] | undefined> {
  const text = await readFile(join(procRoot, String(pid), 'net/dev'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseNetDev(text);
}

/** Allocated bytes and inodes of a tree (hard links once), or undefined when it does not exist. */
export async function treeUsage(dir: string): Promise<{ bytes: number; inodes: number } | undefined> {
  const seen = new Set<string>();
  let bytes = 0;
  const walk = async (p: string): Promise<boolean> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st) return false;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return true;
    seen.add(key);
    bytes += st.blocks * 512;
    if (st.isDirectory()) for (const e of await readdir(p).catch(() => [] as string[])) await walk(join(p, e));
    return true;
  };
  return (await walk(dir)) ? { bytes, inodes: seen.size } : undefined;
}
