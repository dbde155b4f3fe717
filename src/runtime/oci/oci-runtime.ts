/**
 * `OciRuntime`: the node's real container runtime. A pod sandbox is a pinned network namespace wired by CNI
 * plus a pause process (`catatonit -P`, run by `crun run --detach`, no conmon: nothing reads its output or
 * exit code) that holds the pod's IPC, UTS and (when shared) PID namespaces, a pod cgroup, and per-pod
 * /etc/hostname, /etc/resolv.conf, /etc/hosts and /dev/shm. Containers are created by crun under one conmon
 * each, join the sandbox's namespaces, and get their own mount namespace with an overlayfs root over the
 * image's unpacked layers.
 *
 * Layout: volatile state on a tmpfs at `stateRoot` (default `<root>/run`, see mounts.ts):
 *   sandboxes/<id>/{state.json,config.json,pid,crun.log,hostname,resolv.conf,hosts,shm/}
 *   containers/<id>/{state.json,config.json,merged/,pid,conmon.pid,sync,oom}
 *   exits/<id>        conmon's exit files
 *   crun/             crun's own state (--root)
 *   s/                conmon's attach sockets
 *   cni/networks/     host-local leases
 * and on disk under `root`:
 *   layers/<id>/{upper,work}   container writable layers
 *   pause/rootfs/     read-only root holding /catatonit
 *
 * Speed: forking Node costs 7-9 ms per command on a busy node, so helper commands (ip, mount, CNI plugins,
 * conmon) run through a pool of small long-lived shells under catatonit (spawner.ts; catatonit also reaps the
 * daemonized conmons). Independent steps run concurrently (netns → CNI ADD ∥ pause; shm and cgroup setup
 * beside them; teardown kills containers, pause and network at once), containers are started by writing
 * crun's exec fifo instead of spawning `crun start`, stops signal pids directly, and exits are noticed
 * through conmon's exit files (fs.watch) rather than polling with sleeps.
 *
 * Streams: execSync and plain exec run `crun exec --process` with pipes; exec with a TTY goes through conmon
 * (exec-tty.ts); attach follows the container's log and writes stdin to conmon's attach socket through
 * socat; port-forward runs busybox nc inside the pod's netns.
 *
 * Concurrency: calls on one sandbox or container are serialised by a per-id lock; different ids run in
 * parallel.
 *
 * Code by concern, around one shared state object: runtime-state.ts (the state tmpfs, records, adoption,
 * locks, exit files, releaseStateIfIdle), sandboxes.ts (sandboxes and the pause), sandbox-pool.ts (ready
 * sandboxes built ahead of pods), containers.ts (containers),
 * streams.ts (exec, attach, port-forward, execSync). `OciRuntime` is the facade that implements
 * `ContainerRuntime` by delegating to them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFile, type CniNetwork } from '../cni/index.ts';
import type {
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerRuntime,
  ContainerStatus,
  ExecSyncResult,
  Image,
  NetworkInterfaceStats,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  PullProgress,
  RuntimeCondition,
  StreamOptions,
  StreamSession,
  WritableLayerUsage,
} from '../runtime.ts';
import type { Duplex } from 'node:stream';
import type { CgroupLayout } from './cgroups.ts';
import type { FavorDynmodsResult } from './cgroup-tuning.ts';
import { OciContainers } from './containers.ts';
import { OciState, type OciRuntimeConfig } from './runtime-state.ts';
import { OciSandboxes } from './sandboxes.ts';
import { OciSandboxPool } from './sandbox-pool.ts';
import { OciStreams } from './streams.ts';
import { readNetDev, treeUsage } from './usage.ts';

export type { LayeredImageService, OciRuntimeConfig } from './runtime-state.ts';

const RUNTIME_NAME = 'kubeling-oci';
const RUNTIME_VERSION = '0.1.0';

export class OciRuntime implements ContainerRuntime {
  readonly root: string;
  readonly cni: CniNetwork;
  readonly cgroups: CgroupLayout;
  /** What became of `favordynmods` at construction ('protected': not tried, as configured). */
  readonly cgroupFavorDynmods: FavorDynmodsResult | 'protected';
  readonly #state: OciState;
  readonly #sandboxes: OciSandboxes;
  readonly #containers: OciContainers;
  readonly #streams: OciStreams;
  /** Ready sandboxes for pods to come, while the node runs it (sandbox-pool.ts); killall drains it. */
  readonly sandboxPool: OciSandboxPool;
  #runtimeVersion: string | undefined;

  constructor(config: OciRuntimeConfig) {
    const state = new OciState(config);
    this.#state = state;
    this.root = state.root;
    this.cni = state.cni;
    this.cgroups = state.cgroups;
    this.cgroupFavorDynmods = state.cgroupFavorDynmods;
    this.#containers = new OciContainers(state);
    this.#sandboxes = new OciSandboxes(state, this.#containers);
    this.sandboxPool = new OciSandboxPool({ state, sandboxes: this.#sandboxes, clock: state.clock });
    this.#streams = new OciStreams(state);
  }

  /**
   * Releases the runtime's own resources (exit watcher, helper shells); containers keep running. The promise
   * resolves when the helper processes are gone (await it before the process exits).
   */
  close(): Promise<void> {
    return this.#state.close();
  }

  /**
   * For the node agent's shutdown, after close(): unmounts the state tmpfs when no sandbox is recorded in
   * it (nothing runs that a later agent would adopt), so the data directory can simply be removed. With pods
   * still there it stays, and so do they. Returns whether it unmounted. Not for several runtimes on one root.
   */
  releaseStateIfIdle(): boolean {
    return this.#state.releaseStateIfIdle();
  }

  // ------------------------------------------------------------------ runtime info

  async version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    if (this.#runtimeVersion === undefined) {
      try {
        const r = await execFile(this.#state.runtime, ['--version']);
        const first = r.stdout.split('\n')[0]!.trim();
        this.#runtimeVersion = `${RUNTIME_VERSION} (${first})`;
      } catch {
        this.#runtimeVersion = `${RUNTIME_VERSION} (${this.#state.runtime} unavailable)`;
      }
    }
    return { runtimeName: RUNTIME_NAME, runtimeVersion: this.#runtimeVersion, runtimeApiVersion: 'v1' };
  }

  async status(): Promise<RuntimeCondition[]> {
    const missing = [
      existsSync(this.#state.runtime) ? '' : this.#state.runtime,
      this.#state.conmon ? '' : 'conmon',
      this.#state.catatonit ? '' : 'catatonit',
    ].filter(Boolean);
    const plugins = this.cni.missingPlugins();
    return [
      {
        type: 'RuntimeReady',
        status: missing.length === 0,
        reason: missing.length === 0 ? '' : 'RuntimeBinariesMissing',
        message: missing.length === 0 ? '' : `missing ${missing.join(', ')}`,
      },
      {
        type: 'NetworkReady',
        status: plugins.length === 0,
        reason: plugins.length === 0 ? '' : 'NetworkPluginNotReady',
        message: plugins.length === 0 ? '' : `CNI plugins not found in ${this.cni.pluginPath}: ${plugins.join(', ')}`,
      },
    ];
  }

  // ------------------------------------------------------------------ sandboxes (sandboxes.ts)

  runPodSandbox(config: PodSandboxConfig, signal?: AbortSignal): Promise<string> {
    return this.#state.starting(() => this.#sandboxes.runPodSandbox(config, signal));
  }

  stopPodSandbox(id: string): Promise<void> {
    return this.#sandboxes.stopPodSandbox(id);
  }

  removePodSandbox(id: string): Promise<void> {
    return this.#sandboxes.removePodSandbox(id);
  }

  podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.#sandboxes.podSandboxStatus(id);
  }

  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    return this.#sandboxes.listPodSandbox(filter);
  }

  // ------------------------------------------------------------------ containers (containers.ts)

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return this.#state.starting(() => this.#containers.createContainer(podSandboxId, config, sandboxConfig));
  }

  startContainer(id: string): Promise<void> {
    return this.#state.starting(() => this.#containers.startContainer(id));
  }

  stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    return this.#containers.stopContainer(id, timeoutSeconds);
  }

  removeContainer(id: string): Promise<void> {
    return this.#containers.removeContainer(id);
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    return this.#containers.containerStatus(id);
  }

  listContainers(filter?: ContainerFilter): Promise<Container[]> {
    return this.#containers.listContainers(filter);
  }

  reopenContainerLog(id: string): Promise<void> {
    return this.#containers.reopenContainerLog(id);
  }

  /** Exits as conmon writes their exit files (one inotify watch on the exits directory). */
  watchContainerExits(listener: (containerId: string) => void): () => void {
    return this.#state.watchExits((id) => {
      if (this.#state.containers.has(id)) listener(id);
    });
  }

  // ------------------------------------------------------------------ exec, attach, port-forward (streams.ts)

  execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    return this.#streams.execSync(id, cmd, timeoutMs);
  }

  exec(id: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    return this.#streams.exec(id, cmd, options);
  }

  attach(id: string, options: StreamOptions): Promise<StreamSession> {
    return this.#streams.attach(id, options);
  }

  async podSandboxNetworkStats(id: string): Promise<NetworkInterfaceStats[] | undefined> {
    const rec = this.#state.sandboxes.get(id);
    if (!rec?.netns || !rec.pausePid || !this.#state.pauseRunning(rec)) return undefined;
    return readNetDev(rec.pausePid);
  }

  async containerWritableLayer(id: string): Promise<WritableLayerUsage | undefined> {
    if (!this.#state.containers.has(id)) return undefined;
    const upper = join(this.#state.dirs.layers, id, 'upper');
    const usage = await treeUsage(upper);
    return usage && { mountpoint: this.#state.dirs.layers, usedBytes: usage.bytes, inodesUsed: usage.inodes };
  }

  portForward(podSandboxId: string, port: number): Promise<Duplex> {
    return this.#streams.portForward(podSandboxId, port);
  }

  // ------------------------------------------------------------------ images (delegated)

  pullImage(ref: string, options?: { auth?: AuthConfig; signal?: AbortSignal; onProgress?: (p: PullProgress) => void }): Promise<string> {
    return this.#state.images.pullImage(ref, options);
  }

  imageStatus(ref: string): Promise<Image | undefined> {
    return this.#state.images.imageStatus(ref);
  }

  listImages(): Promise<Image[]> {
    return this.#state.images.listImages();
  }

  removeImage(ref: string): Promise<void> {
    return this.#state.images.removeImage(ref);
  }

  imageFsInfo(): Promise<{ mountpoint: string; usedBytes: number; capacityBytes: number; availableBytes: number }> {
    return this.#state.images.imageFsInfo();
  }
}
