/**
 * The node's network interfaces for the Summary, as cAdvisor reports the machine's: the counters of the
 * kubelet's own network namespace (`/proc/net/dev`) without the devices cAdvisor ignores (loopback, the
 * host ends of pod veths, docker and nerdctl bridges).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NetworkInterfaceStats } from '../../runtime/runtime.ts';

const IGNORED = /^(lo$|veth|docker|nerdctl)/;

/** The interfaces of a `/proc/net/dev` text, ignored devices left out. */
export function parseNodeNetDev(text: string): NetworkInterfaceStats[] {
  const out: NetworkInterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs ...
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (IGNORED.test(name) || f.length < 16) continue;
    out.push({ name, rxBytes: f[0]!, rxErrors: f[2]!, txBytes: f[8]!, txErrors: f[10]! });
  }
  return out;
}

export async function nodeInterfaces(procRoot: string): Promise<NetworkInterfaceStats[] | undefined> {
  const text = await fs.readFile(path.join(procRoot, 'net/dev'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseNodeNetDev(text);
}
