/**
 * What the node is made of, read from the machine the way cAdvisor feeds the kubelet: cores, memory,
 * root filesystem size, ids and OS facts. Re-read on every status update for the pressure conditions.
 */
import fs from 'node:fs/promises';
import os from 'node:os';

export interface MachineInfo {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  memoryAvailableBytes: number;
  /** The filesystem holding the kubelet's root dir. */
  fsCapacityBytes: number;
  fsAvailableBytes: number;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  /** Kubernetes' GOARCH spelling: amd64, arm64, ... */
  architecture: string;
  operatingSystem: string;
}

const goArch: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

async function readTrim(file: string): Promise<string> {
  return (await fs.readFile(file, 'utf8').catch(() => '')).trim();
}

export async function readMachineInfo(rootDir: string): Promise<MachineInfo> {
  const meminfo = await fs.readFile('/proc/meminfo', 'utf8').catch(() => '');
  const memKb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? NaN) * 1024;
  const memoryBytes = Number.isFinite(memKb('MemTotal')) ? memKb('MemTotal') : os.totalmem();
  const memoryAvailableBytes = Number.isFinite(memKb('MemAvailable')) ? memKb('MemAvailable') : os.freemem();
  await fs.mkdir(rootDir, { recursive: true });
  const st = await fs.statfs(rootDir);
  const osRelease = await fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
  return {
    hostname: os.hostname().toLowerCase(),
    cpus: os.availableParallelism(),
    memoryBytes,
    memoryAvailableBytes,
    fsCapacityBytes: st.blocks * st.bsize,
    fsAvailableBytes: st.bavail * st.bsize,
    machineID: await readTrim('/etc/machine-id'),
    systemUUID: (await readTrim('/sys/class/dmi/id/product_uuid')).toLowerCase(),
    bootID: await readTrim('/proc/sys/kernel/random/boot_id'),
    kernelVersion: os.release(),
    osImage: pretty ?? `${os.type()} ${os.release()}`,
    architecture: goArch[process.arch] ?? process.arch,
    operatingSystem: os.platform() === 'linux' ? 'linux' : os.platform(),
  };
}

/**
 * The node's InternalIP: the first non-loopback IPv4 address that is not a container bridge or veth
 * (the kubelet's default-route heuristic, simplified); 127.0.0.1 on a machine with nothing else.
 */
export function defaultNodeIP(): string {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (/^(kubeling|cni|veth|docker|podman|virbr|flannel|lo)/.test(name)) continue;
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return '127.0.0.1';
}
