/**
 * The container runtime seam: what the kubelet may ask of a node's containers, shaped after the CRI
 * (RuntimeService + ImageService) but in TypeScript and in its own types, never `api.Pod`. The kubelet
 * translates a Pod into `PodSandboxConfig` and `ContainerConfig`; backends (oci/, fake/) know nothing of Pods.
 *
 * Shared rules for every method:
 * - Ids are opaque strings chosen by the runtime.
 * - Failures throw `RuntimeError` with a `code`; callers branch on the code, never on the message.
 * - Calls may run concurrently, also for the same sandbox or container; each backend serialises what must be.
 * - Stop and remove calls are idempotent: on something already stopped or already gone they succeed.
 * - Times are milliseconds since the epoch; 0 means "not yet".
 * - State survives the caller: a restarted kubelet lists sandboxes and containers and adopts them.
 *
 * Every backend passes `runRuntimeConformance` (runtime.conformance.ts).
 */
import type { Duplex, Readable, Writable } from 'node:stream';

// ---------------------------------------------------------------- errors

export type RuntimeErrorCode =
  /** No such sandbox, container or image. */
  | 'NotFound'
  /** A sandbox or container with the same metadata (name, uid/namespace, attempt) exists. */
  | 'AlreadyExists'
  /** The request is malformed or impossible (bad mount, unknown user, bad port). */
  | 'InvalidArgument'
  /** The object is in the wrong state (start of a running container, exec in an exited one). */
  | 'FailedPrecondition'
  /** Pulling failed: registry unreachable, manifest unknown, unauthorised. `ErrImagePull` in pod status. */
  | 'ImagePullFailed'
  /** A deadline passed (exec with timeout, stop). */
  | 'DeadlineExceeded'
  /** The backend cannot serve now (binaries missing, network plugin not ready). */
  | 'Unavailable'
  | 'Internal';

/** containerd's error for a runtime handler it has no runtime for (the kubelet shows it in FailedCreatePodSandBox). */
export function noRuntimeForHandler(handler: string): RuntimeError {
  return new RuntimeError('InvalidArgument', `failed to get sandbox runtime: no runtime for ${JSON.stringify(handler)} is configured`);
}

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RuntimeError';
    this.code = code;
  }
}

export function isRuntimeError(err: unknown, code?: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && (code === undefined || err.code === code);
}

// ---------------------------------------------------------------- shared types

export type Labels = Record<string, string>;

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** Which namespace a pod's processes share. 'pod': one per sandbox; 'container': each its own; 'node': the host's. */
export type NamespaceMode = 'pod' | 'container' | 'node';

export interface NamespaceOptions {
  network: 'pod' | 'node';
  pid: NamespaceMode;
  ipc: 'pod' | 'node';
}

export interface PortMapping {
  protocol: Protocol;
  containerPort: number;
  /** 0: no host port. */
  hostPort: number;
  hostIp?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Cgroup limits, in the CRI's units. A field left out means no limit. */
export interface LinuxResources {
  /** CFS period in microseconds (default 100000 when a quota is set). */
  cpuPeriod?: number;
  /** CFS quota in microseconds per period; from the cpu limit. */
  cpuQuota?: number;
  /** Relative weight, from the cpu request (cgroup v1 shares; backends map it to v2 weight). */
  cpuShares?: number;
  memoryLimitInBytes?: number;
  /** OOM score adjustment for the container's processes (from the QoS class). */
  oomScoreAdj?: number;
  pidsLimit?: number;
  cpusetCpus?: string;
  hugepageLimits?: { pageSize: string; limit: number }[];
}

// ---------------------------------------------------------------- sandboxes

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  /** Counts sandboxes made for this pod; a replaced sandbox gets attempt + 1. */
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  /**
   * CRI's RunPodSandboxRequest.runtime_handler, from the pod's RuntimeClass: '' (or absent) is the node's
   * default; a handler the backend does not serve fails the sandbox with containerd's message.
   */
  runtimeHandler?: string;
  /** The pod's hostname (UTS namespace); empty with a node network namespace. */
  hostname: string;
  /** Directory under which container log files (`ContainerConfig.logPath`) are written. */
  logDirectory: string;
  dnsConfig?: DnsConfig;
  portMappings: PortMapping[];
  labels: Labels;
  annotations: Labels;
  linux: {
    /** Pod-level cgroup (relative name, e.g. `kubepods/burstable/pod<uid>`); the backend maps it to v1 or v2. */
    cgroupParent?: string;
    /** Pod-level limits, applied to the pod cgroup (sum of containers plus overhead). */
    resources?: LinuxResources;
    namespaceOptions: NamespaceOptions;
    sysctls: Record<string, string>;
    /** The pause process runs with these ids. */
    runAsUser?: number;
    runAsGroup?: number;
    supplementalGroups?: number[];
    privileged?: boolean;
  };
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: {
    /** The pod IP; empty for host-network sandboxes. */
    ip: string;
    additionalIps: string[];
  };
  linux?: { namespaceOptions: NamespaceOptions };
  /** The hostname and log directory the sandbox was made with. */
  hostname: string;
  logDirectory: string;
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  labelSelector?: Labels;
}

