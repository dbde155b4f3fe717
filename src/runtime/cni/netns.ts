/**
 * Pinned network namespaces, made and removed with iproute2 (`ip netns add|del`): the namespace is a bind
 * mount at /run/netns/<name> that lives until deleted, independent of any process, as CRI-O's pinns does.
 */
import { existsSync } from 'node:fs';
import { execFile, type Exec } from './exec.ts';

export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

export async function createNetns(name: string, exec: Exec = execFile): Promise<string> {
  await exec('ip', ['netns', 'add', name]);
  return netnsPath(name);
}

/** Removes a pinned namespace; succeeds when it is already gone. */
export async function deleteNetns(name: string, exec: Exec = execFile): Promise<void> {
  if (!existsSync(netnsPath(name))) return;
  try {
    await exec('ip', ['netns', 'delete', name]);
  } catch (err) {
    if (existsSync(netnsPath(name))) throw err;
  }
}
