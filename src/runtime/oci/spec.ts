/**
 * OCI runtime specs (config.json) for the pause process and for containers, and the Kubernetes rules that
 * shape them: command/args against the image's entrypoint/cmd, env merged over the image's, the user from a
 * number or the image's /etc/passwd, the default capability set, masked and read-only paths. Pure functions
 * of their inputs: the runtime gathers files and paths, these decide what goes into the spec.
 */
import { RuntimeError, type Capabilities, type LinuxResources, type Mount } from '../runtime.ts';

export type OciSpec = Record<string, unknown>;

/** containerd's and CRI-O's default capability set. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability by number (index = capability number). */
const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** All capabilities the running kernel knows (`lastCap` from /proc/sys/kernel/cap_last_cap). */
export function allCapabilities(lastCap: number): string[] {
  return ALL_CAPABILITIES.slice(0, Math.min(lastCap, ALL_CAPABILITIES.length - 1) + 1);
}

/**
 * Of `all`, those in this process's bounding set (`CapBnd` of /proc/self/status): a privileged container gets
 * every capability its runtime holds (containerd's WithAllCurrentCapabilities), since asking for one outside the
 * bounding set fails at capset. Without a readable CapBnd line, `all`.
 */
export function heldCapabilities(all: string[], procStatus: string): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(procStatus);
  if (!m) return all;
  const mask = BigInt(`0x${m[1]}`);
  return all.filter((c) => (mask >> BigInt(ALL_CAPABILITIES.indexOf(c))) & 1n);
}

/** The effective capability set: defaults, plus `add`, minus `drop` ('ALL' allowed in both), as the CRI does. */
export function resolveCapabilities(caps: Capabilities | undefined, privileged: boolean, all: string[]): string[] {
  if (privileged) return [...all];
  const norm = (c: string) => {
    const up = c.toUpperCase();
    return up.startsWith('CAP_') ? up : `CAP_${up}`;
  };
  const add = (caps?.add ?? []).map(norm);
  const drop = (caps?.drop ?? []).map(norm);
  for (const c of [...add, ...drop]) {
    if (c !== 'CAP_ALL' && !ALL_CAPABILITIES.includes(c)) throw new RuntimeError('InvalidArgument', `unknown capability "${c}"`);
  }
  let set = new Set(DEFAULT_CAPABILITIES.filter((c) => all.includes(c)));
  if (add.includes('CAP_ALL')) set = new Set(all);
  else for (const c of add) if (all.includes(c)) set.add(c);
  if (drop.includes('CAP_ALL')) set = new Set(add.filter((c) => c !== 'CAP_ALL' && all.includes(c)));
  else for (const c of drop) set.delete(c);
  return [...set];
}

/**
 * The process's argv, as Kubernetes combines them: `command` replaces the image's entrypoint (and then the
 * image's cmd is ignored); `args` replace the image's cmd.
 */
export function resolveArgv(command: string[], args: string[], image: { entrypoint?: string[]; cmd?: string[] }): string[] {
  let argv: string[];
  if (command.length > 0) argv = [...command, ...args];
  else if (args.length > 0) argv = [...(image.entrypoint ?? []), ...args];
  else argv = [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
  if (argv.length === 0) throw new RuntimeError('InvalidArgument', 'no command specified: the container has no command and its image no entrypoint or cmd');
  return argv;
}

/** The image's env with the container's on top (later wins), PATH defaulted, HOSTNAME set unless given. */
export function mergeEnv(imageEnv: string[] | undefined, envs: { key: string; value: string }[], extra: Record<string, string>): string[] {
  const map = new Map<string, string>();
  map.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  for (const [k, v] of Object.entries(extra)) map.set(k, v);
  for (const e of imageEnv ?? []) {
    const i = e.indexOf('=');
    if (i > 0) map.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const { key, value } of envs) map.set(key, value);
  return [...map].map(([k, v]) => `${k}=${v}`);
}

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Home directory from /etc/passwd, for HOME. */
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0]!, uid, gid, home: f[5] ?? '/' });
  }
  return out;
}

