/**
 * KubeRuntimeManager: the kubelet's Pod → runtime translation (upstream kuberuntime's manager). It reads a
 * pod's runtime state (`getPodStatus`), and `syncPod` executes computePodActions' plan step by step:
 *
 *   1. compute actions            2. kill the pod (sandbox changed) or the containers to kill
 *   3. create the sandbox         4. start ephemeral containers
 *   5. start init containers (a failed regular one stops the step)   6. start regular containers (together,
 *      but a postStart hook still runs before the containers after it start, as upstream's one-by-one loop)
 *
 * Starting a container = back-off check → image (per imagePullPolicy, with image back-off) → config → create
 * → start → postStart. Each failure becomes a reason in the reason cache (CrashLoopBackOff, ErrImagePull,
 * ImagePullBackOff, ErrImageNeverPull, CreateContainerConfigError, CreateContainerError, RunContainerError,
 * PostStartHookError), which the status generator shows as the container's waiting reason. Events are
 * Kubernetes' own.
 *
 * Concurrency: one syncPod/killPod per pod at a time (the pod worker guarantees it); different pods run
 * concurrently and share only the back-off tables and the reason cache, which are keyed by pod.
 */
import { readdirSync } from 'node:fs';
import { readFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { Backoff, realClock, type Clock } from '../../machinery/index.ts';
import {
  isRuntimeError,
  type ContainerRuntime,
  type DnsConfig,
  type AuthConfig,
  type PodSandboxConfig,
  type PullProgress,
} from '../../runtime/runtime.ts';
import type { Container, LifecycleHandler, Pod } from './api.ts';
import type { ContainerEnvironment } from './container-environment.ts';
import { containerFieldPath, type EventRecorder } from './events.ts';
import {
  computePodActions,
  type ContainerToKill,
  type PodActions,
  type ProbeResultsView,
} from './compute-pod-actions.ts';
import { ContainerConfigError, generateContainerConfig, generatePodSandboxConfig, podLogDirectory } from './container-config.ts';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_POD_GRACE_PERIOD,
  ANNOTATION_PRESTOP,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  ANNOTATION_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_NAME,
  LABEL_CONTAINER_TYPE,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  findContainerStatus,
  formatPod,
  hashContainer,
  isSidecar,
  runtimeStateOf,
  type ContainerType,
  type RuntimeContainerStatus,
  type RuntimePod,
  type RuntimePodStatus,
} from './runtime-pod.ts';
import { HandlerRunner } from '../lifecycle/handlers.ts';
import type { PodTimelines, StepFields } from '../timeline/index.ts';
import type { PodTimelineStepKind } from '../../api/index.ts';

export type SyncErrorReason =
  | 'CrashLoopBackOff'
  | 'ErrImagePull'
  | 'ImagePullBackOff'
  | 'ErrImageNeverPull'
  | 'InvalidImageName'
  | 'ImageInspectError'
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'RunContainerError'
  | 'PostStartHookError'
  | 'CreatePodSandboxError'
  | 'KillContainerError'
  | 'KillPodSandboxError';

/** A failed step of a sync, as a value (STYLE §4): the reason is what the pod status shows. */
export class SyncError extends Error {
  readonly reason: SyncErrorReason;
  constructor(reason: SyncErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SyncError';
    this.reason = reason;
  }
}

export interface SyncResult {
  /** Per-container failures of this sync, by container name. */
  errors: { name: string; reason: SyncErrorReason; message: string }[];
  /** Set when the sandbox could not be created (the pod worker retries with back-off). */
  sandboxError?: SyncError;
  actions: PodActions;
}

