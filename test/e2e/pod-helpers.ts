/**
 * Helpers for the kubelet's end-to-end tests: applying manifests with the real kubectl, waiting on a pod's
 * state through `kubectl get -o json`, and the leak check every real-container test ends with (no process,
 * mount, network namespace, veth or cgroup of the pod left on the machine).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { startEtcd, type EtcdHandle } from '../fixtures/etcd.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';

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
export async function waitForPod(
  server: ServerHandle,
  name: string,
  pred: (p: IPod) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<IPod> {
  let last: IPod | undefined;
  return untilWith(
    async () => {
      last = await getPod(server, name);
      return last && pred(last) && last;
    },
    `pod ${name}: ${what}`,
    {
      timeoutMs,
      intervalMs: 300,
      retryErrors: false,
      detail: () =>
        `last seen:\n${JSON.stringify(last?.status, null, 1)}\nserver log tail:\n${server.stderr().slice(-3000)}`,
    },
  );
}

export async function waitForGone(server: ServerHandle, name: string, timeoutMs = 60_000): Promise<void> {
  await untilWith(async () => !(await getPod(server, name)), `pod ${name} to be gone`, {
    timeoutMs,
    intervalMs: 300,
    retryErrors: false,
  });
}

export const running = (p: IPod) =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state?.running);
export const ready = (p: IPod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export async function nodeName(server: ServerHandle): Promise<string> {
  return untilWith(
    async () => {
      const r = await server.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
      return r.code === 0 && r.stdout;
    },
    'a registered node',
    { timeoutMs: 30_000, intervalMs: 300, retryErrors: false },
  );
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
    const out = execFileSync(
      'find',
      [
        '/sys/fs/cgroup',
        '-maxdepth',
        '5',
        '-type',
        'd',
        '-name',
        `*${uid.replaceAll('-', '_')}*`,
        '-o',
        '-type',
        'd',
        '-name',
        `*${uid}*`,
      ],
      { encoding: 'utf8' },
    );
    for (const d of out.split('\n').filter(Boolean)) left.push(`cgroup ${d}`);
  } catch {
    // find exits non-zero on unreadable entries; what it printed is still checked above
  }
  return left;
}

/**
 * The environment variable that moves a file's server (see ociServerForFile) from memory storage onto a
 * throwaway etcd: `KUBELING_E2E_STORAGE=etcd`. test/e2e/pod-real-etcd.test.ts sets it, then imports
 * pod-real.test.ts, so the same tests run once against `--storage etcd://`.
 */
export const E2E_STORAGE_ENV = 'KUBELING_E2E_STORAGE';

/** The storage ociServerForFile gives its server: `memory` unless E2E_STORAGE_ENV says `etcd`. */
export function e2eStorage(): 'memory' | 'etcd' {
  const v = process.env[E2E_STORAGE_ENV] ?? 'memory';
  if (v !== 'memory' && v !== 'etcd') throw new Error(`${E2E_STORAGE_ENV}=${v}: want memory or etcd`);
  return v;
}

let fileEtcd: EtcdHandle | undefined;

/** The etcd ociServerForFile started for this file's server (E2E_STORAGE_ENV=etcd), once its hooks ran. */
export function etcdOfFile(): EtcdHandle | undefined {
  return fileEtcd;
}

/**
 * Registers the hooks of a file of tests on real containers (none start when `why`, from
 * missingRealContainers() in test/prerequisites.ts, says they cannot run here): before its tests, `kubeling server --runtime oci`
 * with memory storage (or, when E2E_STORAGE_ENV says `etcd`, `--storage etcd://` on an etcd started for the
 * file from test/fixtures/etcd.ts) and the busybox image imported, handed to `started`; after each test every
 * pod is deleted (a failed test must not leave its pods running into the next one); after the last, the
 * server stops, then its etcd.
 */
export function ociServerForFile(
  why: string | undefined,
  started: (server: ServerHandle) => void | Promise<void>,
): void {
  let server: ServerHandle | undefined;
  let etcd: EtcdHandle | undefined;
  test.before(async () => {
    if (why) return;
    if (e2eStorage() === 'etcd') {
      etcd = fileEtcd = await startEtcd();
      const storage = `etcd://${etcd.url.replace(/^http:\/\//, '')}`;
      server = await startServer({ runtime: 'oci', args: ['--storage', storage] });
    } else {
      server = await startServer({ runtime: 'oci', storage: 'memory' });
    }
    await importBusybox(server);
    await started(server);
  });
  test.afterEach(async () => {
    if (server) await deleteAllPods(server);
  });
  test.after(async () => {
    await server?.stop();
    await etcd?.stop();
  });
}

/** Puts the busybox test image into the node's image store (as `kubeling image import` does for users). */
export async function importBusybox(server: ServerHandle): Promise<void> {
  const { ensureBusyboxArchive } = await import('../fixtures/busybox.ts');
  const archive = await ensureBusyboxArchive();
  const bin = new URL('../../src/cmd/kubeling.ts', import.meta.url).pathname;
  execFileSync(process.execPath, [bin, 'image', 'import', archive, '--data-dir', server.dataDir], { stdio: 'pipe' });
}

/** The pod's sandboxes in the server's oci runtime state: id, netns name and the host-side veth's ifindex. */
/**
 * Ids of the sandboxes the node's runtime records for pods (not those its sandbox pool keeps ready for pods
 * to come, which stay while the node runs).
 */