// ---------------------------------------------------------------- containers

export interface ContainerMetadata {
  name: string;
  /** Restart count: attempt N is the container's N-th restart. */
  attempt: number;
}

export type MountPropagation = 'private' | 'hostToContainer' | 'bidirectional';

export interface Mount {
  containerPath: string;
  /** A file or directory on the node (volumes are prepared by the kubelet). */
  hostPath: string;
  readonly: boolean;
  propagation?: MountPropagation;
}

export interface Capabilities {
  /** Names without the CAP_ prefix, as in the Pod API (`NET_ADMIN`); 'ALL' means all. */
  add: string[];
  drop: string[];
}

export type SeccompProfile =
  | { type: 'RuntimeDefault' }
  | { type: 'Unconfined' }
  /** localhostRef: the profile file's absolute path (`<kubelet root>/seccomp/<localhostProfile>`). */
  | { type: 'Localhost'; localhostRef: string };

export interface ContainerSecurityContext {
  capabilities?: Capabilities;
  privileged?: boolean;
  /** The pid namespace this container uses; 'pod' with a shared pid namespace (shareProcessNamespace). */
  namespaceOptions: NamespaceOptions & {
    /** With pid 'container': join this other container's pid namespace (ephemeral containers' targetContainerName). */
    targetId?: string;
  };
  runAsUser?: number;
  runAsGroup?: number;
  /** Image user name to resolve inside the image when `runAsUser` is absent. */
  runAsUsername?: string;
  /** fsGroup first, then the pod's supplementalGroups (upstream's order). */
  supplementalGroups?: number[];
  /**
   * 'Merge' (default): the image's /etc/group groups of the user are added to supplementalGroups;
   * 'Strict': only runAsGroup/primary group and supplementalGroups.
   */
  supplementalGroupsPolicy?: 'Merge' | 'Strict';
  readonlyRootfs?: boolean;
  noNewPrivs?: boolean;
  seccomp?: SeccompProfile;
  /** Paths masked and made read-only (defaults when absent; empty lists with procMount Unmasked). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  /** An image reference or an image id returned by `pullImage`. */
  image: string;
  /** Overrides the image's entrypoint when non-empty. */
  command: string[];
  /** Overrides the image's cmd when non-empty (or when `command` is set). */
  args: string[];
  workingDir?: string;
  envs: { key: string; value: string }[];
  mounts: Mount[];
  labels: Labels;
  annotations: Labels;
  /** Log file path relative to the sandbox's logDirectory, e.g. `web/0.log`. CRI log format. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  /** Signal sent by stopContainer before SIGKILL (default: the image's STOPSIGNAL, else SIGTERM). */
  stopSignal?: string;
  linux: {
    resources?: LinuxResources;
    securityContext: ContainerSecurityContext;
  };
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  /** The image as it was asked for, and the id it resolved to. */
  image: string;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
}

export interface ContainerStatus extends Container {
  startedAt: number;
  finishedAt: number;
  /** Valid when state is CONTAINER_EXITED. */
  exitCode: number;
  /** For exited containers: 'OOMKilled', 'Error' or 'Completed'. */
  reason: string;
  message: string;
  mounts: Mount[];
  /** Absolute path of the current log file. */
  logPath: string;
}

