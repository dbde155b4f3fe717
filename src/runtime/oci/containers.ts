/**
 * Containers: createContainer (overlayfs root over the image's layers, the OCI spec, one conmon that has crun
 * create it), startContainer (through crun's exec fifo), stopContainer, removeContainer, containerStatus,
 * listContainers and reopenContainerLog. `kill` and `removeContainerNow` are also the sandbox teardown's
 * (sandboxes.ts). Records and exit files live in the shared state (runtime-state.ts); calls on one container
 * are serialised by its lock.
 */
import { constants as fsConstants, closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { netnsPath } from '../cni/index.ts';
import {
  RuntimeError,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStatus,
  type Image,
  type PodSandboxConfig,
} from '../runtime.ts';
import { cgroupPids, removeCgroup } from './cgroups.ts';
import { startConmon, startConmonVia, type ConmonConfig, type ConmonHandle } from './conmon.ts';
import { runtimeDefaultSeccomp } from './seccomp.ts';
import { hostDevices } from './host-devices.ts';
import { alive, errno, killQuiet } from './processes.ts';
import {
  bindMount,
  containerSpec,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  mergeEnv,
  resolveArgv,
  resolveCapabilities,
  resolveUser,
  type Namespace,
} from './spec.ts';
import type { ContainerRecord, SandboxRecord } from './state.ts';
import { writeFifo } from './stream-util.ts';
import { matchesLabels, newId, type OciState } from './runtime-state.ts';

export class OciContainers {
  readonly #state: OciState;

  constructor(state: OciState) {
    this.#state = state;
  }

  #startConmon(c: ConmonConfig): Promise<ConmonHandle> {
    if (this.#state.spawner.reapsDaemons) return startConmonVia(this.#state.spawner, c, join(c.persistDir, 'sync'));
    return startConmon(c);
  }

  /**
   * Lets a created container run: what `crun start` does, without spawning it. The container's init waits
   * reading crun's exec fifo; opening it for writing, removing it (crun then reports the container as
   * started) and writing one byte releases it.
   */
  async #startCreated(id: string): Promise<void> {
    const fifo = join(this.#state.dirs.crun, id, 'exec.fifo');
    // Sync calls: four tiny operations, each cheaper than a round trip through libuv's thread pool.
    let fd: number;
    try {
      fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch (err) {
      // ENXIO: no reader (the init died); ENOENT: not a crun-style runtime. Let the runtime say why.
      if (errno(err) !== 'ENOENT' && errno(err) !== 'ENXIO') throw err;
      await this.#state.crun(['start', id]);
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

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    void sandboxConfig; // the sandbox's own record is authoritative
    const sb = this.#state.sandboxOrThrow(podSandboxId);
    if (this.#state.sandboxState(sb) !== 'SANDBOX_READY') {
      throw new RuntimeError('FailedPrecondition', `pod sandbox "${podSandboxId}" is not ready`);
    }
    validateContainerConfig(config);
    const key = `${podSandboxId}/${config.metadata.name}/${config.metadata.attempt}`;
    const taken = [...this.#state.containers.values()].some(
      (c) => c.sandboxId === podSandboxId && c.metadata.name === config.metadata.name && c.metadata.attempt === config.metadata.attempt,
    );
    if (taken || this.#state.creating.has(key)) {
      throw new RuntimeError('AlreadyExists', `container ${config.metadata.name} (attempt ${config.metadata.attempt}) already exists in sandbox ${podSandboxId}`);
    }
    this.#state.creating.add(key);
    try {
      return await this.#createContainer(sb, config);
    } finally {
      this.#state.creating.delete(key);
    }
  }

  async #createContainer(sb: SandboxRecord, config: ContainerConfig): Promise<string> {
    const podSandboxId = sb.id;
    const image = await this.#state.images.imageLayers(config.image);
    const id = newId();
    const dir = join(this.#state.dirs.containers, id);
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
      createdAt: this.#state.clock.now(),
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
    return this.#state.locked(id, async () => {
      let mount: Promise<unknown> | undefined;
      try {
        // Everything that can refuse the config runs before anything is made.
        const spec = this.#containerSpec(sb, rec, config, image);
        const layer = join(this.#state.dirs.layers, id);
        mkdirSync(rootfs, { recursive: true });
        // On disk (the writable layer and the log): off the event loop, where a busy journal cannot stall it.
        await Promise.all([
          mkdir(join(layer, 'upper'), { recursive: true }),
          mkdir(join(layer, 'work'), { recursive: true }),
          mkdir(dirname(logPath), { recursive: true }),
        ]);
        const lower = [...image.layerDirs].reverse().join(':');
        mount = this.#state.exec('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(layer, 'upper')},workdir=${join(layer, 'work')}`, rootfs]);
        await mount;
        rec.process = spec.process as Record<string, unknown>;
        writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
        this.#state.containers.set(id, rec);
        this.#state.saveContainer(rec);
        const { pid } = await this.#startConmon({
          conmon: this.#state.conmon!,
          runtime: this.#state.runtime,
          runtimeRoot: this.#state.dirs.crun,
          id,
          name: config.metadata.name,
          bundle: dir,
          logPath,
          exitDir: this.#state.dirs.exits,
          persistDir: dir,
          socketDir: this.#state.dirs.sockets,
          pidFile: join(dir, 'pid'),
          conmonPidFile: join(dir, 'conmon.pid'),
          stdin: config.stdin,
          stdinOnce: config.stdinOnce,
          tty: config.tty,
        });
        rec.pid = pid;
        this.#state.saveContainer(rec);
        return id;
      } catch (err) {
        this.#state.containers.delete(id);
        await this.#state.crun(['delete', '-f', id], true).catch(() => {});
        if (mount && (await mount.then(() => true, () => false))) await this.#state.exec('umount', [rootfs], { allowFailure: true });
        await rm(dir, { recursive: true, force: true }).catch(() => {});
        await rm(join(this.#state.dirs.layers, id), { recursive: true, force: true }).catch(() => {});
        await rm(this.#state.exitFile(id), { force: true }).catch(() => {});
        await removeCgroup(this.#state.cgroups, rec.cgroupPath).catch(() => {});
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
    // The user's name (for its /etc/group groups, unless Strict) or its primary group come from the image.
    const needsFiles = sc.runAsUser === undefined || sc.runAsGroup === undefined || sc.supplementalGroupsPolicy !== 'Strict';
    const user = resolveUser(sc, image.config.user, needsFiles ? { passwd: readImageFile('etc/passwd'), group: readImageFile('etc/group') } : {});
    const caps = resolveCapabilities(sc.capabilities, privileged, this.#state.allCaps);
    let seccomp: Record<string, unknown> | undefined;
    if (!privileged && sc.seccomp?.type === 'RuntimeDefault') seccomp = runtimeDefaultSeccomp(caps);
    else if (!privileged && sc.seccomp?.type === 'Localhost') {
      try {
        seccomp = JSON.parse(readFileSync(sc.seccomp.localhostRef, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? `open ${sc.seccomp.localhostRef}: no such file or directory` : e.message;
        // containerd's message for a profile it cannot load.
        throw new RuntimeError('InvalidArgument', `failed to generate seccomp spec opts: cannot load seccomp profile ${JSON.stringify(sc.seccomp.localhostRef)}: ${why}`);
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
    if (this.#state.cgroups.version === 2 && !privileged) namespaces.push({ type: 'cgroup' });
    const pidMode = sc.namespaceOptions?.pid ?? nsOpts.pid;
    if (pidMode === 'pod') namespaces.push({ type: 'pid', path: `/proc/${pause}/ns/pid` });
    else if (pidMode === 'container') {
      const target = sc.namespaceOptions?.targetId ? this.#state.containers.get(sc.namespaceOptions.targetId) : undefined;
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
      ...(privileged ? { devices: hostDevices() as unknown as Record<string, unknown>[] } : {}),
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
                ? { oomScoreAdj: Math.max(config.linux.resources.oomScoreAdj, this.#state.minOomScoreAdj) }
                : {}),
            },
          }
        : {}),
      rlimits: this.#state.rlimits,
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
    if (this.#state.cgroups.version === 2) {
      const pod = join(this.#state.cgroups.root, sb.cgroupPath);
      const unified: Record<string, string> = {};
      if (existsSync(join(pod, 'memory.swap.max'))) unified['memory.swap.max'] = '0';
      if (existsSync(join(pod, 'memory.oom.group'))) unified['memory.oom.group'] = '1';
      return { unified };
    }
    const limit = r?.memoryLimitInBytes;
    if (limit && limit > 0 && existsSync(join(this.#state.cgroups.root, 'memory', 'memory.memsw.limit_in_bytes'))) return { memorySwap: limit };
    return {};
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.#state.containerOrThrow(id);
    await this.#state.locked(id, async () => {
      this.#state.refresh(rec);
      if (rec.state !== 'created' || rec.startedAt > 0) {
        throw new RuntimeError('FailedPrecondition', `container "${id}" is not in CONTAINER_CREATED state (${rec.state})`);
      }
      rec.startedAt = this.#state.clock.now();
      try {
        await this.#startCreated(id);
      } catch (err) {
        rec.startedAt = 0;
        throw new RuntimeError('Internal', `start container ${id}: ${(err as Error).message}`, { cause: err });
      }
      rec.state = 'running';
      this.#state.saveContainer(rec);
    });
  }

  /** Signals and waits; SIGKILL (also to every process left in the container's cgroup) after the timeout. */
  async kill(rec: ContainerRecord, timeoutSeconds: number): Promise<void> {
    this.#state.refresh(rec);
    if (rec.state === 'exited') return;
    if (!existsSync(this.#state.exitFile(rec.id)) && rec.pid > 0) {
      if (timeoutSeconds > 0 && rec.state === 'running') {
        killQuiet(rec.pid, signalNumber(rec.stopSignal));
        const pid = rec.pid;
        if (await this.#state.waitExitFile(rec.id, timeoutSeconds * 1000, () => !alive(pid))) {
          this.#state.refresh(rec);
          return;
        }
      }
      killQuiet(rec.pid, 'SIGKILL');
      for (const p of await cgroupPids(this.#state.cgroups, rec.cgroupPath)) killQuiet(p, 'SIGKILL');
      const pid = rec.pid;
      await this.#state.waitExitFile(rec.id, 10_000, () => !alive(pid));
    }
    if (!existsSync(this.#state.exitFile(rec.id))) {
      // conmon is gone (killed, or the node rebooted): record what we know.
      writeFileSync(this.#state.exitFile(rec.id), '137');
    }
    this.#state.refresh(rec);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.#state.containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container "${id}" not found`);
    await this.#state.locked(id, () => this.kill(rec, Math.max(0, timeoutSeconds)));
  }

  async removeContainerNow(rec: ContainerRecord): Promise<void> {
    if (!this.#state.containers.has(rec.id)) return;
    await this.kill(rec, 0);
    await this.#state.deleteFromRuntime(rec.id, rec.pid);
    await this.#state.exec('umount', [rec.rootfs], { allowFailure: true });
    await removeCgroup(this.#state.cgroups, rec.cgroupPath).catch(() => {});
    await rm(rec.dir, { recursive: true, force: true });
    await rm(join(this.#state.dirs.layers, rec.id), { recursive: true, force: true });
    await rm(this.#state.exitFile(rec.id), { force: true });
    await rm(join(this.#state.dirs.sockets, rec.id), { force: true });
    this.#state.containers.delete(rec.id);
  }

  async removeContainer(id: string): Promise<void> {
    const rec = this.#state.containers.get(id);
    if (!rec) return;
    await this.#state.locked(id, () => this.removeContainerNow(rec));
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
    const rec = this.#state.containerOrThrow(id);
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
    for (const rec of this.#state.containers.values()) {
      if (filter?.id && rec.id !== filter.id) continue;
      if (filter?.podSandboxId && rec.sandboxId !== filter.podSandboxId) continue;
      if (rec.pid === 0) continue; // still being created
      if (!matchesLabels(rec.labels, filter?.labelSelector)) continue;
      const view = this.#containerView(this.#state.refresh(rec));
      if (filter?.state && view.state !== filter.state) continue;
      out.push(view);
    }
    return out;
  }

  async reopenContainerLog(id: string): Promise<void> {
    const rec = this.#state.containerOrThrow(id);
    if (rec.state !== 'running') throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
    // conmon's control fifo: message type 2 reopens the log file.
    try {
      await writeFifo(join(rec.dir, 'ctl'), '2 0 0\n');
    } catch (err) {
      throw new RuntimeError('Internal', `reopen log of ${id}: conmon does not answer (${(err as Error).message})`, { cause: err });
    }
  }
}

function signalNumber(sig: string): NodeJS.Signals | number {
  if (/^\d+$/.test(sig)) return Number(sig);
  const up = sig.toUpperCase();
  return (up.startsWith('SIG') ? up : `SIG${up}`) as NodeJS.Signals;
}

export function validateContainerConfig(c: ContainerConfig): void {
  if (!c?.metadata?.name) throw new RuntimeError('InvalidArgument', 'container metadata needs a name');
  if (!c.image) throw new RuntimeError('InvalidArgument', 'container needs an image');
  if (!c.logPath || isAbsolute(c.logPath) || c.logPath.split('/').includes('..')) {
    throw new RuntimeError('InvalidArgument', `container logPath must be relative to the sandbox log directory, got ${JSON.stringify(c.logPath)}`);
  }
}
