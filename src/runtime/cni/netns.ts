/**
 * Pinned network namespaces, made and removed with iproute2 (`ip netns add|del`): the namespace is a bind
 * mount at /run/netns/<name> that lives until deleted, independent of any process, as CRI-O's pinns does.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

function ip(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`ip ${args.join(' ')}: ${Buffer.concat(err).toString().trim() || `exit ${code}`}`));
    });
  });
}

export async function createNetns(name: string): Promise<string> {
  await ip(['netns', 'add', name]);
  return netnsPath(name);
}

/** Removes a pinned namespace; succeeds when it is already gone. */
export async function deleteNetns(name: string): Promise<void> {
  if (!existsSync(netnsPath(name))) return;
  try {
    await ip(['netns', 'delete', name]);
  } catch (err) {
    if (existsSync(netnsPath(name))) throw err;
  }
}
