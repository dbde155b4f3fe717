/**
 * Helpers for the kubelet's end-to-end tests: applying manifests with the real kubectl, waiting on a pod's
 * state through `kubectl get -o json`, and the leak check every real-container test ends with (no process,
 * mount, network namespace, veth or cgroup of the pod left on the machine).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ServerHandle } from './helpers/server.ts';

export async function apply(server: ServerHandle, manifest: string): Promise<void> {
  const r = await server.kubectl(['apply', '-f', '-'], { input: manifest });
  assert.equal(r.code, 0, `kubectl apply failed: ${r.stderr}`);
}

export async function getPod(server: ServerHandle, name: string, namespace = 'default'): Promise<IPod | undefined> {
  const r = await server.kubectl(['get', 'pod', name, '-n', namespace, '-o', 'json']);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as IPod;
}

/** Polls the pod until `pred` holds; fails with the last pod seen (and the server's log tail) on timeout. */
export async function waitForPod(server: ServerHandle, name: string, pred: (p: IPod) => boolean, what: string, timeoutMs = 60_000): Promise<IPod> {
  const deadline = Date.now() + timeoutMs;
  let last: IPod | undefined;
  while (Date.now() < deadline) {
    last = await getPod(server, name);
    if (last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.fail(`pod ${name}: timed out waiting for ${what}; last seen:\n${JSON.stringify(last?.status, null, 1)}\nserver log tail:\n${server.stderr().slice(-3000)}`);
}

export async function waitForGone(server: ServerHandle, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await getPod(server, name))) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.fail(`pod ${name} still exists after ${timeoutMs} ms`);
}

export const running = (p: IPod) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state?.running);
export const ready = (p: IPod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export async function nodeName(server: ServerHandle): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = await server.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
    if (r.code === 0 && r.stdout) return r.stdout;
    await new Promise((res) => setTimeout(res, 300));
  }
  assert.fail('no node registered');
}

/** Everything of a pod (by uid) still on this machine: processes, mounts, netns, cgroups. Empty when clean. */
export function podLeftovers(uid: string): string[] {
  const left: string[] = [];
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of mounts.split('\n')) if (line.includes(uid)) left.push(`mount ${line.split(' ')[4]}`);
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (cgroup.includes(uid) || cgroup.includes(uid.replaceAll('-', '_'))) left.push(`process ${pid}`);
    } catch {
      // gone meanwhile
    }
  }
  try {
    const out = execFileSync('find', ['/sys/fs/cgroup', '-maxdepth', '5', '-type', 'd', '-name', `*${uid.replaceAll('-', '_')}*`, '-o', '-type', 'd', '-name', `*${uid}*`], { encoding: 'utf8' });
    for (const d of out.split('\n').filter(Boolean)) left.push(`cgroup ${d}`);
  } catch {
    // find exits non-zero on unreadable entries; what it printed is still checked above
  }
  return left;
}

/** Network namespaces and veths that exist now; compare before/after a test. */
export function netSnapshot(): { netns: string[]; veths: string[] } {
  const netns = fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns').sort() : [];
  const links = execFileSync('ip', ['-o', 'link', 'show', 'type', 'veth'], { encoding: 'utf8' });
  const veths = links.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]!).sort();
  return { netns, veths };
}
