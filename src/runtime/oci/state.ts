/**
 * What the oci runtime keeps on disk for each sandbox and container: one JSON file per object, written
 * atomically (temp file + rename), so a runtime started later on the same data dir lists and adopts what
 * runs. The records hold what the CRI reports back plus what teardown needs (netns, CNI result, cgroup,
 * rootfs mount, pids).
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, Labels, Mount, PodSandboxConfig } from '../runtime.ts';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  state: 'ready' | 'notready';
  dir: string;
  /** Pinned netns name (`ip netns`); empty for host-network sandboxes. */
  netns: string;
  ip: string;
  /** The CNI ADD result, kept for DEL. */
  cniResult?: unknown;
  /** Pod cgroup, relative to the cgroup root. */
  cgroupPath: string;
  pausePid: number;
  /** The pause process's start time (clock ticks since boot), to tell it from a later process with its pid. */
  pauseStartTime?: number | undefined;
  /** Whether /dev/shm (a tmpfs under dir) is mounted. */
  shmMounted: boolean;
  /**
   * A ready sandbox the node's pool holds for a pod yet to come (sandbox-pool.ts): hidden from the CRI
   * listing until a pod takes it; `config` is then the pod's.
   */
  pooled?: boolean;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  metadata: ContainerConfig['metadata'];
  image: string;
  imageRef: string;
  labels: Labels;
  annotations: Labels;
  mounts: Mount[];
  /** Absolute log file path. */
  logPath: string;
  tty: boolean;
  stdin: boolean;
  stopSignal: string;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  state: 'created' | 'running' | 'exited';
  dir: string;
  /** Overlay mount point (root filesystem). */
  rootfs: string;
  pid: number;
  cgroupPath: string;
  /** The OCI process of the container, the base for exec processes. */
  process: Record<string, unknown>;
}

/** A small file's text, or '' when it cannot be read (not there yet, or gone). */
export function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function writeRecord(dir: string, record: object): void {
  const file = join(dir, 'state.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(record));
  renameSync(`${file}.tmp`, file);
}

/** Reads every `<parent>/<id>/state.json`; directories without a readable record are skipped. */
export function readRecords<T>(parent: string): T[] {
  const out: T[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      out.push(JSON.parse(readFileSync(join(parent, name, 'state.json'), 'utf8')) as T);
    } catch {}
  }
  return out;
}
