/**
 * The state every part of the OCI runtime shares (one object, made once by `OciRuntime`): the volatile state
 * tmpfs and its directories, the sandbox and container records (read back at construction, which is how a new
 * runtime adopts what an earlier one started), per-id locks, conmon's exit files and their watcher, and the
 * binaries and host facts (rlimits, capabilities, cgroup layout) the sandbox and container code build specs
 * from. `releaseStateIfIdle` unmounts the tmpfs when nothing is left to adopt.
 *
 * Layout of the tmpfs and the data directory: oci-runtime.ts. Records: state.ts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, isAbsolute, join } from 'node:path';
import { realClock, type Clock } from '../../machinery/index.ts';
import { CniNetwork, type CniConfig, type Exec } from '../cni/index.ts';
import { RuntimeError, type Image, type ImageService } from '../runtime.ts';
import { cgroupOomKilled, detectCgroupLayout, type CgroupLayout } from './cgroups.ts';
import { favorDynamicCgroupModifications, type FavorDynmodsResult } from './cgroup-tuning.ts';
import { ensureTmpfs, mountTable, readOnlyBinary, unmountUnder } from './mounts.ts';
import { alive, aliveSince } from './processes.ts';
import { Spawner } from './spawner.ts';
import { allCapabilities, heldCapabilities, rlimitsFromHost, type Rlimit } from './spec.ts';
import { readRecords, writeRecord, type ContainerRecord, type SandboxRecord } from './state.ts';

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

export function which(names: string[], extra: string[] = []): string | undefined {
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

export function newId(): string {
  return randomBytes(16).toString('hex');
}

export function matchesLabels(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export class OciState {
  readonly root: string;
  readonly cni: CniNetwork;
  readonly cgroups: CgroupLayout;
  /** What became of `favordynmods` at construction ('protected': not tried, as configured). */
  readonly cgroupFavorDynmods: FavorDynmodsResult | 'protected';
  readonly images: LayeredImageService;
  readonly clock: Clock;
  readonly runtime: string;
  /** The one runtime handler this node serves (CRI's runtime_handler): the OCI runtime's name, `crun` or `runc`. */
  readonly handler: string;
  readonly conmon: string | undefined;
  readonly catatonit: string | undefined;
  readonly socat: string | undefined;
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly containers = new Map<string, ContainerRecord>();
  #locks = new Map<string, Promise<unknown>>();
  /** sandbox/name/attempt of containers being created (AlreadyExists for a concurrent twin). */
  readonly creating = new Set<string>();
  #exitWaiters = new Map<string, Set<() => void>>();
  #exitListeners = new Set<(id: string) => void>();
  /** Pod starts under way (runPodSandbox, createContainer, startContainer) and when the last one ended. */
  #starting = 0;
  #lastStartEnded = 0;
  #watcher: FSWatcher | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  readonly rlimits: Rlimit[];
  readonly allCaps: string[];
  /** Our own oom_score_adj: without CAP_SYS_RESOURCE a child may not go below it. */
  readonly minOomScoreAdj: number;
  readonly spawner: Spawner;
  /** The environment crun runs with: it says that crun's binary is a read-only mount (mounts.ts). */
  readonly runtimeEnv: NodeJS.ProcessEnv = process.env;
  readonly stateRoot: string;
  /** Short helper commands go through the spawner's shells (see spawner.ts for why). */
  readonly exec: Exec = (cmd, args, options) => this.spawner.run(cmd, args, options);
  readonly dirs: { sandboxes: string; containers: string; exits: string; crun: string; sockets: string; pause: string; layers: string };

  constructor(config: OciRuntimeConfig) {
    if (!config.root || !isAbsolute(config.root)) throw new Error('OciRuntime: root must be an absolute path');
    if (!config.images) throw new Error('OciRuntime: images (the image service) is required');
    this.root = config.root;
    this.images = config.images;
    this.clock = config.clock ?? realClock;
    const rt = config.runtime ?? 'crun';
    this.runtime = which([rt]) ?? rt;
    this.handler = basename(rt);
    this.conmon = which([config.conmonPath ?? 'conmon'], ['/usr/libexec/podman/conmon', '/usr/libexec/crio/conmon']);
    this.catatonit = which([config.catatonitPath ?? 'catatonit'], ['/usr/libexec/catatonit/catatonit', '/usr/libexec/podman/catatonit']);
    this.socat = which(['socat']);
    const state = config.stateRoot ?? join(this.root, 'run');
    ensureTmpfs(state);
    const readOnly = readOnlyBinary(this.runtime, join(state, 'bin'));
    if (readOnly) {
      this.runtime = readOnly;
      this.runtimeEnv = { ...process.env, _LIBCONTAINER_CLONED_BINARY: '1' };
    }
    // Every crun started through the shells (pause, conmon's create) inherits their environment.
    this.spawner = new Spawner({ ...(this.catatonit ? { subreaper: this.catatonit } : {}), env: this.runtimeEnv });
    this.stateRoot = state;
    this.dirs = {
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
    for (const d of Object.values(this.dirs)) mkdirSync(d, { recursive: true });
    this.cni = new CniNetwork({ ...config.cni, dataDir: config.cni.dataDir ?? join(state, 'cni'), exec: this.exec });
    this.cgroups = detectCgroupLayout();
    this.cgroupFavorDynmods = config.protectKernelDefaults ? 'protected' : favorDynamicCgroupModifications();
    let limits = '';
    try {
      limits = readFileSync('/proc/self/limits', 'utf8');
    } catch {}
    this.rlimits = rlimitsFromHost(limits);
    let lastCap = 40;
    try {
      lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {}
    let status = '';
    try {
      status = readFileSync('/proc/self/status', 'utf8');
    } catch {}
    this.allCaps = heldCapabilities(allCapabilities(lastCap), status);
    this.minOomScoreAdj = -1000;
    try {
      this.minOomScoreAdj = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()) || 0;
    } catch {}
    for (const s of readRecords<SandboxRecord>(this.dirs.sandboxes)) this.sandboxes.set(s.id, s);
    for (const c of readRecords<ContainerRecord>(this.dirs.containers)) this.containers.set(c.id, c);
    // Writable layers of containers no record knows (the state tmpfs was lost with a reboot): nothing runs
    // on them any more.
    for (const id of readdirSync(this.dirs.layers)) {
      if (!this.containers.has(id)) void rm(join(this.dirs.layers, id), { recursive: true, force: true }).catch(() => {});
    }
  }

  /**
   * Releases the runtime's own resources (exit watcher, helper shells); containers keep running. The promise
   * resolves when the helper processes are gone (await it before the process exits).
   */
  close(): Promise<void> {
    const closed = this.spawner.close();
    this.#exitListeners.clear();
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
      left = readdirSync(this.dirs.sandboxes);
    } catch {
      return false;
    }
    if (left.length > 0 || this.containers.size > 0) return false;
    const state = realpathSync(this.stateRoot);
    const ours = mountTable().some((m) => m.mountPoint === state && m.fsType === 'tmpfs');
    // The runtime binary's read-only view goes too, also from a state directory on a tmpfs of the node's.
    unmountUnder(state);
    return ours;
  }

  async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
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

  exitFile(id: string): string {
    return join(this.dirs.exits, id);
  }

  /** Starts the exit-file watcher on first use (one inotify watch for every container). */
  #watchExits(): void {
    if (this.#watcher) return;
    this.#watcher = watch(this.dirs.exits, (_event, name) => {
      if (!name) return;
      this.#wakeExit(name.toString());
      for (const l of this.#exitListeners) l(name.toString());
    });
    this.#watcher.unref();
    // A safety net for missed events (e.g. an exit file written between checks): cheap existsSync checks.
    this.#pollTimer = setInterval(() => {
      for (const id of this.#exitWaiters.keys()) if (existsSync(this.exitFile(id))) this.#wakeExit(id);
    }, 250);
    this.#pollTimer.unref();
  }

  #wakeExit(id: string): void {
    const waiters = this.#exitWaiters.get(id);
    if (!waiters) return;
    this.#exitWaiters.delete(id);
    for (const w of waiters) w();
  }

  /** Runs `fn` as part of a pod's start, which the sandbox pool keeps its refills away from. */
  async starting<T>(fn: () => Promise<T>): Promise<T> {
    this.#starting++;
    try {
      return await fn();
    } finally {
      this.#starting--;
      this.#lastStartEnded = this.clock.now();
    }
  }

  /** Whether no pod has been starting for `ms` (the pool refills then: sandbox-pool.ts). */
  quietFor(ms: number): boolean {
    return this.#starting === 0 && this.clock.now() - this.#lastStartEnded >= ms;
  }

  /** Calls `listener` with the id of each exit file conmon writes (a hint: maybe more than once); returns the unsubscribe. */
  watchExits(listener: (id: string) => void): () => void {
    this.#watchExits();
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** Resolves true when conmon has written `id`'s exit file, false after `timeoutMs`. */
  waitExitFile(id: string, timeoutMs: number, extraCheck?: () => boolean): Promise<boolean> {
    if (existsSync(this.exitFile(id))) return Promise.resolve(true);
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
      if (existsSync(this.exitFile(id))) return done(true);
      if (extraCheck) extra = setInterval(() => extraCheck() && done(existsSync(this.exitFile(id))), 100);
      if (timeoutMs >= 0) timer = setTimeout(() => done(existsSync(this.exitFile(id))), timeoutMs);
    });
  }

  saveSandbox(s: SandboxRecord): void {
    writeRecord(s.dir, s);
  }

  saveContainer(c: ContainerRecord): void {
    writeRecord(c.dir, c);
  }

  /** Brings a container record up to date with its exit file (exit code, finish time, OOM). */
  refresh(c: ContainerRecord): ContainerRecord {
    if (c.state === 'exited') return c;
    let text: string;
    let mtime: number;
    try {
      text = readFileSync(this.exitFile(c.id), 'utf8');
      mtime = statSync(this.exitFile(c.id)).mtimeMs;
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
      this.saveContainer(c);
    } catch {}
    return c;
  }

  sandboxOrThrow(id: string): SandboxRecord {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox "${id}" not found`);
    return s;
  }

  containerOrThrow(id: string): ContainerRecord {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    return this.refresh(c);
  }

  async crun(args: string[], allowFailure = false) {
    return this.exec(this.runtime, [`--root=${this.dirs.crun}`, ...args], { allowFailure });
  }

  /** Whether the sandbox's pause process still runs (not a later process that reuses its pid). */
  pauseRunning(rec: SandboxRecord): boolean {
    return aliveSince(rec.pausePid, rec.pauseStartTime);
  }

  sandboxState(rec: SandboxRecord): 'SANDBOX_READY' | 'SANDBOX_NOTREADY' {
    if (rec.state !== 'ready') return 'SANDBOX_NOTREADY';
    // A pause process that died (OOM, killed by hand) leaves the sandbox not ready; the kubelet replaces it.
    if (rec.pausePid > 0 && !this.pauseRunning(rec)) return 'SANDBOX_NOTREADY';
    return 'SANDBOX_READY';
  }

  /**
   * `crun delete`: for a container whose processes are gone that is removing its state directory (its
   * cgroup goes with the pod cgroup or in removeContainer), done here without a spawn.
   */
  async deleteFromRuntime(id: string, pid: number): Promise<void> {
    const state = join(this.dirs.crun, id);
    if (!existsSync(state)) return;
    if (pid > 0 && !alive(pid) && basename(this.runtime) === 'crun') {
      await rm(state, { recursive: true, force: true });
      return;
    }
    await this.crun(['delete', '-f', id], true);
  }
}