/** Last start failure per (pod, container): the waiting reason and message in the pod status. */
export class ReasonCache {
  #entries = new Map<string, { reason: SyncErrorReason; message: string }>();
  get(uid: string, name: string) {
    return this.#entries.get(`${uid}/${name}`);
  }
  set(uid: string, name: string, reason: SyncErrorReason, message: string) {
    this.#entries.set(`${uid}/${name}`, { reason, message });
  }
  delete(uid: string, name: string) {
    this.#entries.delete(`${uid}/${name}`);
  }
  forgetPod(uid: string) {
    for (const k of this.#entries.keys()) if (k.startsWith(`${uid}/`)) this.#entries.delete(k);
  }
}

export interface KubeRuntimeManagerConfig {
  runtime: ContainerRuntime;
  environment: ContainerEnvironment;
  recorder: EventRecorder;
  /** Directory holding the pods' log directories (`<logRoot>/<ns>_<name>_<uid>`), like /var/log/pods. */
  logRoot: string;
  clock?: Clock;
  /** Probe results computePodActions consults (the ProbeManager); none by default. */
  probeResults?: ProbeResultsView;
  /** The pod's resolv.conf settings (kubelet-node's DNS configurer); the runtime's default when undefined. */
  dnsConfig?: (pod: Pod) => DnsConfig | undefined;
  /** KubeletConfiguration.clusterDomain: the domain of a pod's FQDN (`setHostnameAsFQDN`); default cluster.local. */
  clusterDomain?: string;
  /**
   * Registry credentials for a pod's image (its imagePullSecrets, pull-secrets.ts), tried in turn until one
   * pull succeeds (upstream PullImage); none (or no function): an anonymous pull.
   */
  pullCredentials?: (pod: Pod, image: string) => Promise<AuthConfig[]>;
  nodeMemoryCapacity?: number;
  /** `--seccomp-profile-root`: where Localhost seccomp profiles are read (default /var/lib/kubelet/seccomp). */
  seccompProfileRoot?: string;
  /**
   * The runtime handler of a RuntimeClass (upstream's runtimeclass manager LookupRuntimeHandler); throws when
   * the class cannot be read (NotFound: `runtimeclasses.node.k8s.io "x" not found`). Without it a pod naming a
   * class gets the default handler.
   */
  runtimeHandler?: (runtimeClassName: string) => Promise<string>;
  /** CrashLoopBackOff (default 10 s doubling to 300 s) and image pull back-off (the same). */
  crashBackoff?: Backoff;
  imageBackoff?: Backoff;
  /** The node's pod timelines: image, sandbox, container, hook and stop steps are recorded there as they happen. */
  timeline?: PodTimelines;
}

const MIN_GRACE_SECONDS = 2;
const MAX_TERMINATION_MESSAGE = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

/** Go's time.Duration formatting for whole seconds: 10s, 1m20s, 5m0s. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total}s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}

/** Go's time.Duration String() for millisecond durations: 0s, 532ms, 1.021s, 1m2.5s. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const m = Math.floor(ms / 60_000);
  const rest = `${+((ms % 60_000) / 1000).toFixed(3)}s`;
  return m > 0 ? `${m}m${rest}` : rest;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function containerType(pod: Pod, name: string): ContainerType {
  const init = pod.spec?.initContainers?.find((c) => c.name === name);
  if (init) return isSidecar(init) ? 'sidecar' : 'init';
  if (pod.spec?.ephemeralContainers?.some((c) => c.name === name)) return 'ephemeral';
  return 'regular';
}

export class KubeRuntimeManager {
  readonly runtime: ContainerRuntime;
  readonly reasonCache = new ReasonCache();
  readonly crashBackoff: Backoff;
  readonly imageBackoff: Backoff;
  #environment: ContainerEnvironment;
  #recorder: EventRecorder;
  #clock: Clock;
  #logRoot: string;
  #probes: ProbeResultsView | undefined;
  #dnsConfig: KubeRuntimeManagerConfig['dnsConfig'];
  readonly #clusterDomain: string;
  #pullCredentials: KubeRuntimeManagerConfig['pullCredentials'];
  #nodeMemory: number;
  #seccompProfileRoot: string | undefined;
  #runtimeHandler: KubeRuntimeManagerConfig['runtimeHandler'];
  #hooks: HandlerRunner;
  /** Termination messages of exited containers (they never change), by container id. */
  #messages = new Map<string, string>();
  /** How an image id shows in container statuses (see #imageNames), by image id; refreshed after pulls. */
  #imageNames = new Map<string, { image: string; imageID: string }>();
  /** The last pull error per image back-off key (`<uid>_<image>`), shown while the pull backs off. */
  #pullErrors = new Map<string, string>();
  #lastBackoffGc = 0;
  #timeline: PodTimelines | undefined;

