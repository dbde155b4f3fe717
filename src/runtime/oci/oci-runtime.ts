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
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  constants as fsConstants,
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  watch,
  writeFileSync,
  writeSync,
  type FSWatcher,
} from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { realClock, type Clock } from '../../machinery/index.ts';
import { CniNetwork, createNetns, deleteNetns, execFile, netnsPath, type CniConfig, type Exec } from '../cni/index.ts';
import {
  RuntimeError,
  type AuthConfig,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStatus,
  type ExecSyncResult,
  type Image,
  type ImageService,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type PullProgress,
  type RuntimeCondition,
  type StreamOptions,
  type StreamSession,
} from '../runtime.ts';
import {
  cgroupOomKilled,
  cgroupPids,
  detectCgroupLayout,
  normaliseCgroupPath,
  removeCgroup,
  setupPodCgroup,
  type CgroupLayout,
} from './cgroups.ts';
import { favorDynamicCgroupModifications, type FavorDynmodsResult } from './cgroup-tuning.ts';
import { startConmon, startConmonVia, type ConmonConfig, type ConmonHandle } from './conmon.ts';
import { runtimeDefaultSeccomp } from './seccomp.ts';
import { ensureTmpfs, mountTable, readOnlyBinary, unmountUnder } from './mounts.ts';
import { alive, aliveSince, errno, killQuiet, processStartTime, waitGone } from './processes.ts';
import { Spawner } from './spawner.ts';
import {
  allCapabilities,
  bindMount,
  containerSpec,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  mergeEnv,
  pauseSpec,
  resolveArgv,
  resolveCapabilities,
  resolveUser,
  rlimitsFromHost,
  type Namespace,
  type Rlimit,
} from './spec.ts';
import { readQuietly, readRecords, writeRecord, type ContainerRecord, type SandboxRecord } from './state.ts';
import { execWithTty } from './exec-tty.ts';
import { followCriLog, writeFifo } from './stream-util.ts';

/** What the runtime needs from the image store besides the ImageService: unpacked layers for overlayfs. */
export interface LayeredImageService extends ImageService {
  imageLayers(ref: string): Promise<{ id: string; layerDirs: string[]; config: Image['config'] }>;
}

export interface OciRuntimeConfig {
  /** Data directory (e.g. `<data dir>/runtime`): container writable layers on disk, and the state tmpfs. */
  root: string;
  /**
   * Volatile state: sandbox and container records and bundles, crun's state, exit files, sockets, leases.
   * Default `<root>/run`, made a tmpfs mount when it is not on one (mounts.ts says why). It stays mounted
   * when the runtime closes (containers outlive it; a new runtime adopts them); remove a data directory
   * with `unmountUnder` first.
   */
  stateRoot?: string;
  /** OCI runtime binary name or path (default 'crun'). */
  runtime?: 'crun' | 'runc' | string;
  cni: Omit<CniConfig, 'dataDir'> & { dataDir?: string };
  images: LayeredImageService;
  clock?: Clock;
  /** Binaries, when not found in PATH or the usual places. */
  conmonPath?: string;
  catatonitPath?: string;
  /**
   * Leave the host's kernel settings alone (the kubelet's --protect-kernel-defaults). By default the
   * runtime sets the cgroup filesystem's `favordynmods`, which makes each container start two RCU grace
   * periods faster (cgroup-tuning.ts).
   */
  protectKernelDefaults?: boolean;
}

const RUNTIME_NAME = 'kubeling-oci';
const RUNTIME_VERSION = '0.1.0';

function which(names: string[], extra: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const e of extra) if (existsSync(e)) return e;
  for (const n of names) {
    if (n.includes('/')) {
      if (existsSync(n)) return n;
      continue;
    }
    for (const d of dirs) if (d && existsSync(join(d, n))) return join(d, n);
  }
  return undefined;
}

function newId(): string {
  return randomBytes(16).toString('hex');
}

function signalNumber(sig: string): NodeJS.Signals | number {
  if (/^\d+$/.test(sig)) return Number(sig);
  const up = sig.toUpperCase();
  return (up.startsWith('SIG') ? up : `SIG${up}`) as NodeJS.Signals;
}

