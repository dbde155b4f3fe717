/**
 * Pod sandboxes: runPodSandbox (netns, CNI ADD, the pause process, pod cgroup, /dev/shm, hostname,
 * resolv.conf, hosts), stopPodSandbox, removePodSandbox, podSandboxStatus and listPodSandbox. Teardown kills
 * and removes the sandbox's containers through the container part (containers.ts); every record lives in the
 * shared state (runtime-state.ts). Calls on one sandbox are serialised by its lock.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, copyFileSync, chmodSync, renameSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { createNetns, deleteNetns, netnsPath } from '../cni/index.ts';
import {
  RuntimeError,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  noRuntimeForHandler,
} from '../runtime.ts';
import { moveCgroupProcesses, normaliseCgroupPath, removeCgroup, setupPodCgroup } from './cgroups.ts';
import { killQuiet, processStartTime, waitGone } from './processes.ts';
import { pauseSpec, type Namespace } from './spec.ts';
import { readQuietly, type SandboxRecord } from './state.ts';
import type { OciContainers } from './containers.ts';
import { matchesLabels, newId, type OciState } from './runtime-state.ts';

export class OciSandboxes {
  readonly #state: OciState;
  readonly #containerOps: OciContainers;

  constructor(state: OciState, containers: OciContainers) {
    this.#state = state;
    this.#containerOps = containers;
  }

  /**
   * Takes a pooled sandbox the config fits (sandbox-pool.ts sets it when the node keeps a pool), or the pool's
   * build under way to wait for; undefined when there is none or the config does not fit one.
   */
  takeFromPool: ((config: PodSandboxConfig) => SandboxRecord | Promise<SandboxRecord | undefined> | undefined) | undefined;
  /** Told when a pooled sandbox could not be handed over (the pod then gets one built for it). */
  handOverFailed: ((err: unknown) => void) | undefined;

  async runPodSandbox(config: PodSandboxConfig, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    validateSandboxConfig(config);
    if (config.runtimeHandler && config.runtimeHandler !== this.#state.handler) throw noRuntimeForHandler(config.runtimeHandler);
    if (!this.#state.conmon) throw new RuntimeError('Unavailable', 'conmon not found (install it: scripts/setup-host.sh)');
    const m = config.metadata;
    for (const s of this.#state.sandboxes.values()) {
      const o = s.config.metadata;
      if (o.name === m.name && o.namespace === m.namespace && o.uid === m.uid && o.attempt === m.attempt) {
        throw new RuntimeError('AlreadyExists', `pod sandbox for ${m.namespace}/${m.name} (uid ${m.uid}, attempt ${m.attempt}) already exists as ${s.id}`);
      }
    }
    const pooled = await this.takeFromPool?.(config);
    if (pooled) {
      try {
        return await this.#handOver(pooled, config, signal);
      } catch (err) {
        // The pooled sandbox is gone with its error; a sandbox built for the pod may still work.
        if (signal?.aborted) throw err;
        this.handOverFailed?.(err);
      }
    }
    return this.#create(config, false, signal);
  }

  /**
   * Builds a sandbox for the pool: network namespace wired by CNI, pause running, /dev/shm mounted, in a
   * cgroup of its own (`kubeling/pool-<id>`), with no pod yet (empty metadata, a placeholder hostname).
   */
  async buildPooled(): Promise<SandboxRecord> {
    const config: PodSandboxConfig = {
      metadata: { name: '', namespace: '', uid: '', attempt: 0 },
      hostname: 'kubeling-pool',
      logDirectory: '/',
      portMappings: [],
      labels: {},
      annotations: {},
      linux: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' }, sysctls: {} },
    };
    const id = await this.#create(config, true);
    return this.#state.sandboxOrThrow(id);
  }

  async #create(config: PodSandboxConfig, pooled: boolean, signal?: AbortSignal): Promise<string> {
    const m = config.metadata;
    const id = newId();
    const dir = join(this.#state.dirs.sandboxes, id);
    mkdirSync(dir, { recursive: true });
    const hostNetwork = config.linux.namespaceOptions.network === 'node';
    const podCgroup = pooled ? `kubeling/pool-${id}` : podCgroupOf(config, id);
    const rec: SandboxRecord = {
      id,
      config,
      createdAt: this.#state.clock.now(),
      state: 'ready',
      dir,
      netns: hostNetwork ? '' : `kubeling-${id}`,
      ip: '',
      cgroupPath: podCgroup,
      pausePid: 0,
      shmMounted: false,
      ...(pooled ? { pooled } : {}),
    };
    this.#state.sandboxes.set(id, rec);
    return this.#state.locked(id, async () => {
      try {
        // On disk, where a directory can wait for a journal commit: off the event loop, beside the rest.
        const logDir = pooled ? Promise.resolve() : mkdir(config.logDirectory, { recursive: true });
        logDir.catch(() => {}); // seen through allSettled below; a throw before that must not leave it unhandled
        const hostname = hostNetwork ? (readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()) : config.hostname;
        writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
        writeFileSync(join(dir, 'resolv.conf'), resolvConf(config));
        this.#state.saveSandbox(rec);
        const shm = (async () => {
          mkdirSync(join(dir, 'shm'), { recursive: true });
          await this.#state.exec('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,mode=1777,size=65536k', 'shm', join(dir, 'shm')]);
          rec.shmMounted = true;
        })();
        const cgroup = setupPodCgroup(this.#state.cgroups, podCgroup, config.linux.resources);
        const network = (async () => {
          if (hostNetwork) return;
          await createNetns(rec.netns, this.#state.exec);
          const pause = this.#startPause(rec);
          const cni = this.#state.cni.add({
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
        this.#state.saveSandbox(rec);
        signal?.throwIfAborted();
        return id;
      } catch (err) {
        await this.#teardownSandbox(rec, true).catch(() => {});
        this.#state.sandboxes.delete(id);
        if (err instanceof RuntimeError) throw err;
        throw new RuntimeError('Internal', `runPodSandbox ${m.namespace}/${m.name}: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  /**
   * Gives a pooled sandbox to the pod `config` describes (it fits: see fitsPooledSandbox). What a pod sets
   * after the fact is set here: its hostname (sethostname in the pause's UTS namespace, which the containers
   * join), /etc/hostname, /etc/hosts with the pooled IP, resolv.conf, the log directory, and its pod cgroup
   * with the pod's limits, into which the pause moves. The network stays as CNI made it: the IP, the veth and
   * the host-local lease are the sandbox's, and CNI DEL later needs only its id and netns, as for any sandbox.
   * On failure the pooled sandbox is torn down and the error thrown.
   */
  async #handOver(rec: SandboxRecord, config: PodSandboxConfig, signal?: AbortSignal): Promise<string> {
    // Claimed at once, so a concurrent twin of this pod sees AlreadyExists; listed only once handed over.
    rec.config = config;
    return this.#state.locked(rec.id, async () => {
      const poolCgroup = rec.cgroupPath;
      const podCgroup = podCgroupOf(config, rec.id);
      try {
        const logDir = mkdir(config.logDirectory, { recursive: true });
        logDir.catch(() => {});
        writeFileSync(join(rec.dir, 'hostname'), `${config.hostname}\n`);
        writeFileSync(join(rec.dir, 'resolv.conf'), resolvConf(config));
        writeFileSync(join(rec.dir, 'hosts'), hostsFile(config.hostname, rec.ip));
        const uts = this.#state.exec('nsenter', [`--uts=/proc/${rec.pausePid}/ns/uts`, 'hostname', config.hostname]);
        rec.cgroupPath = podCgroup;
        const cgroup = (async () => {
          await setupPodCgroup(this.#state.cgroups, podCgroup, config.linux.resources);
          await moveCgroupProcesses(this.#state.cgroups, `${poolCgroup}/${rec.id}`, `${podCgroup}/${rec.id}`, poolCgroup);
        })();
        const results = await Promise.allSettled([uts, cgroup, logDir]);
        for (const r of results) if (r.status === 'rejected') throw r.reason;
        rec.createdAt = this.#state.clock.now();
        delete rec.pooled;
        this.#state.saveSandbox(rec);
        signal?.throwIfAborted();
        return rec.id;
      } catch (err) {
        await this.#teardownSandbox(rec, true).catch(() => {});
        await removeCgroup(this.#state.cgroups, poolCgroup).catch(() => {});
        this.#state.sandboxes.delete(rec.id);
        if (err instanceof RuntimeError) throw err;
        throw new RuntimeError('Internal', `runPodSandbox ${config.metadata.namespace}/${config.metadata.name} (pooled sandbox): ${(err as Error).message}`, { cause: err });
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
      rlimits: this.#state.rlimits,
      oomScoreAdj: Math.max(-998, this.#state.minOomScoreAdj),
      annotations: { 'io.kubernetes.cri.container-type': 'sandbox' },
    });
    writeFileSync(join(rec.dir, 'config.json'), JSON.stringify(spec));
    // No conmon for the pause: it has no output or exit code anyone reads, only a life (which its pid and
    // start time tell). `crun run --detach` returns once it runs; the spawner's catatonit reaps it.
    const log = join(rec.dir, 'crun.log');
    const pidFile = join(rec.dir, 'pid');
    const r = await this.#state.spawner.run(this.#state.runtime, [`--root=${this.#state.dirs.crun}`, `--log=${log}`, 'run', '--detach', '--bundle', rec.dir, '--pid-file', pidFile, rec.id], {
      detach: true,
      allowFailure: true,
    });
    const pid = r.code === 0 ? Number(readQuietly(pidFile).trim()) : 0;
    if (!pid) {
      const why = readQuietly(log).trim().split('\n').pop() || `${basename(this.#state.runtime)} exited ${r.code}`;
      throw new RuntimeError('Internal', `pause process: ${why}`);
    }
    rec.pausePid = pid;
    rec.pauseStartTime = processStartTime(pid);
  }

  /** The pause rootfs: an otherwise empty read-only directory holding a copy of catatonit. */
  #pauseRootfs(): string {
    const rootfs = join(this.#state.dirs.pause, 'rootfs');
    const bin = join(rootfs, 'catatonit');
    if (!existsSync(bin)) {
      if (!this.#state.catatonit) throw new RuntimeError('Unavailable', 'catatonit not found (install it: scripts/setup-host.sh)');
      for (const d of ['proc', 'dev', 'sys', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
      // Copy then rename: concurrent first sandboxes never see a half-copied binary.
      copyFileSync(this.#state.catatonit, `${bin}.tmp`);
      chmodSync(`${bin}.tmp`, 0o755);
      renameSync(`${bin}.tmp`, bin);
    }
    return rootfs;
  }

  /**
   * Kills every container and the pause process, releases the network. With `remove`, also deletes the
   * containers and the pause from crun, unmounts, removes the pod cgroup and the directory.
   */
  async #teardownSandbox(rec: SandboxRecord, remove: boolean): Promise<void> {
    const containers = [...this.#state.containers.values()].filter((c) => c.sandboxId === rec.id);
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
      ...containers.map((c) => step(this.#state.locked(c.id, () => this.#containerOps.kill(c, 0)))),
      step(
        (async () => {
          if (this.#state.pauseRunning(rec)) {
            killQuiet(rec.pausePid, 'SIGKILL');
            if (!(await waitGone(rec.pausePid, 5000))) throw new Error(`pause process ${rec.pausePid} did not end after SIGKILL`);
          }
        })(),
      ),
      step(
        (async () => {
          if (!rec.netns) return;
          if (rec.cniResult !== undefined || existsSync(netnsPath(rec.netns))) {
            await this.#state.cni.del(
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
          await deleteNetns(rec.netns, this.#state.exec);
        })(),
      ),
    ]);
    if (remove) {
      await Promise.all([
        ...containers.map((c) => step(this.#state.locked(c.id, () => this.#containerOps.removeContainerNow(c)))),
        step(this.#state.deleteFromRuntime(rec.id, rec.pausePid)),
        step(
          (async () => {
            if (rec.shmMounted || existsSync(join(rec.dir, 'shm'))) {
              await this.#state.exec('umount', [join(rec.dir, 'shm')], { allowFailure: true });
              rec.shmMounted = false;
            }
          })(),
        ),
      ]);
      // Last: the pod cgroup can go only once every container cgroup in it is gone.
      await step(removeCgroup(this.#state.cgroups, rec.cgroupPath));
      await step(rm(this.#state.exitFile(rec.id), { force: true }));
      await step(rm(join(this.#state.dirs.sockets, rec.id), { force: true }));
      if (errors.length === 0) await rm(rec.dir, { recursive: true, force: true });
    }
    if (errors.length > 0) throw errors[0];
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.#state.sandboxes.get(id);
    if (!rec) return;
    await this.#state.locked(id, async () => {
      await this.#teardownSandbox(rec, false);
      rec.state = 'notready';
      this.#state.saveSandbox(rec);
    });
  }

  async removePodSandbox(id: string): Promise<void> {
    const rec = this.#state.sandboxes.get(id);
    if (!rec) return;
    await this.#state.locked(id, async () => {
      if (!this.#state.sandboxes.has(id)) return;
      rec.state = 'notready';
      await this.#teardownSandbox(rec, true);
      this.#state.sandboxes.delete(id);
    });
  }

  #sandboxView(rec: SandboxRecord): PodSandbox {
    return {
      id: rec.id,
      metadata: rec.config.metadata,
      state: this.#state.sandboxState(rec),
      createdAt: rec.createdAt,
      labels: rec.config.labels,
      annotations: rec.config.annotations,
    };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const rec = this.#state.sandboxOrThrow(id);
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
    for (const rec of this.#state.sandboxes.values()) {
      if (filter?.id && rec.id !== filter.id) continue;
      if (!rec.pausePid && rec.state === 'ready') continue; // still being made
      if (rec.pooled) continue; // no pod's yet
      // Labels first: the state reads /proc, and the kubelet asks for one pod's sandboxes among many.
      if (!matchesLabels(rec.config.labels, filter?.labelSelector)) continue;
      const view = this.#sandboxView(rec);
      if (filter?.state && view.state !== filter.state) continue;
      out.push(view);
    }
    return out;
  }
}

export function validateSandboxConfig(c: PodSandboxConfig): void {
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

/** The pod cgroup a sandbox's pause and containers live in: the kubelet's (QoS tier, pod uid) or one of ours. */
function podCgroupOf(config: PodSandboxConfig, id: string): string {
  return config.linux.cgroupParent ? normaliseCgroupPath(config.linux.cgroupParent) : `kubeling/pod-${id}`;
}

/**
 * Whether a pooled sandbox can become this pod's: what cannot change once the sandbox runs must be what the
 * pool made. A pool sandbox has its own network, IPC, UTS and PID namespaces, a root pause, no sysctls and
 * no host ports, on the node's default handler; pods asking otherwise get a sandbox built for them.
 */
export function fitsPooledSandbox(c: PodSandboxConfig, handler: string): boolean {
  const ns = c.linux.namespaceOptions;
  if (ns.network !== 'pod' || ns.ipc !== 'pod' || ns.pid === 'node') return false;
  if (c.runtimeHandler && c.runtimeHandler !== handler) return false;
  if (!c.hostname) return false;
  // net.* sysctls live in the network namespace and are set by the pause's runtime at creation.
  if (Object.keys(c.linux.sysctls ?? {}).length > 0) return false;
  if (cniPorts(c).length > 0) return false;
  if ((c.linux.runAsUser ?? 0) !== 0 || (c.linux.runAsGroup ?? 0) !== 0 || (c.linux.supplementalGroups ?? []).length > 0) return false;
  return true;
}

export function cniPorts(c: PodSandboxConfig) {
  return (c.portMappings ?? [])
    .filter((p) => p.hostPort > 0)
    .map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp',
      ...(p.hostIp ? { hostIP: p.hostIp } : {}),
    }));
}

export function resolvConf(c: PodSandboxConfig): string {
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

export function hostsFile(hostname: string, ip: string): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'fe00::1\tip6-allnodes', 'fe00::2\tip6-allrouters'];
  if (ip && hostname) lines.push(`${ip}\t${hostname}`);
  return `${lines.join('\n')}\n`;
}