  constructor(config: KubeRuntimeManagerConfig) {
    if (!config.runtime) throw new Error('KubeRuntimeManager needs a runtime');
    if (!config.logRoot) throw new Error('KubeRuntimeManager needs a logRoot');
    this.runtime = config.runtime;
    this.#environment = config.environment;
    this.#recorder = config.recorder;
    this.#clock = config.clock ?? realClock;
    this.#logRoot = config.logRoot;
    this.#probes = config.probeResults;
    this.#dnsConfig = config.dnsConfig;
    this.#clusterDomain = config.clusterDomain ?? 'cluster.local';
    this.#pullCredentials = config.pullCredentials;
    this.#nodeMemory = config.nodeMemoryCapacity ?? totalmem();
    this.#seccompProfileRoot = config.seccompProfileRoot;
    this.#runtimeHandler = config.runtimeHandler;
    this.crashBackoff = config.crashBackoff ?? new Backoff({ initialMs: 10_000, maxMs: 300_000, clock: this.#clock });
    this.imageBackoff = config.imageBackoff ?? new Backoff({ initialMs: 10_000, maxMs: 300_000, clock: this.#clock });
    this.#hooks = new HandlerRunner({ runtime: this.runtime, clock: this.#clock });
    this.#timeline = config.timeline;
  }

  /** A container's step in the pod's timeline (when the kubelet keeps one). */
  #step(pod: Pod | undefined, name: string, kind: PodTimelineStepKind, fields: StepFields = {}): void {
    if (pod) this.#timeline?.record(pod, kind, { container: name, containerType: containerType(pod, name), ...fields });
  }

  #containerEvent(pod: Pod, name: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#recorder.event(pod, type, reason, message, { fieldPath: containerFieldPath(pod, name) });
  }

  /** Lets the ProbeManager be wired after construction (it needs the runtime too). */
  setProbeResults(probes: ProbeResultsView): void {
    this.#probes = probes;
  }

  // ------------------------------------------------------------------ reading state

  /** Every pod the runtime holds, by uid, from sandbox and container labels (for the PLEG relist). */
  async listPods(): Promise<Map<string, RuntimePod>> {
    const [sandboxes, containers] = await Promise.all([this.runtime.listPodSandbox(), this.runtime.listContainers()]);
    const pods = new Map<string, RuntimePod>();
    const entry = (labels: Record<string, string>) => {
      const uid = labels[LABEL_POD_UID];
      if (!uid) return undefined;
      let p = pods.get(uid);
      if (!p)
        pods.set(
          uid,
          (p = {
            uid,
            name: labels[LABEL_POD_NAME] ?? '',
            namespace: labels[LABEL_POD_NAMESPACE] ?? '',
            sandboxes: [],
            containers: [],
          }),
        );
      return p;
    };
    for (const s of sandboxes) entry(s.labels)?.sandboxes.push({ id: s.id, state: s.state });
    for (const c of containers)
      entry(c.labels)?.containers.push({
        id: c.id,
        name: c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name,
        state: c.state,
      });
    return pods;
  }

  /** The pod's sandboxes and containers, newest first, with termination messages of exited containers. */
  async getPodStatus(uid: string, name = '', namespace = ''): Promise<RuntimePodStatus> {
    const timestamp = this.#clock.now();
    const sandboxes = await this.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } });
    const sandboxStatuses = [];
    for (const s of sandboxes) {
      try {
        sandboxStatuses.push(await this.runtime.podSandboxStatus(s.id));
      } catch (err) {
        if (!isRuntimeError(err, 'NotFound')) throw err;
      }
    }
    sandboxStatuses.sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt);
    const containers = await this.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } });
    const containerStatuses: RuntimeContainerStatus[] = [];
    for (const c of containers) {
      let s;
      try {
        s = await this.runtime.containerStatus(c.id);
      } catch (err) {
        if (isRuntimeError(err, 'NotFound')) continue;
        throw err;
      }
      const a = s.annotations;
      const status: RuntimeContainerStatus = {
        id: s.id,
        name: s.labels[LABEL_CONTAINER_NAME] ?? s.metadata.name,
        type: (s.labels[LABEL_CONTAINER_TYPE] as ContainerType) ?? 'regular',
        state: runtimeStateOf[s.state] ?? 'unknown',
        createdAt: s.createdAt,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        exitCode: s.exitCode,
        reason: s.reason,
        message: s.message,
        ...(await this.#imageNamesOf(s.image, s.imageRef)),
        hash: a[ANNOTATION_CONTAINER_HASH] ?? '',
        restartCount: Number(a[ANNOTATION_RESTART_COUNT] ?? s.metadata.attempt ?? 0),
        podSandboxId: s.podSandboxId,
        logPath: s.logPath,
        terminationMessagePath: a[ANNOTATION_TERMINATION_MESSAGE_PATH] ?? '/dev/termination-log',
        terminationMessagePolicy: a[ANNOTATION_TERMINATION_MESSAGE_POLICY] ?? 'File',
        mounts: s.mounts,
      };
      if (status.state === 'exited') status.message = await this.#terminationMessage(status);
      containerStatuses.push(status);
    }
    containerStatuses.sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);
    const ready = sandboxStatuses.find((s) => s.state === 'SANDBOX_READY');
    const ips = ready?.network?.ip ? [ready.network.ip, ...ready.network.additionalIps] : [];
    const first = sandboxStatuses[0]?.metadata;
    return {
      uid,
      name: name || first?.name || '',
      namespace: namespace || first?.namespace || '',
      ips,
      sandboxStatuses,
      containerStatuses,
      timestamp,
    };
  }

  /**
   * A container's `image` and `imageID` as containerd reports them through the real kubelet (CRI
   * ContainerStatus): the image's first repo tag (`docker.io/library/busybox:1.35`) and its first repo digest
   * (`docker.io/library/busybox@sha256:…`), else its id (`sha256:…`). The runtime holds containers by image
   * id; an image removed since keeps what the runtime said.
   */
  async #imageNamesOf(image: string, imageRef: string): Promise<{ image: string; imageRef: string }> {
    const id = imageRef || image;
    let names = this.#imageNames.get(id);
    if (!names) {
      const img = await this.runtime.imageStatus(id).catch(() => undefined);
      if (!img) return { image, imageRef: imageRef || image };
      names = { image: img.repoTags[0] ?? image, imageID: img.repoDigests[0] ?? img.id };
      this.#imageNames.set(id, names);
    }
    return { image: names.image, imageRef: names.imageID };
  }

  /** upstream getTerminationMessage: the runtime's message, else the file, else (FallbackToLogsOnError) the log tail. */
  async #terminationMessage(s: RuntimeContainerStatus): Promise<string> {
    const cached = this.#messages.get(s.id);
    if (cached !== undefined) return cached;
    let message = s.message;
    if (!message) {
      const mount = s.mounts.find((m) => m.containerPath === s.terminationMessagePath);
      if (mount) {
        try {
          message = (await readFile(mount.hostPath)).subarray(0, MAX_TERMINATION_MESSAGE).toString();
        } catch {
          // No file: no message.
        }
      }
    }
    if (!message && s.terminationMessagePolicy === 'FallbackToLogsOnError' && s.exitCode !== 0)
      message = await readLogTail(s.logPath);
    this.#messages.set(s.id, message);
    return message;
  }

  // ------------------------------------------------------------------ sync

  /** Brings the runtime in line with the pod spec (the plan from computePodActions). Safe to repeat. */
  async syncPod(pod: Pod, podStatus: RuntimePodStatus, signal?: AbortSignal): Promise<SyncResult> {
    const uid = pod.metadata?.uid ?? '';
    if (this.#clock.now() - this.#lastBackoffGc > 60_000) {
      // Entries idle for 2 × max (10 min) are forgotten, so back-off tables do not grow with gone pods.
      this.#lastBackoffGc = this.#clock.now();
      this.crashBackoff.gc();
      this.imageBackoff.gc();
    }
    const actions = computePodActions(pod, podStatus, this.#probes);
    const result: SyncResult = { errors: [], actions };

    // Step 2: kill the pod or the containers that must go.
    if (actions.createSandbox && actions.sandboxId)
      this.#recorder.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    if (actions.killPod) {
      await this.killPod(pod, podStatus);
      if (!actions.createSandbox) return result;
    } else {
      await Promise.all([...actions.containersToKill].map(([id, k]) => this.#killFromPlan(pod, podStatus, id, k)));
    }
    signal?.throwIfAborted();
    if (actions.initContainersToStart.length) await this.#pruneInitContainersBeforeStart(pod, podStatus);

    // Step 3: the sandbox.
    let sandboxId = actions.sandboxId;
    let podIPs = podStatus.ips;
    // DNS settings only for a new sandbox: forming them may record events (DNSConfigForming), once per sandbox.
    let sandboxConfig;
    try {
      sandboxConfig = generatePodSandboxConfig(pod, actions.attempt, {
        logRoot: this.#logRoot,
        clusterDomain: this.#clusterDomain,
        dnsConfig: actions.createSandbox ? this.#dnsConfig?.(pod) : undefined,
      });
    } catch (err) {
      // A hostname that cannot be set (an FQDN over 64 characters) fails the sandbox, as upstream.
      const message = errorMessage(err);
      this.#recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
      result.sandboxError = new SyncError('CreatePodSandboxError', message, { cause: err });
      return result;
    }
    if (actions.createSandbox) {
      try {
        // The pod's RuntimeClass picks the handler when its sandbox is made (upstream createPodSandbox).
        const runtimeClass = pod.spec?.runtimeClassName;
        if (runtimeClass && this.#runtimeHandler) sandboxConfig = { ...sandboxConfig, runtimeHandler: await this.#runtimeHandler(runtimeClass) };
        const started = this.#clock.now();
        sandboxId = await this.runtime.runPodSandbox(sandboxConfig, signal);
        const s = await this.runtime.podSandboxStatus(sandboxId);
        podIPs = s.network?.ip ? [s.network.ip, ...s.network.additionalIps] : [];
        this.#timeline?.record(pod, 'SandboxCreated', {
          durationMs: this.#clock.now() - started,
          message: podIPs.length ? `IP ${podIPs.join(', ')}` : 'host network',
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        const message = errorMessage(err);
        this.#recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
        result.sandboxError = new SyncError('CreatePodSandboxError', message, { cause: err });
        return result;
      }
      // A fresh sandbox: what ran in the old one is history for restart counts only.
    }

    const start = async (c: Container, type: ContainerType): Promise<boolean> => {
      signal?.throwIfAborted();
      try {
        await this.#startContainer(pod, c, type, sandboxId, sandboxConfig, podStatus, podIPs, signal);
        this.reasonCache.delete(uid, c.name);
        return true;
      } catch (err) {
        if (signal?.aborted) throw err;
        const e =
          err instanceof SyncError ? err : new SyncError('RunContainerError', errorMessage(err), { cause: err });
        this.reasonCache.set(uid, c.name, e.reason, e.message);
        result.errors.push({ name: c.name, reason: e.reason, message: e.message });
        return false;
      }
    };

    // Step 4: ephemeral containers.
    for (const i of actions.ephemeralContainersToStart)
      await start(pod.spec!.ephemeralContainers![i] as Container, 'ephemeral');
    // Step 5: init containers, in order; a regular one that fails to start stops the step.
    for (const i of actions.initContainersToStart) {
      const c = pod.spec!.initContainers![i];
      const ok = await start(c, isSidecar(c) ? 'sidecar' : 'init');
      if (!ok && !isSidecar(c)) return result;
    }
    // Step 6: regular containers, together. Upstream starts them one by one, each startContainer running its
    // postStart hook to the end before the next one starts; only a hook can see that order, so a container
    // with one keeps it: it starts once those before it have started, and those after it wait for its hook.
    let together: Promise<boolean>[] = [];
    for (const i of actions.containersToStart) {
      const c = pod.spec!.containers[i];
      if (!c.lifecycle?.postStart) {
        together.push(start(c, 'regular'));
        continue;
      }
      await Promise.all(together);
      together = [];
      await start(c, 'regular');
    }
    await Promise.all(together);
    return result;
  }

  async #startContainer(
    pod: Pod,
    c: Container,
    type: ContainerType,
    sandboxId: string,
    sandboxConfig: PodSandboxConfig,
    podStatus: RuntimePodStatus,
    podIPs: string[],
    signal?: AbortSignal,
  ): Promise<void> {
    const previous = findContainerStatus(podStatus, c.name);
    // CrashLoopBackOff (upstream doBackOff): wait out the back-off measured from the exit of the newest
    // instance that exited. That is not always the newest instance: a container killed by its liveness probe
    // is restarted in the same sync, and its predecessor's exit decides (so a container that keeps failing
    // its probe does reach CrashLoopBackOff once the back-off outgrows its run time).
    const exited = podStatus.containerStatuses.find((s) => s.name === c.name && s.state === 'exited');
    if (exited && type !== 'ephemeral') {
      const key = `${pod.metadata?.name}_${pod.metadata?.namespace}_${pod.metadata?.uid}_${c.name}_${hashContainer(c)}`;
      if (this.crashBackoff.isInBackOffSince(key, exited.finishedAt)) {
        this.#containerEvent(
          pod,
          c.name,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`,
        );
        throw new SyncError(
          'CrashLoopBackOff',
          `back-off ${formatDuration(this.crashBackoff.get(key))} restarting failed container=${c.name} pod=${formatPod(pod)}`,
        );
      }
      this.crashBackoff.next(key, exited.finishedAt);
    }

    const { imageRef, image } = await this.#ensureImage(pod, c, signal);
    // With no instance left (the container GC removed them all), upstream counts from the log files kept.
    const restartCount = previous
      ? previous.restartCount + 1
      : restartCountByLogDir(join(podLogDirectory(this.#logRoot, pod), c.name));
    let targetContainerId: string | undefined;
    const target = (c as { targetContainerName?: string }).targetContainerName;
    if (type === 'ephemeral' && target) {
      // upstream getTargetID: the target's newest instance, which must be running to share its pid namespace.
      const t = findContainerStatus(podStatus, target);
      if (!t || t.state !== 'running') {
        const message = `unable to find target container ${target}`;
        this.#containerEvent(pod, c.name, 'Warning', 'Failed', `Error: ${message}`);
        throw new SyncError('CreateContainerConfigError', message);
      }
      targetContainerId = t.id;
    }

    let config;
    try {
      config = await generateContainerConfig(pod, c, {
        environment: this.#environment,
        podIPs,
        restartCount,
        imageRef,
        image,
        type,
        nodeMemoryCapacity: this.#nodeMemory,
        targetContainerId,
        ...(this.#seccompProfileRoot ? { seccompProfileRoot: this.#seccompProfileRoot } : {}),
      });
    } catch (err) {
      const message = errorMessage(err);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', `Error: ${message}`);
      throw new SyncError(
        err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerConfigError',
        message,
        { cause: err },
      );
    }

    let id: string;
    const creating = this.#clock.now();
    try {
      id = await this.runtime.createContainer(sandboxId, config, sandboxConfig);
    } catch (err) {
      const message = errorMessage(err);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', `Error: ${message}`);
      throw new SyncError('CreateContainerError', message, { cause: err });
    }
    this.#containerEvent(pod, c.name, 'Normal', 'Created', `Created container: ${c.name}`);
    this.#step(pod, c.name, 'ContainerCreated', { durationMs: this.#clock.now() - creating, ...(restartCount ? { message: `restart ${restartCount}` } : {}) });

    const starting = this.#clock.now();
    try {
      await this.runtime.startContainer(id);
    } catch (err) {
      const message = errorMessage(err);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', `Error: ${message}`);
      throw new SyncError('RunContainerError', message, { cause: err });
    }
    this.#containerEvent(pod, c.name, 'Normal', 'Started', `Started container ${c.name}`);
    const startedAt = this.#clock.now();
    this.#step(pod, c.name, 'ContainerStarted', { durationMs: startedAt - starting });

    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      try {
        await this.#hooks.run(pod, c, id, postStart, podIPs[0] ?? '', 0, signal);
        this.#step(pod, c.name, 'PostStartDone', { durationMs: this.#clock.now() - startedAt });
      } catch (err) {
        if (signal?.aborted) throw err;
        const message = errorMessage(err);
        this.#step(pod, c.name, 'PostStartFailed', { durationMs: this.#clock.now() - startedAt, message });
        this.#containerEvent(pod, c.name, 'Warning', 'FailedPostStartHook', message);
        await this.killContainer(pod, id, c.name, c, 'FailedPostStartHook', '').catch(() => {});
        throw new SyncError('PostStartHookError', message, { cause: err });
      }
    }
  }

  /** upstream EnsureImageExists: pulls per imagePullPolicy, with back-off, emitting Pulling/Pulled/Failed/BackOff. */
  async #ensureImage(pod: Pod, c: Container, signal?: AbortSignal) {
    const ref = c.image ?? '';
    // upstream applyDefaultImageTag: a reference that does not parse is InvalidImageName, with an
    // InspectFailed event, and no pull is tried. The runtime parses it (InvalidArgument) as the kubelet's
    // own docker/reference would; an empty one never reaches it.
    const invalidImage = (reason: string): SyncError => {
      const message = `Failed to apply default image tag ${JSON.stringify(ref)}: ${reason}`;
      this.#containerEvent(pod, c.name, 'Warning', 'InspectFailed', message);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', 'Error: InvalidImageName');
      return new SyncError('InvalidImageName', message);
    };
    if (!ref) throw invalidImage(`couldn't parse image name "": invalid reference format`);
    const policy = c.imagePullPolicy ?? defaultPullPolicy(ref);
    let present;
    try {
      present = await this.runtime.imageStatus(ref);
    } catch (err) {
      if (isRuntimeError(err, 'InvalidArgument')) throw invalidImage(err.message);
      const message = `Failed to inspect image ${JSON.stringify(ref)}: ${errorMessage(err)}`;
      this.#containerEvent(pod, c.name, 'Warning', 'InspectFailed', message);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', 'Error: ImageInspectError');
      throw new SyncError('ImageInspectError', message, { cause: err });
    }
    if (present && policy !== 'Always') {
      this.#containerEvent(
        pod,
        c.name,
        'Normal',
        'Pulled',
        `Container image ${JSON.stringify(ref)} already present on machine`,
      );
      this.#step(pod, c.name, 'ImagePresent', { image: ref });
      return { imageRef: present.id, image: present };
    }
    if (policy === 'Never') {
      const message = `Container image ${JSON.stringify(ref)} is not present with pull policy of Never`;
      this.#containerEvent(pod, c.name, 'Warning', 'ErrImageNeverPull', message);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', 'Error: ErrImageNeverPull');
      throw new SyncError('ErrImageNeverPull', message);
    }
    const key = `${pod.metadata?.uid}_${ref}`;
    if (this.imageBackoff.isInBackOffSinceUpdate(key, this.#clock.now())) {
      const message = `Back-off pulling image ${JSON.stringify(ref)}`;
      this.#containerEvent(pod, c.name, 'Normal', 'BackOff', message);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      // The waiting message carries the last pull's error, as upstream's prevPullErrMsg.
      const previous = this.#pullErrors.get(key);
      throw new SyncError('ImagePullBackOff', previous ? `${message}: ${previous}` : message);
    }
    this.#pullErrors.delete(key);
    this.#containerEvent(pod, c.name, 'Normal', 'Pulling', `Pulling image ${JSON.stringify(ref)}`);
    const started = this.#clock.now();
    this.#step(pod, c.name, 'ImagePulling', { image: ref });
    let progress: PullProgress | undefined;
    const onProgress = (p: PullProgress) => {
      progress = p;
      this.#timeline?.progress(pod, c.name, p);
    };
    try {
      const id = await this.#pullWithCredentials(pod, ref, signal, onProgress);
      const image = await this.runtime.imageStatus(id);
      this.#step(pod, c.name, 'ImagePulled', {
        image: ref,
        durationMs: this.#clock.now() - started,
        progress: progress ?? { downloaded: 0, total: 0 },
        message: `image size ${image?.size ?? 0} bytes`,
      });
      this.#imageNames.delete(id); // a pull may have added a tag or a repo digest
      const took = formatGoDuration(this.#clock.now() - started);
      this.#containerEvent(
        pod,
        c.name,
        'Normal',
        'Pulled',
        `Successfully pulled image ${JSON.stringify(ref)} in ${took} (${took} including waiting). Image size: ${image?.size ?? 0} bytes.`,
      );
      this.imageBackoff.reset(key);
      return { imageRef: id, image };
    } catch (err) {
      if (signal?.aborted) throw err;
      if (isRuntimeError(err, 'InvalidArgument')) throw invalidImage(err.message);
      this.imageBackoff.next(key);
      const message = errorMessage(err);
      this.#pullErrors.set(key, `ErrImagePull: ${message}`);
      this.#step(pod, c.name, 'ImagePullFailed', { image: ref, durationMs: this.#clock.now() - started, message });
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', `Failed to pull image ${JSON.stringify(ref)}: ${message}`);
      this.#containerEvent(pod, c.name, 'Warning', 'Failed', 'Error: ErrImagePull');
      throw new SyncError('ErrImagePull', message, { cause: err });
    }
  }

  /** Pulls with each of the pod's matching credentials in turn (anonymously without any); the last error wins. */
  async #pullWithCredentials(pod: Pod, ref: string, signal?: AbortSignal, onProgress?: (p: PullProgress) => void): Promise<string> {
    const creds = (await this.#pullCredentials?.(pod, ref)) ?? [];
    if (creds.length === 0) return this.runtime.pullImage(ref, { signal, onProgress });
    let last: unknown;
    for (const auth of creds) {
      try {
        return await this.runtime.pullImage(ref, { auth, signal, onProgress });
      } catch (err) {
        if (signal?.aborted || isRuntimeError(err, 'InvalidArgument')) throw err;
        last = err;
      }
    }
    throw last;
  }

  /**
   * Upstream's pruneInitContainersBeforeStart: before an init container starts again, only the newest stopped
   * instance of each init container is kept. Dead instances of the other containers are left to the container
   * garbage collector (container-gc.ts) and its `--maximum-dead-containers*` policy.
   */
  async #pruneInitContainersBeforeStart(pod: Pod, podStatus: RuntimePodStatus): Promise<void> {
    const initNames = new Set((pod.spec?.initContainers ?? []).map((c) => c.name));
    const seen = new Set<string>();
    for (const s of podStatus.containerStatuses) {
      if (!initNames.has(s.name) || (s.state !== 'exited' && s.state !== 'unknown')) continue;
      if (!seen.has(s.name)) {
        seen.add(s.name);
        continue;
      }
      await this.runtime.removeContainer(s.id).catch(() => {});
      this.#messages.delete(s.id);
    }
  }

  // ------------------------------------------------------------------ killing

  async #killFromPlan(pod: Pod, podStatus: RuntimePodStatus, id: string, k: ContainerToKill): Promise<void> {
    const s = podStatus.containerStatuses.find((c) => c.id === id);
    if (!s) return;
    await this.killContainer(pod, id, k.name, k.container, k.message, k.reason);
  }

  /**
   * Stops one container as upstream's killContainer: Killing event, preStop (sharing the grace period, at
   * most `grace` seconds), then StopContainer with what is left of the grace period, at least 2 s.
   */
  async killContainer(
    pod: Pod | undefined,
    containerId: string,
    name: string,
    spec: Container | undefined,
    message: string,
    reason: string,
    gracePeriodOverride?: number,
    annotations?: Record<string, string>,
  ): Promise<void> {
    let grace: number;
    if (gracePeriodOverride !== undefined) grace = gracePeriodOverride;
    else if (pod?.metadata?.deletionGracePeriodSeconds != null) grace = pod.metadata.deletionGracePeriodSeconds;
    else {
      const probe =
        reason === 'LivenessProbe' ? spec?.livenessProbe : reason === 'StartupProbe' ? spec?.startupProbe : undefined;
      const probeGrace = (probe as { terminationGracePeriodSeconds?: number } | undefined)
        ?.terminationGracePeriodSeconds;
      grace =
        probeGrace ??
        pod?.spec?.terminationGracePeriodSeconds ??
        Number(annotations?.[ANNOTATION_POD_GRACE_PERIOD] ?? MIN_GRACE_SECONDS);
    }
    if (pod) this.#containerEvent(pod, name, 'Normal', 'Killing', message || `Stopping container ${name}`);

    const preStop: LifecycleHandler | undefined =
      spec?.lifecycle?.preStop ??
      (annotations?.[ANNOTATION_PRESTOP] ? JSON.parse(annotations[ANNOTATION_PRESTOP]) : undefined);
    if (preStop && grace > 0 && pod && spec) {
      const started = this.#clock.now();
      this.#step(pod, name, 'PreStopStarted', { message: `grace period ${grace}s` });
      const ac = new AbortController();
      const timer = this.#clock.sleep(grace * 1000, ac.signal).then(
        () => 'timeout' as const,
        () => 'cancelled' as const,
      );
      const ips = pod.status?.podIPs?.map((p) => p.ip ?? '') ?? (pod.status?.podIP ? [pod.status.podIP] : []);
      const hook = this.#hooks.run(pod, spec, containerId, preStop, ips[0] ?? '', grace * 1000, ac.signal).then(
        () => 'ok' as const,
        (err: unknown) => (ac.signal.aborted ? ('cancelled' as const) : err),
      );
      const outcome = await Promise.race([hook, timer]);
      ac.abort();
      if (outcome !== 'ok' && outcome !== 'timeout' && outcome !== 'cancelled')
        this.#containerEvent(pod, name, 'Warning', 'FailedPreStopHook', errorMessage(outcome));
      this.#step(pod, name, 'PreStopDone', {
        durationMs: this.#clock.now() - started,
        ...(outcome === 'timeout'
          ? { message: 'ran out of the grace period' }
          : outcome !== 'ok' && outcome !== 'cancelled'
            ? { message: `failed: ${errorMessage(outcome)}` }
            : {}),
      });
      grace -= Math.floor((this.#clock.now() - started) / 1000);
    }
    if (grace < MIN_GRACE_SECONDS) grace = MIN_GRACE_SECONDS;
    const stopping = this.#clock.now();
    this.#step(pod, name, 'StopSignalSent', { message: `grace period ${grace}s, then SIGKILL` });
    try {
      await this.runtime.stopContainer(containerId, grace);
      const took = this.#clock.now() - stopping;
      // The runtime sends SIGKILL once the grace period is over: a stop that lasted that long needed it.
      this.#step(pod, name, 'ContainerStopped', { durationMs: took, ...(took >= grace * 1000 ? { message: 'SIGKILL after the grace period' } : {}) });
    } catch (err) {
      if (!isRuntimeError(err, 'NotFound'))
        throw new SyncError('KillContainerError', errorMessage(err), { cause: err });
    }
  }

  /**
   * Stops every running container of the pod, then its sandboxes. Regular containers stop together; native
   * sidecars after them in reverse spec order, sharing the pod's grace period (upstream's termination order).
   * `pod` may be undefined for a pod the kubelet no longer knows (an orphan): grace then comes from labels.
   */
  async killPod(pod: Pod | undefined, podStatus: RuntimePodStatus, gracePeriodOverride?: number): Promise<void> {
    const running = podStatus.containerStatuses.filter(
      (s) => s.state === 'running' || s.state === 'created' || s.state === 'unknown',
    );
    const specOf = (name: string): Container | undefined =>
      pod?.spec?.containers.find((c) => c.name === name) ??
      pod?.spec?.initContainers?.find((c) => c.name === name) ??
      (pod?.spec?.ephemeralContainers?.find((c) => c.name === name) as Container | undefined);
    const annotationsOf = async (id: string) => {
      try {
        return (await this.runtime.containerStatus(id)).annotations;
      } catch {
        return {};
      }
    };
    const kill = async (s: RuntimeContainerStatus, grace?: number) =>
      this.killContainer(pod, s.id, s.name, specOf(s.name), '', '', grace, pod ? undefined : await annotationsOf(s.id));

    const sidecarNames = (pod?.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name);
    const sidecars = running.filter((s) => sidecarNames.includes(s.name) || (!pod && s.type === 'sidecar'));
    const others = running.filter((s) => !sidecars.includes(s));
    const started = this.#clock.now();
    const errors: unknown[] = [];
    await Promise.all(others.map((s) => kill(s, gracePeriodOverride).catch((e) => errors.push(e))));
    if (sidecars.length > 0) {
      const total =
        gracePeriodOverride ??
        pod?.metadata?.deletionGracePeriodSeconds ??
        pod?.spec?.terminationGracePeriodSeconds ??
        30;
      const order = pod
        ? [...sidecars].sort((a, b) => sidecarNames.indexOf(b.name) - sidecarNames.indexOf(a.name))
        : sidecars;
      for (const s of order) {
        const left = Math.max(0, total - Math.floor((this.#clock.now() - started) / 1000));
        await kill(s, left).catch((e) => errors.push(e));
      }
    }
    for (const sb of podStatus.sandboxStatuses) {
      if (sb.state !== 'SANDBOX_READY') continue;
      try {
        await this.runtime.stopPodSandbox(sb.id);
      } catch (err) {
        errors.push(new SyncError('KillPodSandboxError', errorMessage(err), { cause: err }));
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  /** Removes the pod's containers and sandboxes from the runtime (after the pod terminated). */
  async removePod(uid: string): Promise<void> {
    const sandboxes = await this.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } });
    for (const s of sandboxes) await this.runtime.removePodSandbox(s.id);
    const leftovers = await this.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } });
    for (const c of leftovers) await this.runtime.removeContainer(c.id);
    for (const c of leftovers) this.#messages.delete(c.id);
    this.reasonCache.forgetPod(uid);
    for (const k of this.#pullErrors.keys()) if (k.startsWith(`${uid}_`)) this.#pullErrors.delete(k);
  }

  /** The container type of a spec name, for callers that only hold a name. */
  static containerType = containerType;
}