export function podSandboxIds(dataDir: string): string[] {
  const dir = `${dataDir}/runtime/run/sandboxes`;
  return (fs.existsSync(dir) ? fs.readdirSync(dir) : []).filter((id) => {
    try {
      return !(JSON.parse(fs.readFileSync(`${dir}/${id}/state.json`, 'utf8')) as { pooled?: boolean }).pooled;
    } catch {
      return true; // being made or removed: not known to be pooled
    }
  });
}

export function podSandboxes(dataDir: string, uid: string): { id: string; netns: string; vethIndex?: number }[] {
  const dir = `${dataDir}/runtime/run/sandboxes`;
  const out: { id: string; netns: string; vethIndex?: number }[] = [];
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    let state: { netns?: string; metadata?: { uid?: string }; status?: { metadata?: { uid?: string } } };
    try {
      state = JSON.parse(fs.readFileSync(`${dir}/${id}/state.json`, 'utf8'));
    } catch {
      continue;
    }
    if (!JSON.stringify(state).includes(uid)) continue;
    const netns = state.netns ?? '';
    let vethIndex: number | undefined;
    if (netns) {
      try {
        const eth0 = execFileSync('ip', ['netns', 'exec', netns, 'ip', '-o', 'link', 'show', 'eth0'], {
          encoding: 'utf8',
        });
        const m = /eth0@if(\d+)/.exec(eth0);
        if (m) vethIndex = Number(m[1]);
      } catch {
        // no eth0 (host network) or already gone
      }
    }
    out.push({ id, netns, vethIndex });
  }
  return out;
}

/** What is left on the machine of the given sandboxes (netns, host veth, state dir). */
function sandboxLeftovers(dataDir: string, sandboxes: { id: string; netns: string; vethIndex?: number }[]): string[] {
  const left: string[] = [];
  const netns = fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : [];
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const sb of sandboxes) {
    if (sb.netns && netns.includes(sb.netns)) left.push(`netns ${sb.netns}`);
    if (sb.vethIndex !== undefined && new RegExp(`^${sb.vethIndex}: veth`, 'm').test(links))
      left.push(`veth ifindex ${sb.vethIndex}`);
    if (fs.existsSync(`${dataDir}/runtime/run/sandboxes/${sb.id}`)) left.push(`sandbox dir ${sb.id}`);
  }
  return left;
}

/**
 * Deletes the pod, waits until it is gone from the API, then until nothing of it is left on the machine:
 * processes, mounts and cgroups (by uid), its network namespace, host veth and runtime state.
 */
export async function deleteAndCheckClean(server: ServerHandle, name: string, extra: string[] = []): Promise<void> {
  const uid = (await getPod(server, name))?.metadata?.uid;
  const sandboxes = uid ? podSandboxes(server.dataDir, uid) : [];
  const r = await server.kubectl(['delete', 'pod', name, '--wait=false', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  await waitForGone(server, name, 90_000);
  if (!uid) return;
  const leftovers = () => [...podLeftovers(uid), ...sandboxLeftovers(server.dataDir, sandboxes)];
  await untilWith(() => leftovers().length === 0, `nothing left of pod ${name}`, {
    timeoutMs: 20_000,
    intervalMs: 300,
    retryErrors: false,
  }).catch(() => undefined);
  assert.deepEqual(leftovers(), [], `leftovers of pod ${name}`);
}

/**
 * Best-effort removal of every pod (test clean-up, also after a failure): the workloads that would make pods
 * again first, then forced deletes of the pods of every namespace, then wait for the node. A server stops
 * leaving its pods running (by design), so a pod left here would outlive the test.
 */
export async function deleteAllPods(server: ServerHandle): Promise<void> {
  const workloads = 'deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs,replicationcontrollers';
  await server.kubectl(['delete', workloads, '--all', '-A', '--wait=false']);
  await server.kubectl(['delete', 'pods', '--all', '-A', '--grace-period=1', '--wait=false']);
  await untilWith(
    async () => {
      const left = podSandboxIds(server.dataDir);
      const pods = (await server.kubectl(['get', 'pods', '-A', '-o', 'name'])).stdout.trim();
      return left.length === 0 && pods === '';
    },
    'no pods and no sandboxes',
    { timeoutMs: 60_000, intervalMs: 500 },
  ).catch(() => undefined); // best effort: the next test's own checks name what is left
}

/** Warning/Normal events of a pod as `Reason: message` lines. */
export async function podEvents(server: ServerHandle, name: string): Promise<string[]> {
  const r = await server.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json']);
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout).items as { reason: string; message: string }[]).map((e) => `${e.reason}: ${e.message}`);
}

/**
 * A BestEffort pod that fills a memory-backed emptyDir, 32 MiB every fifth of a second up to 6 GiB, then idles: it
 * drives a node into memory pressure under a low `--eviction-hard` threshold.
 */
export function memoryHogYaml(terminationGracePeriodSeconds: number): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  terminationGracePeriodSeconds: ${terminationGracePeriodSeconds}
  containers:
  - name: hog
    image: busybox:1.35
    command: [sh, -c, "i=0; while [ $i -lt 192 ]; do dd if=/dev/zero of=/mem/f$i bs=1M count=32 2>/dev/null; i=$((i+1)); sleep 0.2; done; sleep 3600"]
    volumeMounts: [{ name: mem, mountPath: /mem }]
  volumes:
  - name: mem
    emptyDir: { medium: Memory }
`;
}