function matchesLabels(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export class OciRuntime implements ContainerRuntime {
  readonly root: string;
  readonly cni: CniNetwork;
  readonly cgroups: CgroupLayout;
  /** What became of `favordynmods` at construction ('protected': not tried, as configured). */
  readonly cgroupFavorDynmods: FavorDynmodsResult | 'protected';
  #images: LayeredImageService;
  #clock: Clock;
  #runtime: string;
  #conmon: string | undefined;
  #catatonit: string | undefined;
  #socat: string | undefined;
  #sandboxes = new Map<string, SandboxRecord>();
  #containers = new Map<string, ContainerRecord>();
  #locks = new Map<string, Promise<unknown>>();
  /** sandbox/name/attempt of containers being created (AlreadyExists for a concurrent twin). */
  #creating = new Set<string>();
  #exitWaiters = new Map<string, Set<() => void>>();
  #watcher: FSWatcher | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #rlimits: Rlimit[];
  #allCaps: string[];
  /** Our own oom_score_adj: without CAP_SYS_RESOURCE a child may not go below it. */
  #minOomScoreAdj: number;
  #runtimeVersion: string | undefined;
  #spawner: Spawner;
  /** The environment crun runs with: it says that crun's binary is a read-only mount (mounts.ts). */
  #runtimeEnv: NodeJS.ProcessEnv = process.env;
  #stateRoot: string;
  /** Short helper commands go through the spawner's shells (see spawner.ts for why). */
  #exec: Exec = (cmd, args, options) => this.#spawner.run(cmd, args, options);
  #dirs: { sandboxes: string; containers: string; exits: string; crun: string; sockets: string; pause: string; layers: string };

  constructor(config: OciRuntimeConfig) {
    if (!config.root || !isAbsolute(config.root)) throw new Error('OciRuntime: root must be an absolute path');
    if (!config.images) throw new Error('OciRuntime: images (the image service) is required');
    this.root = config.root;
    this.#images = config.images;
    this.#clock = config.clock ?? realClock;
    const rt = config.runtime ?? 'crun';
    this.#runtime = which([rt]) ?? rt;
    this.#conmon = which([config.conmonPath ?? 'conmon'], ['/usr/libexec/podman/conmon', '/usr/libexec/crio/conmon']);
    this.#catatonit = which([config.catatonitPath ?? 'catatonit'], ['/usr/libexec/catatonit/catatonit', '/usr/libexec/podman/catatonit']);
    this.#socat = which(['socat']);
    const state = config.stateRoot ?? join(this.root, 'run');
    ensureTmpfs(state);
    const readOnly = readOnlyBinary(this.#runtime, join(state, 'bin'));
    if (readOnly) {
      this.#runtime = readOnly;
      this.#runtimeEnv = { ...process.env, _LIBCONTAINER_CLONED_BINARY: '1' };
    }
    // Every crun started through the shells (pause, conmon's create) inherits their environment.
    this.#spawner = new Spawner({ ...(this.#catatonit ? { subreaper: this.#catatonit } : {}), env: this.#runtimeEnv });
    this.#stateRoot = state;
    this.#dirs = {
      sandboxes: join(state, 'sandboxes'),
      containers: join(state, 'containers'),
      exits: join(state, 'exits'),
      crun: join(state, 'crun'),
      // conmon's attach socket path must stay under 108 bytes: it links <socketDir>/<id> to the bundle.
      sockets: join(state, 's'),
      // On disk: what containers write to their root filesystems (overlay upper and work directories).
      layers: join(this.root, 'layers'),
      pause: join(this.root, 'pause'),
    };
    for (const d of Object.values(this.#dirs)) mkdirSync(d, { recursive: true });
    this.cni = new CniNetwork({ ...config.cni, dataDir: config.cni.dataDir ?? join(state, 'cni'), exec: this.#exec });
    this.cgroups = detectCgroupLayout();
    this.cgroupFavorDynmods = config.protectKernelDefaults ? 'protected' : favorDynamicCgroupModifications();
    let limits = '';
    try {
      limits = readFileSync('/proc/self/limits', 'utf8');
    } catch {}
    this.#rlimits = rlimitsFromHost(limits);
    let lastCap = 40;
    try {
      lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {}
    this.#allCaps = allCapabilities(lastCap);
    this.#minOomScoreAdj = -1000;
    try {
      this.#minOomScoreAdj = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()) || 0;
    } catch {}
    for (const s of readRecords<SandboxRecord>(this.#dirs.sandboxes)) this.#sandboxes.set(s.id, s);
    for (const c of readRecords<ContainerRecord>(this.#dirs.containers)) this.#containers.set(c.id, c);
    // Writable layers of containers no record knows (the state tmpfs was lost with a reboot): nothing runs
    // on them any more.
    for (const id of readdirSync(this.#dirs.layers)) {
      if (!this.#containers.has(id)) void rm(join(this.#dirs.layers, id), { recursive: true, force: true }).catch(() => {});
    }
  }

  /**
   * Releases the runtime's own resources (exit watcher, helper shells); containers keep running. The promise
   * resolves when the helper processes are gone (await it before the process exits).
   */
  close(): Promise<void> {
    const closed = this.#spawner.close();
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    return closed;
  }

  /**
   * For the node agent's shutdown, after close(): unmounts the state tmpfs when no sandbox is recorded in
   * it (nothing runs that a later agent would adopt), so the data directory can simply be removed. With pods
   * still there it stays, and so do they. Returns whether it unmounted. Not for several runtimes on one root.
   */
  releaseStateIfIdle(): boolean {
    let left: string[];
    try {
      left = readdirSync(this.#dirs.sandboxes);
    } catch {
      return false;
    }
    if (left.length > 0 || this.#containers.size > 0) return false;
    const state = realpathSync(this.#stateRoot);
    const ours = mountTable().some((m) => m.mountPoint === state && m.fsType === 'tmpfs');
    // The runtime binary's read-only view goes too, also from a state directory on a tmpfs of the node's.
    unmountUnder(state);
    return ours;
  }

  // ------------------------------------------------------------------ helpers

  async #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.#locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    }
  }

  #exitFile(id: string): string {
    return join(this.#dirs.exits, id);
  }

  /** Starts the exit-file watcher on first use (one inotify watch for every container). */
  #watchExits(): void {
    if (this.#watcher) return;
    this.#watcher = watch(this.#dirs.exits, (_event, name) => {
      if (name) this.#wakeExit(name.toString());
    });
    this.#watcher.unref();
    // A safety net for missed events (e.g. an exit file written between checks): cheap existsSync checks.
    this.#pollTimer = setInterval(() => {
      for (const id of this.#exitWaiters.keys()) if (existsSync(this.#exitFile(id))) this.#wakeExit(id);
    }, 250);
    this.#pollTimer.unref();
  }

  #wakeExit(id: string): void {
    const waiters = this.#exitWaiters.get(id);
    if (!waiters) return;
    this.#exitWaiters.delete(id);
    for (const w of waiters) w();
  }

  /** Resolves true when conmon has written `id`'s exit file, false after `timeoutMs`. */
  #waitExitFile(id: string, timeoutMs: number, extraCheck?: () => boolean): Promise<boolean> {
    if (existsSync(this.#exitFile(id))) return Promise.resolve(true);
    this.#watchExits();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let extra: NodeJS.Timeout | undefined;
      const set = this.#exitWaiters.get(id) ?? new Set();
      this.#exitWaiters.set(id, set);
      const done = (v: boolean) => {
        clearTimeout(timer);
        clearInterval(extra);
        set.delete(waiter);
        resolve(v);
      };
      const waiter = () => done(true);
      set.add(waiter);
      if (existsSync(this.#exitFile(id))) return done(true);
      if (extraCheck) extra = setInterval(() => extraCheck() && done(existsSync(this.#exitFile(id))), 100);
      if (timeoutMs >= 0) timer = setTimeout(() => done(existsSync(this.#exitFile(id))), timeoutMs);
    });
  }

  #saveSandbox(s: SandboxRecord): void {
    writeRecord(s.dir, s);
  }

  #saveContainer(c: ContainerRecord): void {
    writeRecord(c.dir, c);
  }

  /** Brings a container record up to date with its exit file (exit code, finish time, OOM). */
  #refresh(c: ContainerRecord): ContainerRecord {
    if (c.state === 'exited') return c;
    let text: string;
    let mtime: number;
    try {
      text = readFileSync(this.#exitFile(c.id), 'utf8');
      mtime = statSync(this.#exitFile(c.id)).mtimeMs;
    } catch {
      return c;
    }
    const code = Number.parseInt(text.trim(), 10);
    c.exitCode = Number.isFinite(code) ? code : 255;
    // File times use the kernel's coarse clock and may trail Date.now() by a few ms.
    c.finishedAt = Math.max(Math.floor(mtime), c.startedAt);
    const oom = existsSync(join(c.dir, 'oom')) || cgroupOomKilled(this.cgroups, c.cgroupPath);
    c.reason = oom ? 'OOMKilled' : c.exitCode === 0 ? 'Completed' : 'Error';
    c.state = 'exited';
    try {
      this.#saveContainer(c);
    } catch {}
    return c;
  }

  #sandboxOrThrow(id: string): SandboxRecord {
    const s = this.#sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox "${id}" not found`);
    return s;
  }

  #containerOrThrow(id: string): ContainerRecord {
    const c = this.#containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    return this.#refresh(c);
  }

  async #crun(args: string[], allowFailure = false) {
    return this.#exec(this.#runtime, [`--root=${this.#dirs.crun}`, ...args], { allowFailure });
  }

  /** The pause rootfs: an otherwise empty read-only directory holding a copy of catatonit. */
  #pauseRootfs(): string {
    const rootfs = join(this.#dirs.pause, 'rootfs');
    const bin = join(rootfs, 'catatonit');
    if (!existsSync(bin)) {
      if (!this.#catatonit) throw new RuntimeError('Unavailable', 'catatonit not found (install it: scripts/setup-host.sh)');
      for (const d of ['proc', 'dev', 'sys', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
      // Copy then rename: concurrent first sandboxes never see a half-copied binary.
      copyFileSync(this.#catatonit, `${bin}.tmp`);
      chmodSync(`${bin}.tmp`, 0o755);
      renameSync(`${bin}.tmp`, bin);
    }
    return rootfs;
  }

  // ------------------------------------------------------------------ runtime info

  async version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    if (this.#runtimeVersion === undefined) {
      try {
        const r = await execFile(this.#runtime, ['--version']);
        const first = r.stdout.split('\n')[0]!.trim();
        this.#runtimeVersion = `${RUNTIME_VERSION} (${first})`;
      } catch {
        this.#runtimeVersion = `${RUNTIME_VERSION} (${this.#runtime} unavailable)`;
      }
    }
    return { runtimeName: RUNTIME_NAME, runtimeVersion: this.#runtimeVersion, runtimeApiVersion: 'v1' };
  }

  async status(): Promise<RuntimeCondition[]> {
    const missing = [
      existsSync(this.#runtime) ? '' : this.#runtime,
      this.#conmon ? '' : 'conmon',
      this.#catatonit ? '' : 'catatonit',
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

  // ------------------------------------------------------------------ sandboxes

  async runPodSandbox(config: PodSandboxConfig, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    validateSandboxConfig(config);
    if (!this.#conmon) throw new RuntimeError('Unavailable', 'conmon not found (install it: scripts/setup-host.sh)');
    const m = config.metadata;
    for (const s of this.#sandboxes.values()) {
      const o = s.config.metadata;
      if (o.name === m.name && o.namespace === m.namespace && o.uid === m.uid && o.attempt === m.attempt) {
        throw new RuntimeError('AlreadyExists', `pod sandbox for ${m.namespace}/${m.name} (uid ${m.uid}, attempt ${m.attempt}) already exists as ${s.id}`);
      }
    }
    const id = newId();
    const dir = join(this.#dirs.sandboxes, id);
    mkdirSync(dir, { recursive: true });
    const hostNetwork = config.linux.namespaceOptions.network === 'node';
    const podCgroup = config.linux.cgroupParent ? normaliseCgroupPath(config.linux.cgroupParent) : `kubeling/pod-${id}`;
    const rec: SandboxRecord = {
      id,
      config,
      createdAt: this.#clock.now(),
      state: 'ready',
      dir,
      netns: hostNetwork ? '' : `kubeling-${id}`,
      ip: '',
      cgroupPath: podCgroup,
      pausePid: 0,
      shmMounted: false,
    };
    this.#sandboxes.set(id, rec);
    return this.#locked(id, async () => {
      try {
        // On disk, where a directory can wait for a journal commit: off the event loop, beside the rest.
        const logDir = mkdir(config.logDirectory, { recursive: true });
        logDir.catch(() => {}); // seen through allSettled below; a throw before that must not leave it unhandled
        const hostname = hostNetwork ? (readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()) : config.hostname;
        writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
        writeFileSync(join(dir, 'resolv.conf'), resolvConf(config));
        this.#saveSandbox(rec);
        const shm = (async () => {
          mkdirSync(join(dir, 'shm'), { recursive: true });
          await this.#exec('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,mode=1777,size=65536k', 'shm', join(dir, 'shm')]);
          rec.shmMounted = true;
        })();
        const cgroup = setupPodCgroup(this.cgroups, podCgroup, config.linux.resources);
        const network = (async () => {
          if (hostNetwork) return;
          await createNetns(rec.netns, this.#exec);
          const pause = this.#startPause(rec);
          const cni = this.cni.add({
            containerId: id,
            netnsPath: netnsPath(rec.netns),
            podName: m.name,
            podNamespace: m.namespace,
            podUid: m.uid,
            portMappings: cniPorts(config),
          });
          const [p, c] = await Promise.allSettled([pause, cni]);
          if (c.status === 'fulfilled') {
            rec.ip = c.value.ip;
            rec.cniResult = c.value.result;
          }
          if (p.status === 'rejected') throw p.reason;
          if (c.status === 'rejected') throw c.reason;
        })();
        const results = await Promise.allSettled([shm, cgroup, network, logDir]);
        for (const r of results) if (r.status === 'rejected') throw r.reason;
        if (hostNetwork) await this.#startPause(rec);
        writeFileSync(join(dir, 'hosts'), hostsFile(hostname, rec.ip));
        this.#saveSandbox(rec);
        signal?.throwIfAborted();
        return id;
      } catch (err) {
        await this.#teardownSandbox(rec, true).catch(() => {});
        this.#sandboxes.delete(id);
        if (err instanceof RuntimeError) throw err;
        throw new RuntimeError('Internal', `runPodSandbox ${m.namespace}/${m.name}: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  async #startPause(rec: SandboxRecord): Promise<void> {
    const cfg = rec.config;
    const ns = cfg.linux.namespaceOptions;
    const namespaces: Namespace[] = [{ type: 'mount' }];
    if (ns.network !== 'node') namespaces.push({ type: 'network', path: netnsPath(rec.netns) }, { type: 'uts' });
    if (ns.ipc !== 'node') namespaces.push({ type: 'ipc' });
    if (ns.pid !== 'node') namespaces.push({ type: 'pid' });
    const spec = pauseSpec({
      rootfs: this.#pauseRootfs(),
      ...(ns.network !== 'node' && cfg.hostname ? { hostname: cfg.hostname } : {}),
      namespaces,
      cgroupsPath: `/${rec.cgroupPath}/${rec.id}`,
      sysctls: cfg.linux.sysctls ?? {},
      uid: cfg.linux.runAsUser ?? 0,
      gid: cfg.linux.runAsGroup ?? 0,
      additionalGids: cfg.linux.supplementalGroups ?? [],
      rlimits: this.#rlimits,
      oomScoreAdj: Math.max(-998, this.#minOomScoreAdj),
      annotations: { 'io.kubernetes.cri.container-type': 'sandbox' },
    });
    writeFileSync(join(rec.dir, 'config.json'), JSON.stringify(spec));
    // No conmon for the pause: it has no output or exit code anyone reads, only a life (which its pid and
    // start time tell). `crun run --detach` returns once it runs; the spawner's catatonit reaps it.
    const log = join(rec.dir, 'crun.log');
    const pidFile = join(rec.dir, 'pid');
    const r = await this.#spawner.run(this.#runtime, [`--root=${this.#dirs.crun}`, `--log=${log}`, 'run', '--detach', '--bundle', rec.dir, '--pid-file', pidFile, rec.id], {
      detach: true,
      allowFailure: true,
    });
    const pid = r.code === 0 ? Number(readQuietly(pidFile).trim()) : 0;
    if (!pid) {
      const why = readQuietly(log).trim().split('\n').pop() || `${basename(this.#runtime)} exited ${r.code}`;
      throw new RuntimeError('Internal', `pause process: ${why}`);
    }
    rec.pausePid = pid;
    rec.pauseStartTime = processStartTime(pid);
  }

  /** Whether the sandbox's pause process still runs (not a later process that reuses its pid). */
  #pauseRunning(rec: SandboxRecord): boolean {
    return aliveSince(rec.pausePid, rec.pauseStartTime);
  }

  #startConmon(c: ConmonConfig): Promise<ConmonHandle> {
    if (this.#spawner.reapsDaemons) return startConmonVia(this.#spawner, c, join(c.persistDir, 'sync'));
    return startConmon(c);
  }

  /**
   * Lets a created container run: what `crun start` does, without spawning it. The container's init waits
   * reading crun's exec fifo; opening it for writing, removing it (crun then reports the container as
   * started) and writing one byte releases it.
   */
  async #startCreated(id: string): Promise<void> {
    const fifo = join(this.#dirs.crun, id, 'exec.fifo');
    // Sync calls: four tiny operations, each cheaper than a round trip through libuv's thread pool.
    let fd: number;
    try {
      fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch (err) {
      // ENXIO: no reader (the init died); ENOENT: not a crun-style runtime. Let the runtime say why.
      if (errno(err) !== 'ENOENT' && errno(err) !== 'ENXIO') throw err;
      await this.#crun(['start', id]);
      return;
    }
    try {
      try {
        unlinkSync(fifo);
      } catch {}
      writeSync(fd, '1');
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Kills every container and the pause process, releases the network. With `remove`, also deletes the
   * containers and the pause from crun, unmounts, removes the pod cgroup and the directory.
   */
  async #teardownSandbox(rec: SandboxRecord, remove: boolean): Promise<void> {
    const containers = [...this.#containers.values()].filter((c) => c.sandboxId === rec.id);
    const errors: unknown[] = [];
    const step = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        errors.push(err);
      }
    };
    // Independent, so at once: kill the containers, kill the pause process (its pid namespace dies with it)
    // and wait until it is gone, and take the network down (CNI DEL needs only the pinned netns).
    await Promise.all([
      ...containers.map((c) => step(this.#locked(c.id, () => this.#kill(c, 0)))),
      step(
        (async () => {
          if (this.#pauseRunning(rec)) {
            killQuiet(rec.pausePid, 'SIGKILL');
            if (!(await waitGone(rec.pausePid, 5000))) throw new Error(`pause process ${rec.pausePid} did not end after SIGKILL`);
          }
        })(),
      ),
      step(
        (async () => {
          if (!rec.netns) return;
          if (rec.cniResult !== undefined || existsSync(netnsPath(rec.netns))) {
            await this.cni.del(
              {
                containerId: rec.id,
                netnsPath: netnsPath(rec.netns),
                podName: rec.config.metadata.name,
                podNamespace: rec.config.metadata.namespace,
                podUid: rec.config.metadata.uid,
                portMappings: cniPorts(rec.config),
              },
              rec.cniResult,
            );
            rec.cniResult = undefined;
          }
          await deleteNetns(rec.netns, this.#exec);
        })(),
      ),
    ]);
    if (remove) {
      await Promise.all([
        ...containers.map((c) => step(this.#locked(c.id, () => this.#removeContainerNow(c)))),
        step(this.#deleteFromRuntime(rec.id, rec.pausePid)),
        step(
          (async () => {
            if (rec.shmMounted || existsSync(join(rec.dir, 'shm'))) {
              await this.#exec('umount', [join(rec.dir, 'shm')], { allowFailure: true });
              rec.shmMounted = false;
            }
          })(),
        ),
      ]);
      // Last: the pod cgroup can go only once every container cgroup in it is gone.
      await step(removeCgroup(this.cgroups, rec.cgroupPath));
      await step(rm(this.#exitFile(rec.id), { force: true }));
      await step(rm(join(this.#dirs.sockets, rec.id), { force: true }));
      if (errors.length === 0) await rm(rec.dir, { recursive: true, force: true });
    }
    if (errors.length > 0) throw errors[0];
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.#sandboxes.get(id);
    if (!rec) return;
    await this.#locked(id, async () => {
      await this.#teardownSandbox(rec, false);
      rec.state = 'notready';
      this.#saveSandbox(rec);
    });
  }

  async removePodSandbox(id: string): Promise<void> {
    const rec = this.#sandboxes.get(id);
    if (!rec) return;
    await this.#locked(id, async () => {
      if (!this.#sandboxes.has(id)) return;
      rec.state = 'notready';
      await this.#teardownSandbox(rec, true);
      this.#sandboxes.delete(id);
    });
  }

  #sandboxState(rec: SandboxRecord): 'SANDBOX_READY' | 'SANDBOX_NOTREADY' {
    if (rec.state !== 'ready') return 'SANDBOX_NOTREADY';
    // A pause process that died (OOM, killed by hand) leaves the sandbox not ready; the kubelet replaces it.
    if (rec.pausePid > 0 && !this.#pauseRunning(rec)) return 'SANDBOX_NOTREADY';
    return 'SANDBOX_READY';
  }

  #sandboxView(rec: SandboxRecord): PodSandbox {
    return {
      id: rec.id,
      metadata: rec.config.metadata,
      state: this.#sandboxState(rec),
      createdAt: rec.createdAt,
      labels: rec.config.labels,
      annotations: rec.config.annotations,
    };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const rec = this.#sandboxOrThrow(id);
    return {
      ...this.#sandboxView(rec),
      network: { ip: rec.ip, additionalIps: [] },
      linux: { namespaceOptions: rec.config.linux.namespaceOptions },
      hostname: rec.config.hostname,
      logDirectory: rec.config.logDirectory,
    };
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    const out: PodSandbox[] = [];
    for (const rec of this.#sandboxes.values()) {
      if (filter?.id && rec.id !== filter.id) continue;
      if (!rec.pausePid && rec.state === 'ready') continue; // still being made
      // Labels first: the state reads /proc, and the kubelet asks for one pod's sandboxes among many.
      if (!matchesLabels(rec.config.labels, filter?.labelSelector)) continue;
      const view = this.#sandboxView(rec);
      if (filter?.state && view.state !== filter.state) continue;
      out.push(view);
    }
    return out;
  }

  // ------------------------------------------------------------------ containers

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    void sandboxConfig; // the sandbox's own record is authoritative
    const sb = this.#sandboxOrThrow(podSandboxId);
    if (this.#sandboxState(sb) !== 'SANDBOX_READY') {
      throw new RuntimeError('FailedPrecondition', `pod sandbox "${podSandboxId}" is not ready`);
    }
    validateContainerConfig(config);
    const key = `${podSandboxId}/${config.metadata.name}/${config.metadata.attempt}`;
    const taken = [...this.#containers.values()].some(
      (c) => c.sandboxId === podSandboxId && c.metadata.name === config.metadata.name && c.metadata.attempt === config.metadata.attempt,
    );
    if (taken || this.#creating.has(key)) {
      throw new RuntimeError('AlreadyExists', `container ${config.metadata.name} (attempt ${config.metadata.attempt}) already exists in sandbox ${podSandboxId}`);
    }
    this.#creating.add(key);
    try {
      return await this.#createContainer(sb, config);
    } finally {
      this.#creating.delete(key);
    }
  }

  async #createContainer(sb: SandboxRecord, config: ContainerConfig): Promise<string> {
    const podSandboxId = sb.id;
    const image = await this.#images.imageLayers(config.image);
    const id = newId();
    const dir = join(this.#dirs.containers, id);
    const rootfs = join(dir, 'merged');
    const logPath = join(sb.config.logDirectory, config.logPath);
    const rec: ContainerRecord = {
      id,
      sandboxId: podSandboxId,
      metadata: config.metadata,
      image: config.image,
      imageRef: image.id,
      labels: config.labels,
      annotations: config.annotations,
      mounts: config.mounts,
      logPath,
      tty: config.tty,
      stdin: config.stdin,
      stopSignal: config.stopSignal || image.config.stopSignal || 'SIGTERM',
      createdAt: this.#clock.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
      state: 'created',
      dir,
      rootfs,
      pid: 0,
      cgroupPath: `${sb.cgroupPath}/${id}`,
      process: {},
    };
    return this.#locked(id, async () => {
      let mount: Promise<unknown> | undefined;
      try {
        // Everything that can refuse the config runs before anything is made.
        const spec = this.#containerSpec(sb, rec, config, image);
        const layer = join(this.#dirs.layers, id);
        mkdirSync(rootfs, { recursive: true });
        // On disk (the writable layer and the log): off the event loop, where a busy journal cannot stall it.
        await Promise.all([
          mkdir(join(layer, 'upper'), { recursive: true }),
          mkdir(join(layer, 'work'), { recursive: true }),
          mkdir(dirname(logPath), { recursive: true }),
        ]);
        const lower = [...image.layerDirs].reverse().join(':');
        mount = this.#exec('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(layer, 'upper')},workdir=${join(layer, 'work')}`, rootfs]);
        await mount;
        rec.process = spec.process as Record<string, unknown>;
        writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
        this.#containers.set(id, rec);
        this.#saveContainer(rec);
        const { pid } = await this.#startConmon({
          conmon: this.#conmon!,
          runtime: this.#runtime,
          runtimeRoot: this.#dirs.crun,
          id,
          name: config.metadata.name,
          bundle: dir,
          logPath,
          exitDir: this.#dirs.exits,
          persistDir: dir,
          socketDir: this.#dirs.sockets,
          pidFile: join(dir, 'pid'),
          conmonPidFile: join(dir, 'conmon.pid'),
          stdin: config.stdin,
          stdinOnce: config.stdinOnce,
          tty: config.tty,
        });
        rec.pid = pid;
        this.#saveContainer(rec);
        return id;
      } catch (err) {
        this.#containers.delete(id);
        await this.#crun(['delete', '-f', id], true).catch(() => {});
        if (mount && (await mount.then(() => true, () => false))) await this.#exec('umount', [rootfs], { allowFailure: true });
        await rm(dir, { recursive: true, force: true }).catch(() => {});
        await rm(join(this.#dirs.layers, id), { recursive: true, force: true }).catch(() => {});
        await rm(this.#exitFile(id), { force: true }).catch(() => {});
        await removeCgroup(this.cgroups, rec.cgroupPath).catch(() => {});
        if (err instanceof RuntimeError) throw err;
        throw new RuntimeError('Internal', `createContainer ${config.metadata.name}: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  #containerSpec(
    sb: SandboxRecord,
    rec: ContainerRecord,
    config: ContainerConfig,
    image: { layerDirs: string[]; config: Image['config'] },
  ): Record<string, unknown> {
    const sc = config.linux.securityContext;
    const nsOpts = sb.config.linux.namespaceOptions;
    const privileged = !!sc.privileged;
    const readImageFile = (rel: string): string | undefined => {
      for (let i = image.layerDirs.length - 1; i >= 0; i--) {
        try {
          return readFileSync(join(image.layerDirs[i]!, rel), 'utf8');
        } catch {}
      }
      return undefined;
    };
    const needsFiles = sc.runAsUser === undefined || sc.runAsGroup === undefined;
    const user = resolveUser(sc, image.config.user, needsFiles ? { passwd: readImageFile('etc/passwd'), group: readImageFile('etc/group') } : {});
    const caps = resolveCapabilities(sc.capabilities, privileged, this.#allCaps);
    let seccomp: Record<string, unknown> | undefined;
    if (!privileged && sc.seccomp?.type === 'RuntimeDefault') seccomp = runtimeDefaultSeccomp(caps);
    else if (!privileged && sc.seccomp?.type === 'Localhost') {
      try {
        seccomp = JSON.parse(readFileSync(sc.seccomp.localhostRef, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new RuntimeError('InvalidArgument', `seccomp profile ${sc.seccomp.localhostRef}: ${(err as Error).message}`);
      }
    }
    const pause = sb.pausePid;
    const namespaces: Namespace[] = [{ type: 'mount' }];
    if (nsOpts.network !== 'node') {
      namespaces.push({ type: 'network', path: netnsPath(sb.netns) }, { type: 'uts', path: `/proc/${pause}/ns/uts` });
    }
    if (nsOpts.ipc !== 'node') namespaces.push({ type: 'ipc', path: `/proc/${pause}/ns/ipc` });
    // On cgroup v2 a container sees its own cgroup as the root of /sys/fs/cgroup, with its limits there
    // (JVMs and .NET size their heaps from memory.max), as containerd and CRI-O arrange.
    if (this.cgroups.version === 2 && !privileged) namespaces.push({ type: 'cgroup' });
    const pidMode = sc.namespaceOptions?.pid ?? nsOpts.pid;
    if (pidMode === 'pod') namespaces.push({ type: 'pid', path: `/proc/${pause}/ns/pid` });
    else if (pidMode === 'container') {
      const target = sc.namespaceOptions?.targetId ? this.#containers.get(sc.namespaceOptions.targetId) : undefined;
      if (sc.namespaceOptions?.targetId && (!target || !alive(target.pid))) {
        throw new RuntimeError('NotFound', `target container "${sc.namespaceOptions.targetId}" is not running`);
      }
      namespaces.push(target ? { type: 'pid', path: `/proc/${target.pid}/ns/pid` } : { type: 'pid' });
    }
    const hostname = readFileSync(join(sb.dir, 'hostname'), 'utf8').trim();
    const extra: Record<string, string> = { HOSTNAME: hostname };
    if (user.home) extra.HOME = user.home;
    if (config.tty) extra.TERM = 'xterm';
    const env = mergeEnv(image.config.env, config.envs, extra);
    const argv = resolveArgv(config.command, config.args, image.config);
    const given = new Set(config.mounts.map((m) => m.containerPath));
    const mounts: Record<string, unknown>[] = [
      { destination: '/dev/shm', type: 'bind', source: join(sb.dir, 'shm'), options: ['rbind', 'nosuid', 'noexec', 'nodev'] },
    ];
    for (const f of ['hostname', 'resolv.conf', 'hosts']) {
      if (!given.has(`/etc/${f}`)) mounts.push(bindMount({ containerPath: `/etc/${f}`, hostPath: join(sb.dir, f), readonly: false }));
    }
    for (const m of config.mounts) {
      if (!isAbsolute(m.containerPath)) throw new RuntimeError('InvalidArgument', `mount path ${JSON.stringify(m.containerPath)} must be absolute`);
      if (!existsSync(m.hostPath)) throw new RuntimeError('InvalidArgument', `mount source ${JSON.stringify(m.hostPath)} does not exist`);
      mounts.push(bindMount(m));
    }
    return containerSpec({
      rootfs: rec.rootfs,
      readonlyRootfs: !!sc.readonlyRootfs,
      args: argv,
      env,
      cwd: config.workingDir || image.config.workingDir || '/',
      user,
      tty: config.tty,
      capabilities: caps,
      privileged,
      noNewPrivs: !!sc.noNewPrivs,
      ...(seccomp ? { seccomp } : {}),
      maskedPaths: sc.maskedPaths ?? DEFAULT_MASKED_PATHS,
      readonlyPaths: sc.readonlyPaths ?? DEFAULT_READONLY_PATHS,
      mounts,
      namespaces,
      cgroupsPath: `/${rec.cgroupPath}`,
      ...this.#memoryDefaults(sb, config.linux.resources),
      ...(config.linux.resources
        ? {
            resources: {
              ...config.linux.resources,
              ...(config.linux.resources.oomScoreAdj !== undefined
                ? { oomScoreAdj: Math.max(config.linux.resources.oomScoreAdj, this.#minOomScoreAdj) }
                : {}),
            },
          }
        : {}),
      rlimits: this.#rlimits,
      annotations: { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': sb.id },
    });
  }

  /**
   * What the kubelet asks of every container's memory cgroup by default (swap behaviour NoSwap, no
   * single-process OOM kill): on v2 `memory.swap.max` 0 and `memory.oom.group` 1, so an OOM kill ends the
   * whole container; on v1 with swap accounting, a memory+swap limit equal to the memory limit. Only the
   * files the node's kernel has.
   */
  #memoryDefaults(sb: SandboxRecord, r: ContainerConfig['linux']['resources']): { memorySwap?: number; unified?: Record<string, string> } {
    if (this.cgroups.version === 2) {
      const pod = join(this.cgroups.root, sb.cgroupPath);
      const unified: Record<string, string> = {};
      if (existsSync(join(pod, 'memory.swap.max'))) unified['memory.swap.max'] = '0';
      if (existsSync(join(pod, 'memory.oom.group'))) unified['memory.oom.group'] = '1';
      return { unified };
    }
    const limit = r?.memoryLimitInBytes;
    if (limit && limit > 0 && existsSync(join(this.cgroups.root, 'memory', 'memory.memsw.limit_in_bytes'))) return { memorySwap: limit };
    return {};
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.#containerOrThrow(id);
    await this.#locked(id, async () => {
      this.#refresh(rec);
      if (rec.state !== 'created' || rec.startedAt > 0) {
        throw new RuntimeError('FailedPrecondition', `container "${id}" is not in CONTAINER_CREATED state (${rec.state})`);
      }
      rec.startedAt = this.#clock.now();
      try {
        await this.#startCreated(id);
      } catch (err) {
        rec.startedAt = 0;
        throw new RuntimeError('Internal', `start container ${id}: ${(err as Error).message}`, { cause: err });
      }
      rec.state = 'running';
      this.#saveContainer(rec);
    });
  }

  /** Signals and waits; SIGKILL (also to every process left in the container's cgroup) after the timeout. */
  async #kill(rec: ContainerRecord, timeoutSeconds: number): Promise<void> {
    this.#refresh(rec);
    if (rec.state === 'exited') return;
    if (!existsSync(this.#exitFile(rec.id)) && rec.pid > 0) {
      if (timeoutSeconds > 0 && rec.state === 'running') {
        killQuiet(rec.pid, signalNumber(rec.stopSignal));
        const pid = rec.pid;
        if (await this.#waitExitFile(rec.id, timeoutSeconds * 1000, () => !alive(pid))) {
          this.#refresh(rec);
          return;
        }
      }
      killQuiet(rec.pid, 'SIGKILL');
      for (const p of await cgroupPids(this.cgroups, rec.cgroupPath)) killQuiet(p, 'SIGKILL');
      const pid = rec.pid;
      await this.#waitExitFile(rec.id, 10_000, () => !alive(pid));
    }
    if (!existsSync(this.#exitFile(rec.id))) {
      // conmon is gone (killed, or the node rebooted): record what we know.
      writeFileSync(this.#exitFile(rec.id), '137');
    }
    this.#refresh(rec);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.#containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container "${id}" not found`);
    await this.#locked(id, () => this.#kill(rec, Math.max(0, timeoutSeconds)));
  }

  /**
   * `crun delete`: for a container whose processes are gone that is removing its state directory (its
   * cgroup goes with the pod cgroup or in removeContainer), done here without a spawn.
   */
  async #deleteFromRuntime(id: string, pid: number): Promise<void> {
    const state = join(this.#dirs.crun, id);
    if (!existsSync(state)) return;
    if (pid > 0 && !alive(pid) && basename(this.#runtime) === 'crun') {
      await rm(state, { recursive: true, force: true });
      return;
    }
    await this.#crun(['delete', '-f', id], true);
  }

  async #removeContainerNow(rec: ContainerRecord): Promise<void> {
    if (!this.#containers.has(rec.id)) return;
    await this.#kill(rec, 0);
    await this.#deleteFromRuntime(rec.id, rec.pid);
    await this.#exec('umount', [rec.rootfs], { allowFailure: true });
    await removeCgroup(this.cgroups, rec.cgroupPath).catch(() => {});
    await rm(rec.dir, { recursive: true, force: true });
    await rm(join(this.#dirs.layers, rec.id), { recursive: true, force: true });
    await rm(this.#exitFile(rec.id), { force: true });
    await rm(join(this.#dirs.sockets, rec.id), { force: true });
    this.#containers.delete(rec.id);
  }

  async removeContainer(id: string): Promise<void> {
    const rec = this.#containers.get(id);
    if (!rec) return;
    await this.#locked(id, () => this.#removeContainerNow(rec));
  }

  #containerView(rec: ContainerRecord): Container {
    return {
      id: rec.id,
      podSandboxId: rec.sandboxId,
      metadata: rec.metadata,
      image: rec.image,
      imageRef: rec.imageRef,
      state: rec.state === 'created' ? 'CONTAINER_CREATED' : rec.state === 'running' ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED',
      createdAt: rec.createdAt,
      labels: rec.labels,
      annotations: rec.annotations,
    };
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const rec = this.#containerOrThrow(id);
    return {
      ...this.#containerView(rec),
      startedAt: rec.startedAt,
      finishedAt: rec.finishedAt,
      exitCode: rec.exitCode,
      reason: rec.reason,
      message: rec.message,
      mounts: rec.mounts,
      logPath: rec.logPath,
    };
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    const out: Container[] = [];
    for (const rec of this.#containers.values()) {
      if (filter?.id && rec.id !== filter.id) continue;
      if (filter?.podSandboxId && rec.sandboxId !== filter.podSandboxId) continue;
      if (rec.pid === 0) continue; // still being created
      if (!matchesLabels(rec.labels, filter?.labelSelector)) continue;
      const view = this.#containerView(this.#refresh(rec));
      if (filter?.state && view.state !== filter.state) continue;
      out.push(view);
    }
    return out;
  }

  // ------------------------------------------------------------------ exec, attach, port-forward

  #runningOrThrow(id: string): ContainerRecord {
    const rec = this.#containerOrThrow(id);
    if (rec.state !== 'running') throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
    return rec;
  }

  /** Writes the exec process spec: the container's process with `cmd` as argv. */
  #execProcessFile(rec: ContainerRecord, cmd: string[], tty: boolean): string {
    if (cmd.length === 0) throw new RuntimeError('InvalidArgument', 'exec needs a command');
    const file = join(rec.dir, `exec-${randomBytes(6).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify({ ...rec.process, args: cmd, terminal: false, ...(tty ? {} : {}) }));
    return file;
  }

  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    const rec = this.#runningOrThrow(id);
    const processFile = this.#execProcessFile(rec, cmd, false);
    const pidFile = `${processFile}.pid`;
    try {
      return await new Promise<ExecSyncResult>((resolve, reject) => {
        const child = spawn(this.#runtime, [`--root=${this.#dirs.crun}`, 'exec', '--process', processFile, '--pid-file', pidFile, id], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: this.#runtimeEnv,
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        let timedOut = false;
        const timer =
          timeoutMs > 0
            ? setTimeout(() => {
                timedOut = true;
                try {
                  killQuiet(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
                } catch {}
                child.kill('SIGKILL');
              }, timeoutMs)
            : undefined;
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (timedOut) return reject(new RuntimeError('DeadlineExceeded', `command ${JSON.stringify(cmd)} timed out after ${timeoutMs}ms`));
          const stderr = Buffer.concat(err);
          if (code !== 0 && !existsSync(pidFile)) {
            // crun could not start the process at all (no such binary, container gone).
            const text = stderr.toString().trim();
            if (!alive(rec.pid)) return reject(new RuntimeError('FailedPrecondition', `container "${id}" is not running`));
            return resolve({ stdout: Buffer.concat(out), stderr: Buffer.from(text), exitCode: code ?? 126 });
          }
          resolve({ stdout: Buffer.concat(out), stderr, exitCode: code ?? (signal ? 128 + 9 : 1) });
        });
      });
    } finally {
      await rm(processFile, { force: true });
      await rm(pidFile, { force: true });
    }
  }

  async exec(id: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    const rec = this.#runningOrThrow(id);
    if (cmd.length === 0) throw new RuntimeError('InvalidArgument', 'exec needs a command');
    if (options.tty && this.#conmon && (!options.stdin || this.#socat)) {
      const execId = randomBytes(6).toString('hex');
      try {
        return await execWithTty({
          conmon: this.#conmon,
          runtime: this.#runtime,
          runtimeRoot: this.#dirs.crun,
          containerId: id,
          dir: join(rec.dir, `exec-${execId}`),
          socketDir: this.#dirs.sockets,
          execId,
          process: { ...rec.process, args: cmd },
          stdin: options.stdin,
        });
      } catch (err) {
        if (!alive(rec.pid)) throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
        throw new RuntimeError('Internal', `exec in ${id}: ${(err as Error).message}`, { cause: err });
      }
    }
    const processFile = this.#execProcessFile(rec, cmd, options.tty);
    const pidFile = `${processFile}.pid`;
    const crunArgs = [`--root=${this.#dirs.crun}`, 'exec', '--process', processFile, '--pid-file', pidFile, id];
    // A TTY without a native pty binding: util-linux `script` gives crun exec a pseudo-terminal as stdio,
    // which the process inherits; resizing sets the window size on that terminal.
    const child = options.tty
      ? spawn('script', ['-q', '-e', '-f', '-c', [this.#runtime, ...crunArgs].map(shellQuote).join(' '), '/dev/null'], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...this.#runtimeEnv, SHELL: '/bin/sh' },
        })
      : spawn(this.#runtime, crunArgs, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: this.#runtimeEnv });
    if (options.tty && !options.stdin) child.stdin!.end();
    // Streams nobody reads must still be drained, or a chatty process blocks on a full pipe.
    if (!options.stdout && !options.tty) child.stdout!.resume();
    if (!options.stderr || options.tty) child.stderr!.resume();
    const exit = new Promise<{ exitCode: number }>((resolve) => {
      child.on('error', () => resolve({ exitCode: 126 }));
      child.on('close', (code, signal) => {
        void rm(processFile, { force: true });
        void rm(pidFile, { force: true });
        resolve({ exitCode: code ?? (signal ? 137 : 1) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new RuntimeError('Internal', `exec: ${e.message}`)));
    });
    const scriptPid = child.pid!;
    let pending: { width: number; height: number } | undefined;
    const applySize = async (size: { width: number; height: number }) => {
      const tty = findChildTty(scriptPid);
      if (!tty) {
        pending = size;
        return;
      }
      await execFile('stty', ['-F', tty, 'rows', String(size.height), 'cols', String(size.width)], { allowFailure: true });
    };
    if (options.tty) {
      // Apply a size asked for before the terminal existed as soon as it does.
      const timer = setInterval(() => {
        if (pending && findChildTty(scriptPid)) {
          const s = pending;
          pending = undefined;
          void applySize(s);
        }
      }, 20);
      void exit.then(() => clearInterval(timer));
    }
    return {
      ...(options.stdin || options.tty ? { stdin: child.stdin! } : {}),
      ...(options.stdout || options.tty ? { stdout: child.stdout! } : {}),
      ...(options.stderr && !options.tty ? { stderr: child.stderr! } : {}),
      resize: (size) => {
        if (options.tty) void applySize(size);
      },
      exit,
      close: () => {
        try {
          killQuiet(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {}
        child.kill('SIGKILL');
      },
    };
  }

  async attach(id: string, options: StreamOptions): Promise<StreamSession> {
    const rec = this.#runningOrThrow(id);
    if (options.stdin && !rec.stdin) throw new RuntimeError('InvalidArgument', `container "${id}" was not created with stdin`);
    // Output comes from following the container's log file from its current end (conmon writes every byte
    // the container prints there); input goes to conmon's attach socket, a SOCK_SEQPACKET socket Node
    // cannot open itself, through socat.
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const follow = followCriLog(rec.logPath, (stream, data) => (stream === 'stderr' && !rec.tty ? stderr : stdout).write(data));
    let stdinStream: import('node:stream').Writable | undefined;
    let socat: ReturnType<typeof spawn> | undefined;
    if (options.stdin) {
      const socket = join(rec.dir, 'attach');
      socat = spawn('socat', ['-u', 'STDIN', `UNIX-CONNECT:${socket},type=5`], { stdio: ['pipe', 'ignore', 'ignore'] });
      socat.on('error', () => {});
      stdinStream = socat.stdin!;
    }
    let closed = false;
    let finish: (v: { exitCode: number }) => void = () => {};
    const exit = new Promise<{ exitCode: number }>((resolve) => (finish = resolve));
    const end = async () => {
      if (closed) return;
      closed = true;
      await follow.stop();
      stdout.end();
      stderr.end();
      socat?.kill();
      this.#refresh(rec);
      finish({ exitCode: rec.state === 'exited' ? rec.exitCode : 0 });
    };
    void this.#waitExitFile(id, -1).then(end);
    return {
      ...(stdinStream ? { stdin: stdinStream } : {}),
      ...(options.stdout || options.tty ? { stdout } : {}),
      ...(options.stderr && !options.tty ? { stderr } : {}),
      resize: (size) => {
        if (!rec.tty) return;
        void writeFifo(join(rec.dir, 'ctl'), `1 ${size.height} ${size.width}\n`).catch(() => {});
      },
      exit,
      close: () => void end(),
    };
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    const sb = this.#sandboxOrThrow(podSandboxId);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError('InvalidArgument', `invalid port ${port}`);
    if (this.#sandboxState(sb) !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `pod sandbox "${podSandboxId}" is not ready`);
    if (!sb.netns) return connect({ host: '127.0.0.1', port });
    const busybox = which(['busybox'], ['/bin/busybox', '/usr/bin/busybox']);
    if (!busybox) throw new RuntimeError('Unavailable', 'port-forward needs busybox on the node');
    const child = spawn('nsenter', [`--net=${netnsPath(sb.netns)}`, busybox, 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new RuntimeError('Internal', `port-forward: ${e.message}`)));
    });
    // The helper's stdout/stdin as one socket-like stream: the remote closing ends the readable side, and
    // a helper that fails (nothing listens on the port) destroys it with the helper's own words, as a failed
    // dial does upstream.
    const out = child.stdout!;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-1000)));
    const duplex = new Duplex({
      read() {
        out.resume();
      },
      write(chunk, _enc, cb) {
        if (child.stdin!.destroyed) return cb();
        child.stdin!.write(chunk, () => cb());
      },
      final(cb) {
        child.stdin!.end();
        cb();
      },
      destroy(err, cb) {
        child.kill();
        cb(err);
      },
    });
    child.stdin!.on('error', () => {});
    out.on('data', (d: Buffer) => {
      if (!duplex.push(d)) out.pause();
    });
    child.once('close', (code) => {
      if (code === 0 || code === null) duplex.push(null);
      else
        duplex.destroy(
          new RuntimeError(
            'Unavailable',
            `failed to connect to localhost:${port} inside namespace ${JSON.stringify(netnsPath(sb.netns!))}: ${stderr.trim() || `exit status ${code}`}`,
          ),
        );
    });
    return duplex;
  }

  async reopenContainerLog(id: string): Promise<void> {
    const rec = this.#containerOrThrow(id);
    if (rec.state !== 'running') throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
    // conmon's control fifo: message type 2 reopens the log file.
    try {
      await writeFifo(join(rec.dir, 'ctl'), '2 0 0\n');
    } catch (err) {
      throw new RuntimeError('Internal', `reopen log of ${id}: conmon does not answer (${(err as Error).message})`, { cause: err });
    }
  }

  // ------------------------------------------------------------------ images (delegated)

  pullImage(ref: string, options?: { auth?: AuthConfig; signal?: AbortSignal; onProgress?: (p: PullProgress) => void }): Promise<string> {
    return this.#images.pullImage(ref, options);
  }

  imageStatus(ref: string): Promise<Image | undefined> {
    return this.#images.imageStatus(ref);
  }

  listImages(): Promise<Image[]> {
    return this.#images.listImages();
  }

  removeImage(ref: string): Promise<void> {
    return this.#images.removeImage(ref);
  }

  imageFsInfo(): Promise<{ mountpoint: string; usedBytes: number; capacityBytes: number; availableBytes: number }> {
    return this.#images.imageFsInfo();
  }
}

// ------------------------------------------------------------------ small pure helpers

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The pty slave a `script` process gave its child (its child's stdin), e.g. /dev/pts/3. */
function findChildTty(scriptPid: number): string | undefined {
  try {
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const c of children) {
      const link = readlinkSync(`/proc/${c}/fd/0`);
      if (link.startsWith('/dev/pts/')) return link;
    }
  } catch {}
  return undefined;
}

function validateSandboxConfig(c: PodSandboxConfig): void {
  const m = c?.metadata;
  if (!m?.name || !m.namespace || !m.uid) throw new RuntimeError('InvalidArgument', 'sandbox metadata needs name, namespace and uid');
  if (!c.logDirectory || !isAbsolute(c.logDirectory)) throw new RuntimeError('InvalidArgument', 'sandbox logDirectory must be an absolute path');
  if (c.hostname && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(c.hostname)) throw new RuntimeError('InvalidArgument', `invalid hostname ${JSON.stringify(c.hostname)}`);
  for (const p of c.portMappings ?? []) {
    if (!(p.containerPort >= 1 && p.containerPort <= 65535) || !(p.hostPort >= 0 && p.hostPort <= 65535)) {
      throw new RuntimeError('InvalidArgument', `invalid port mapping ${JSON.stringify(p)}`);
    }
  }
}

function validateContainerConfig(c: ContainerConfig): void {
  if (!c?.metadata?.name) throw new RuntimeError('InvalidArgument', 'container metadata needs a name');
  if (!c.image) throw new RuntimeError('InvalidArgument', 'container needs an image');
  if (!c.logPath || isAbsolute(c.logPath) || c.logPath.split('/').includes('..')) {
    throw new RuntimeError('InvalidArgument', `container logPath must be relative to the sandbox log directory, got ${JSON.stringify(c.logPath)}`);
  }
}

function cniPorts(c: PodSandboxConfig) {
  return (c.portMappings ?? [])
    .filter((p) => p.hostPort > 0)
    .map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp',
      ...(p.hostIp ? { hostIP: p.hostIp } : {}),
    }));
}

function resolvConf(c: PodSandboxConfig): string {
  const d = c.dnsConfig;
  if (!d || (d.servers.length === 0 && d.searches.length === 0 && d.options.length === 0)) {
    try {
      return readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return '';
    }
  }
  const lines: string[] = [];
  if (d.searches.length) lines.push(`search ${d.searches.join(' ')}`);
  for (const s of d.servers) lines.push(`nameserver ${s}`);
  if (d.options.length) lines.push(`options ${d.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

function hostsFile(hostname: string, ip: string): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'fe00::1\tip6-allnodes', 'fe00::2\tip6-allrouters'];
  if (ip && hostname) lines.push(`${ip}\t${hostname}`);
  return `${lines.join('\n')}\n`;
}