/**
 * Upstream's calcRestartCountByLogDir: one more than the highest `<N>.log` (or rotated `<N>.log.*`) in a
 * container's log directory; 0 when there is none. Read synchronously: it runs before every first start of a
 * container, a directory of a few entries is cheaper to list than a round trip through libuv's thread pool, and
 * a start stays one chain of promises (the kubelet's fake-clock tests count on that).
 */
export function restartCountByLogDir(dir: string): number {
  let count = 0;
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    // No log directory yet: the first run.
  }
  for (const e of entries) {
    const m = e.isDirectory() ? null : /^(\d+)\.log(\..*)?$/.exec(e.name);
    if (m) count = Math.max(count, Number(m[1]) + 1);
  }
  return count;
}

/** The API default for imagePullPolicy: Always for `:latest` or untagged references, else IfNotPresent. */
export function defaultPullPolicy(ref: string): 'Always' | 'IfNotPresent' {
  if (ref.includes('@')) return 'IfNotPresent';
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 || last.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The last lines of a CRI-format log file (for FallbackToLogsOnError), at most 80 lines and 2 KiB. */
async function readLogTail(path: string): Promise<string> {
  if (!path) return '';
  let fh;
  try {
    fh = await open(path, 'r');
    const { size } = await fh.stat();
    const want = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(want);
    await fh.read(buf, 0, want, size - want);
    const lines = buf
      .toString()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        // `<time> <stream> <P|F> <text>`
        const m = /^\S+ (?:stdout|stderr) [PF] (.*)$/.exec(l);
        return m ? m[1] : l;
      })
      .slice(-FALLBACK_LOG_LINES);
    const text = lines.join('\n') + (lines.length ? '\n' : '');
    return text.length > FALLBACK_LOG_BYTES ? text.slice(-FALLBACK_LOG_BYTES) : text;
  } catch {
    return '';
  } finally {
    await fh?.close();
  }
}