export interface ContainerFilter {
  id?: string;
  podSandboxId?: string;
  state?: ContainerState;
  labelSelector?: Labels;
}

// ---------------------------------------------------------------- exec, attach, port-forward

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface StreamOptions {
  /** Give the process a stdin stream. */
  stdin: boolean;
  stdout: boolean;
  /** Ignored with tty (a terminal merges stderr into stdout). */
  stderr: boolean;
  tty: boolean;
}

/**
 * A streaming exec or attach. Write to `stdin` (end it for EOF), read `stdout`/`stderr`; `resize` sets the
 * terminal size when `tty`. `exit` resolves with the process's exit code when it ends (for attach, when the
 * connection ends or the container exits); it never rejects: failures to start throw from exec()/attach().
 * `close()` ends the session (an exec's process is killed; an attached container keeps running).
 */
export interface StreamSession {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  resize(size: { width: number; height: number }): void;
  exit: Promise<{ exitCode: number }>;
  close(): void;
}

// ---------------------------------------------------------------- resource usage (CRI's PodSandboxStats/ContainerStats)

/** One network interface's cumulative counters, as seen from inside the pod (rx: received by the pod). */
export interface NetworkInterfaceStats {
  name: string;
  rxBytes: number;
  rxErrors: number;
  txBytes: number;
  txErrors: number;
}

/** The disk a container's writable layer uses (CRI's `writable_layer`). */
export interface WritableLayerUsage {
  /** A directory on the filesystem that holds the layer (for its capacity and free space). */
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

// ---------------------------------------------------------------- the runtime service

export interface RuntimeCondition {
  type: 'RuntimeReady' | 'NetworkReady';
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeService {
  /** Name and version, e.g. `{ runtimeName: 'kubeling-oci', runtimeVersion: '0.1.0 (crun 1.8.1)' }`. */
  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>;

  /** Readiness of the runtime and of pod networking; the kubelet reports the node NotReady when either is false. */
  status(): Promise<RuntimeCondition[]>;

  /**
   * Creates and starts a sandbox: namespaces (network wired by CNI unless host network), the pause process,
   * the pod cgroup, /etc/hostname, /etc/resolv.conf and /dev/shm for the pod. On failure nothing is left
   * behind. Returns the sandbox id.
   */
  runPodSandbox(config: PodSandboxConfig, signal?: AbortSignal): Promise<string>;

  /**
   * Stops every container in the sandbox (SIGKILL: the kubelet has stopped them gracefully already), stops the
   * pause process and tears down networking (CNI DEL, releasing the IP). Idempotent. The sandbox stays listed
   * as SANDBOX_NOTREADY until removed.
   */
  stopPodSandbox(id: string): Promise<void>;

  /**
   * Removes the sandbox and its containers; if any still run they are forcibly stopped first. Afterwards no
   * process, mount, network namespace, veth, IP lease or cgroup of the sandbox remains. Idempotent.
   */
  removePodSandbox(id: string): Promise<void>;

  /** Throws 'NotFound' for an unknown id. */
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;

  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;

  /**
   * Creates a container in a ready sandbox (root filesystem, mounts, log file, monitor) without starting it.
   * The image must be present (pulled); 'NotFound' otherwise. Returns the container id.
   */
  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;

  /** Starts a created container. 'FailedPrecondition' if it is not in CONTAINER_CREATED. */
  startContainer(id: string): Promise<void>;

  /**
   * Sends the stop signal, waits up to `timeoutSeconds`, then SIGKILL; resolves when the container has exited.
   * Idempotent on exited containers. `timeoutSeconds` 0 kills at once.
   */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;

  /** Removes a container (stopping it forcibly if it runs) with its root filesystem; keeps its log file. Idempotent. */
  removeContainer(id: string): Promise<void>;

  /** Throws 'NotFound' for an unknown id. */
  containerStatus(id: string): Promise<ContainerStatus>;

  /** Cheap enough to call every second (the PLEG relists with it). */
  listContainers(filter?: ContainerFilter): Promise<Container[]>;

  /** Runs a command in a running container and collects its output; 'DeadlineExceeded' after timeoutMs (0: none). */
  execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult>;

  /** Starts a command in a running container with streams. 'FailedPrecondition' if the container is not running. */
  exec(id: string, cmd: string[], options: StreamOptions): Promise<StreamSession>;

  /** Attaches to a running container's main process (its stdin needs `stdin: true` in its config). */
  attach(id: string, options: StreamOptions): Promise<StreamSession>;

  /** Opens a TCP connection to `port` inside the sandbox's network namespace (`kubectl port-forward`). */
  portForward(podSandboxId: string, port: number): Promise<Duplex>;

  /** Makes the monitor reopen the container's log file (after the kubelet rotated it). */
  reopenContainerLog(id: string): Promise<void>;

  /**
   * The interfaces of a ready sandbox's own network namespace, loopback left out; undefined for a host-network
   * sandbox (it has no network of its own) or one not ready. Optional: a backend may not measure.
   */
  podSandboxNetworkStats?(id: string): Promise<NetworkInterfaceStats[] | undefined>;

  /** The disk used by a container's writable layer; undefined when it has none (removed). Optional. */
  containerWritableLayer?(id: string): Promise<WritableLayerUsage | undefined>;
}

// ---------------------------------------------------------------- the image service

export interface Image {
  /** Content id (`sha256:…` of the image config). */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Bytes on disk (compressed layers as stored). */
  size: number;
  /** The image config's user, entrypoint, cmd, env, working dir and stop signal. */
  config: {
    user?: string;
    entrypoint?: string[];
    cmd?: string[];
    env?: string[];
    workingDir?: string;
    stopSignal?: string;
    exposedPorts?: string[];
  };
}

export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 user:password, as in a docker config.json `auth`. */
  auth?: string;
  registryToken?: string;
}

export interface PullProgress {
  /** Bytes downloaded so far and the total expected (0 when unknown). */
  downloaded: number;
  total: number;
  /** Layers landed so far and the image's layer count, once the manifest is known. */
  layersDone?: number;
  layers?: number;
}

export interface ImageService {
  /**
   * Pulls an image (or finds it present) and returns its id. Two concurrent pulls of one image download it
   * once. Throws 'ImagePullFailed' with the registry's reason.
   */
  pullImage(
    ref: string,
    options?: { auth?: AuthConfig; signal?: AbortSignal; onProgress?: (p: PullProgress) => void },
  ): Promise<string>;