export function parseGroup(text: string): { name: string; gid: number; members: string[] }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.push({ name: f[0]!, gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

/**
 * The container's user: `runAsUser`/`runAsGroup` when set, else the user named by `runAsUsername` or the
 * image's `user` ("uid", "uid:gid", "name", "name:group"), looked up in the image's /etc/passwd and
 * /etc/group. Supplemental groups are the user's groups in /etc/group (not with the `Strict` policy) plus
 * the pod's (fsGroup and supplementalGroups).
 */
export function resolveUser(
  sc: {
    runAsUser?: number;
    runAsGroup?: number;
    runAsUsername?: string;
    supplementalGroups?: number[];
    supplementalGroupsPolicy?: 'Merge' | 'Strict';
  },
  imageUser: string | undefined,
  files: { passwd?: string; group?: string },
): ProcessUser {
  const passwd = parsePasswd(files.passwd ?? '');
  const groups = parseGroup(files.group ?? '');
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  let home: string | undefined;
  const spec = sc.runAsUser !== undefined ? String(sc.runAsUser) : (sc.runAsUsername ?? imageUser ?? '');
  const [userPart = '', groupPart] = spec.split(':');
  if (userPart === '' || /^\d+$/.test(userPart)) {
    uid = Number(userPart || '0');
    const e = passwd.find((p) => p.uid === uid);
    if (e) ({ gid, name, home } = { gid: e.gid, name: e.name, home: e.home });
  } else {
    const e = passwd.find((p) => p.name === userPart);
    if (!e) throw new RuntimeError('InvalidArgument', `unable to find user ${userPart}: no matching entries in passwd file`);
    ({ uid, gid, name, home } = e);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new RuntimeError('InvalidArgument', `unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  if (sc.runAsGroup !== undefined) gid = sc.runAsGroup;
  gid ??= 0;
  const additional = new Set<number>();
  if (name && sc.supplementalGroupsPolicy !== 'Strict')
    for (const g of groups) if (g.members.includes(name) && g.gid !== gid) additional.add(g.gid);
  for (const g of sc.supplementalGroups ?? []) additional.add(g);
  return { uid, gid, additionalGids: [...additional], ...(home ? { home } : {}) };
}

export interface Rlimit {
  type: string;
  hard: number;
  soft: number;
}

/**
 * Container rlimits from the host's own hard limits: nofile and nproc as high as the host lets root set
 * them (podman asks for 1048576; a host without CAP_SYS_RESOURCE refuses more than its hard limit).
 */
export function rlimitsFromHost(limitsText: string): Rlimit[] {
  const hard = (label: string): number | undefined => {
    const line = limitsText.split('\n').find((l) => l.startsWith(label));
    if (!line) return undefined;
    const cols = line.slice(label.length).trim().split(/\s+/);
    const v = cols[1];
    if (v === undefined) return undefined;
    return v === 'unlimited' ? Infinity : Number(v);
  };
  const out: Rlimit[] = [];
  const nofile = Math.min(hard('Max open files') ?? 1024, 1048576);
  out.push({ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile });
  const nproc = Math.min(hard('Max processes') ?? 4194304, 4194304);
  out.push({ type: 'RLIMIT_NPROC', hard: nproc, soft: nproc });
  return out;
}

/** OCI `linux.resources` from the CRI's. */
export function ociResources(r: LinuxResources | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (!r) return out;
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota && r.cpuQuota > 0) {
    cpu.quota = r.cpuQuota;
    cpu.period = r.cpuPeriod || 100000;
  } else if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.memoryLimitInBytes && r.memoryLimitInBytes > 0) out.memory = { limit: r.memoryLimitInBytes };
  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.hugepageLimits?.length) out.hugepageLimits = r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: h.limit }));
  return out;
}

export interface Namespace {
  type: 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup';
  path?: string;
}

function baseMounts(opts: { readonlySys: boolean }): Record<string, unknown>[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', opts.readonlySys ? 'ro' : 'rw'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', opts.readonlySys ? 'ro' : 'rw'] },
  ];
}

export function bindMount(m: Mount): Record<string, unknown> {
  const propagation = m.propagation === 'bidirectional' ? 'rshared' : m.propagation === 'hostToContainer' ? 'rslave' : 'rprivate';
  return { destination: m.containerPath, type: 'bind', source: m.hostPath, options: ['rbind', propagation, m.readonly ? 'ro' : 'rw'] };
}

export interface PauseSpecInput {
  rootfs: string;
  hostname?: string;
  namespaces: Namespace[];
  cgroupsPath: string;
  sysctls: Record<string, string>;
  uid: number;
  gid: number;
  additionalGids: number[];
  rlimits: Rlimit[];
  oomScoreAdj: number;
  annotations: Record<string, string>;
}

/** The pause process: `catatonit -P` holding the pod's namespaces, no capabilities, read-only root. */
export function pauseSpec(i: PauseSpecInput): OciSpec {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: i.uid, gid: i.gid, additionalGids: i.additionalGids },
      args: ['/catatonit', '-P'],
      env: ['PATH=/'],
      cwd: '/',
      capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
      rlimits: i.rlimits,
      noNewPrivileges: true,
      oomScoreAdj: i.oomScoreAdj,
    },
    root: { path: i.rootfs, readonly: true },
    ...(i.hostname ? { hostname: i.hostname } : {}),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    annotations: i.annotations,
    linux: {
      namespaces: i.namespaces,
      cgroupsPath: i.cgroupsPath,
      rootfsPropagation: 'rprivate',
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      sysctl: i.sysctls,
      maskedPaths: DEFAULT_MASKED_PATHS,
      readonlyPaths: DEFAULT_READONLY_PATHS,
    },
  };
}

export interface ContainerSpecInput {
  rootfs: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  user: ProcessUser;
  tty: boolean;
  hostname?: string;
  capabilities: string[];
  privileged: boolean;
  noNewPrivs: boolean;
  seccomp?: Record<string, unknown>;
  /** Device nodes made in the container's /dev (a privileged container's: the host's). */
  devices?: Record<string, unknown>[];
  maskedPaths: string[];
  readonlyPaths: string[];
  /** Mounts after the defaults: /dev/shm, /etc files, volumes (later ones win on the same destination). */
  mounts: Record<string, unknown>[];
  namespaces: Namespace[];
  cgroupsPath: string;
  resources?: LinuxResources;
  /** memory+swap limit (cgroup v1 `memory.memsw.limit_in_bytes`); the memory limit means no swap. */
  memorySwap?: number;
  /** cgroup v2 files to write as they are (`linux.resources.unified`). */
  unified?: Record<string, string>;
  rlimits: Rlimit[];
  annotations: Record<string, string>;
}

export function containerSpec(i: ContainerSpecInput): OciSpec {
  const caps = i.capabilities;
  // A mount given later for the same destination replaces the earlier one (a volume over /etc/hosts).
  const byDest = new Map<string, Record<string, unknown>>();
  for (const m of [...baseMounts({ readonlySys: !i.privileged }), ...i.mounts]) {
    byDest.delete(m.destination as string);
    byDest.set(m.destination as string, m);
  }
  const resources = ociResources(i.resources);
  if (i.privileged) resources.devices = [{ allow: true, access: 'rwm' }];
  if (i.memorySwap !== undefined && resources.memory) (resources.memory as Record<string, unknown>).swap = i.memorySwap;
  if (i.unified && Object.keys(i.unified).length > 0) resources.unified = i.unified;
  // Private unless a mount asks for propagation (as containerd does): a private tree also keeps the node's
  // later mounts (other pods' netns pins, rootfs and shm mounts) from propagating into every container.
  const opts = i.mounts.flatMap((m) => (m.options as string[] | undefined) ?? []);
  const rootfsPropagation = opts.includes('rshared') ? 'rshared' : opts.includes('rslave') ? 'rslave' : 'rprivate';
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: i.tty,
      user: { uid: i.user.uid, gid: i.user.gid, additionalGids: i.user.additionalGids },
      args: i.args,
      env: i.env,
      cwd: i.cwd,
      capabilities: {
        bounding: caps,
        effective: caps,
        permitted: caps,
        inheritable: [],
        ambient: [],
      },
      rlimits: i.rlimits,
      noNewPrivileges: i.noNewPrivs,
      ...(i.resources?.oomScoreAdj !== undefined ? { oomScoreAdj: i.resources.oomScoreAdj } : {}),
    },
    root: { path: i.rootfs, readonly: i.readonlyRootfs },
    ...(i.hostname ? { hostname: i.hostname } : {}),
    mounts: [...byDest.values()],
    annotations: i.annotations,
    linux: {
      namespaces: i.namespaces,
      cgroupsPath: i.cgroupsPath,
      rootfsPropagation,
      resources,
      ...(i.seccomp ? { seccomp: i.seccomp } : {}),
      ...(i.devices?.length ? { devices: i.devices } : {}),
      ...(i.privileged ? {} : { maskedPaths: i.maskedPaths, readonlyPaths: i.readonlyPaths }),
    },
  };
}
