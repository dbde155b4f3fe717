/**
 * The node's side of turning a container spec into a runtime ContainerConfig (kubelet-core's
 * ContainerEnvironment): the resolved environment (with the service variables), and the mounts: each volumeMount as a host path (with
 * subPath and read-only rules), the managed /etc/hosts, and a fresh termination-message file per start.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { Mount, MountPropagation } from '../../runtime/runtime.ts';
import type { ContainerEnvironment } from '../index.ts';
import { makeEnvironmentVariables, type EnvVar } from './env.ts';
import { expand, mappingFor } from './expansion.ts';
import type { NodeFacts } from './fieldpath.ts';
import { hostNetworkHostsFile, managedHostsFile } from './hosts.ts';
import type { ObjectSource } from './objects.ts';
import type { PodDirs } from './pod-dirs.ts';
import { volumeLocation } from './volume-manager.ts';

export interface NodeContainerEnvironmentConfig {
  dirs: PodDirs;
  objects: ObjectSource;
  node: () => NodeFacts;
  /** The node's /etc/hosts, copied for host-network pods. */
  nodeHostsFile?: string;
  /** KubeletConfiguration.clusterDomain: the domain of `hostname.subdomain` in /etc/hosts (default cluster.local). */
  clusterDomain?: string;
  /** The service variables for a pod's containers (none when undefined); may throw to delay the start. */
  serviceEnv?: (pod: IPod) => Promise<ReadonlyMap<string, string>>;
}

export class NodeContainerEnvironment implements ContainerEnvironment {
  readonly #config: NodeContainerEnvironmentConfig;

  constructor(config: NodeContainerEnvironmentConfig) {
    this.#config = config;
  }

  async makeContainerEnvironment(
    pod: IPod,
    container: IContainer,
    podIPs: string[],
  ): Promise<{ envs: EnvVar[]; mounts: Mount[] }> {
    const serviceEnv = (await this.#config.serviceEnv?.(pod)) ?? new Map<string, string>();
    const envs = await makeEnvironmentVariables(pod, container, podIPs, this.#config.node(), this.#config.objects, serviceEnv);
    const mounts = await this.#makeMounts(pod, container, podIPs, envs);
    return { envs, mounts };
  }

  async #makeMounts(pod: IPod, container: IContainer, podIPs: string[], envs: EnvVar[]): Promise<Mount[]> {
    const uid = pod.metadata?.uid ?? '';
    const dirs = this.#config.dirs;
    const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    const mounts: Mount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const volume = volumes.get(vm.name);
      if (!volume) throw new Error(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      const loc = volumeLocation(dirs, uid, volume);
      let hostPath = loc.hostPath;
      let subPath = vm.subPath ?? '';
      if (vm.subPathExpr) subPath = expand(vm.subPathExpr, mappingFor(new Map(envs.map((e) => [e.key, e.value]))));
      if (subPath)
        hostPath = await resolveSubPath(
          loc.hostPath,
          subPath,
          loc.plugin === 'empty-dir' || loc.plugin === 'host-path',
        );
      mounts.push({
        containerPath: vm.mountPath,
        hostPath,
        readonly: vm.readOnly === true || loc.readOnly,
        propagation: propagation(vm.mountPropagation),
      });
    }

    const mountsEtcHosts = mounts.some((m) => path.posix.normalize(m.containerPath) === '/etc/hosts');
    if (!mountsEtcHosts && (podIPs.length > 0 || pod.spec?.hostNetwork)) {
      const file = dirs.etcHostsPath(uid);
      await fs.mkdir(path.dirname(file), { recursive: true });
      const content = pod.spec?.hostNetwork
        ? hostNetworkHostsFile(
            pod,
            this.#config.nodeHostsFile ?? (await fs.readFile('/etc/hosts', 'utf8').catch(() => '')),
          )
        : managedHostsFile(pod, podIPs, this.#config.clusterDomain ?? 'cluster.local');
      await fs.writeFile(file, content, { mode: 0o644 });
      mounts.push({ containerPath: '/etc/hosts', hostPath: file, readonly: false, propagation: 'private' });
    }

    if (container.terminationMessagePath) {
      const dir = dirs.containerDir(uid, container.name);
      await fs.mkdir(dir, { recursive: true, mode: 0o750 });
      const file = path.join(dir, randomBytes(4).toString('hex'));
      await fs.writeFile(file, '', { mode: 0o666 });
      await fs.chmod(file, 0o666);
      mounts.push({
        containerPath: container.terminationMessagePath,
        hostPath: file,
        readonly: false,
        propagation: 'private',
      });
    }
    return mounts;
  }
}

function propagation(mode: string | undefined): MountPropagation {
  if (mode === 'HostToContainer') return 'hostToContainer';
  if (mode === 'Bidirectional') return 'bidirectional';
  return 'private';
}

/**
 * The host path for a subPath mount. The path must stay inside the volume even through symlinks (a container
 * could plant one); a missing directory is created in writable volumes, as the kubelet does.
 */
async function resolveSubPath(volumePath: string, subPath: string, createMissing: boolean): Promise<string> {
  if (path.isAbsolute(subPath) || subPath.split('/').includes('..')) {
    throw new Error(
      `failed to prepare subPath for volumeMount: subPath "${subPath}" must be a relative path without ".."`,
    );
  }
  const joined = path.join(volumePath, subPath);
  const exists = await fs.lstat(joined).then(
    () => true,
    () => false,
  );
  if (!exists && createMissing) await fs.mkdir(joined, { recursive: true, mode: 0o750 });
  const [realVolume, real] = await Promise.all([fs.realpath(volumePath), fs.realpath(joined)]).catch(() => {
    throw new Error(`failed to prepare subPath for volumeMount: subPath "${subPath}" does not exist in the volume`);
  });
  if (real !== realVolume && !real.startsWith(realVolume + path.sep)) {
    throw new Error(`failed to prepare subPath for volumeMount: subPath "${subPath}" points outside the volume`);
  }
  return real;
}