  /** The image if present (by reference or id), else undefined. */
  imageStatus(ref: string): Promise<Image | undefined>;

  listImages(): Promise<Image[]>;

  /** Removes an image by reference or id; its layers go when no other image uses them. Idempotent. */
  removeImage(ref: string): Promise<void>;

  /** Disk use of the image store, for image garbage collection and node status. */
  imageFsInfo(): Promise<{ mountpoint: string; usedBytes: number; capacityBytes: number; availableBytes: number }>;
}

/**
 * A pool of ready pod sandboxes that `runPodSandbox` hands to the pods they fit instead of building one
 * (not part of the CRI; a backend may have none). The node runs it for as long as it runs.
 */
export interface SandboxPool {
  /**
   * Keeps `size` sandboxes ready, refilling after each one a pod takes, until `signal` aborts; then removes
   * every pooled sandbox (also ones an earlier process left) and resolves. Called once at a time.
   * `onError` hears of sandboxes that could not be built or removed; the pool retries later.
   */
  run(size: number, signal: AbortSignal, onError?: (err: unknown) => void): Promise<void>;
}

/** A node's runtime: both services from one backend, and its sandbox pool when it has one. */
export interface ContainerRuntime extends RuntimeService, ImageService {
  readonly sandboxPool?: SandboxPool;
  /**
   * Calls `listener` with a container's id soon after it exits (CRI's GetContainerEvents, for exits only; a
   * backend may not have it). A hint, not the truth: it may come more than once per exit, and listing stays
   * the way to learn states. Returns the function that stops the calls.
   */
  watchContainerExits?(listener: (containerId: string) => void): () => void;
}
