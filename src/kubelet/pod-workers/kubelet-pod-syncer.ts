/**
 * KubeletPodSyncer: what a pod worker does at each step (upstream Kubelet.SyncPod, SyncTerminatingPod,
 * SyncTerminatedPod), tying the runtime manager, PLEG cache, prober, volumes and status manager together.
 *
 * syncPod:         fresh runtime status → activeDeadlineSeconds check → API status (setPodStatus) → terminal?
 *                  → probe workers → volumes mounted → KubeRuntimeManager.syncPod → status again
 * syncTerminating: stop probes → killPod with the grace period → final status (Succeeded/Failed)
 * syncTerminated:  unmount volumes; for deleted pods remove runtime objects and hand the pod to
 *                  `onPodTerminated` (kubelet-node deletes the API object with grace 0 and a uid precondition)
 */
import { realClock, type Clock } from '../../machinery/index.ts';
import type { Pod, PodStatus } from '../kuberuntime/api.ts';
import type { VolumeManager } from '../kuberuntime/container-environment.ts';
import type { EventRecorder } from '../kuberuntime/events.ts';
import type { KubeRuntimeManager } from '../kuberuntime/kube-runtime-manager.ts';
import type { RuntimePodStatus } from '../kuberuntime/runtime-pod.ts';
import type { GenericPLEG } from '../pleg/generic.ts';
import type { ProbeManager } from '../prober/prober-manager.ts';
import { generatePodStatus, toRFC3339 } from '../status/generate.ts';
import type { StatusManager } from '../status/status-manager.ts';
import type { PodSyncer } from './pod-workers.ts';
import type { PodTimelines } from '../timeline/index.ts';

export interface KubeletPodSyncerConfig {
  runtimeManager: KubeRuntimeManager;
  pleg: GenericPLEG;
  statusManager: StatusManager;
  probeManager: ProbeManager;
  volumeManager: VolumeManager;
  recorder: EventRecorder;
  /** Prefix of containerIDs (`<runtimeName>://<id>`), from runtime.version(). */
  runtimeName: string;
  /** The node's IPs for status.hostIP(s). */
  hostIPs: () => string[];
  clock?: Clock;
  /** A deleted pod finished terminating: delete it from the API (grace 0, uid precondition). */
  onPodTerminated?: (pod: Pod, status: PodStatus) => Promise<void>;
  /** A pod's containers are all stopped (deleted, evicted or finished): the QoS cgroups follow (upstream killPod). */
  onPodStopped?: (pod: Pod) => void;
  /** The node's pod timelines: volumes mounted, exits seen in its status reads and the pod gone are recorded there. */
  timeline?: PodTimelines;
}

const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

export class KubeletPodSyncer implements PodSyncer {
  #c: KubeletPodSyncerConfig;
  #clock: Clock;
  /** Why the kubelet decided a pod is terminal (deadline, eviction), by uid. */
  #terminalReason = new Map<string, { reason: string; message: string; disruption?: boolean }>();

  constructor(config: KubeletPodSyncerConfig) {
    this.#c = config;
    this.#clock = config.clock ?? realClock;
  }

  #status(pod: Pod, runtimeStatus: RuntimePodStatus | undefined, podIsTerminal: boolean): PodStatus {
    const uid = pod.metadata?.uid ?? '';
    const rm = this.#c.runtimeManager;
    const status = generatePodStatus({
      pod: { ...pod, status: this.#c.statusManager.getPodStatus(uid) ?? pod.status },
      runtimeStatus,
      reasonFor: (name) => rm.reasonCache.get(uid, name),
      probes: this.#c.probeManager,
      kubeletStartedAt: this.#c.probeManager.startedAt,
      podIsTerminal,
      hostIPs: this.#c.hostIPs(),
      runtimeName: this.#c.runtimeName,
      now: toRFC3339(this.#clock.now()),
    });
    const terminal = this.#terminalReason.get(uid);
    if (terminal) {
      status.phase = 'Failed';
      status.reason = terminal.reason;
      status.message = terminal.message;
      if (terminal.disruption) {
        // upstream's DisruptionTarget condition for a pod the kubelet evicts (TerminationByKubelet).
        const conditions = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
        const prev = status.conditions?.find((c) => c.type === 'DisruptionTarget');
        conditions.push({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'TerminationByKubelet',
          message: terminal.message,
          lastTransitionTime: prev?.lastTransitionTime ?? toRFC3339(this.#clock.now()),
        });
        status.conditions = conditions;
      }
    }
    return status;
  }

  /**
   * The pod's runtime status, fresh. Exits it shows go to the pod's timeline at once: the status written from
   * it may show a container terminated before the PLEG's next relist, and a killed pod's containers may be
   * removed before it.
   */
  async #runtimeStatus(pod: Pod): Promise<RuntimePodStatus> {
    const m = pod.metadata ?? {};
    const status = await this.#c.pleg.updateCache(m.uid ?? '', m.name, m.namespace);
    this.#c.timeline?.exits(pod, status.containerStatuses);
    return status;
  }

  async syncPod(
    pod: Pod,
    signal: AbortSignal,
  ): Promise<{ terminal: boolean; retry?: boolean; resyncAfterMs?: number }> {
    const uid = pod.metadata?.uid ?? '';
    const before = this.#c.statusManager.getPodStatus(uid) ?? pod.status;
    let runtimeStatus = await this.#runtimeStatus(pod);
    let status = this.#status(pod, runtimeStatus, false);

    // activeDeadlineSeconds counts from status.startTime, init containers included.
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (deadline != null && status.startTime && this.#clock.now() - Date.parse(status.startTime) >= deadline * 1000) {
      this.#c.recorder.event(pod, 'Normal', 'DeadlineExceeded', DEADLINE_MESSAGE);
      this.#terminalReason.set(uid, { reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE });
      this.#c.statusManager.setPodStatus(pod, this.#status(pod, runtimeStatus, true));
      return { terminal: true };
    }
    this.#c.statusManager.setPodStatus(pod, status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return { terminal: true };
    // A container that just exited is shown terminated (STATUS Error/Completed) before this sync restarts it
    // or backs off, as the real kubelet's status does between two PLEG events.
    if (newlyTerminated(before, status)) await this.#flushed(uid, signal);

    this.#c.probeManager.addPod(pod);
    await this.#c.volumeManager.waitForAttachAndMount(pod, signal);
    signal.throwIfAborted();
    this.#c.timeline?.recordOnce(pod, 'VolumesMounted', { message: `${pod.spec?.volumes?.length ?? 0} volume(s)` });
    const result = await this.#c.runtimeManager.syncPod(pod, runtimeStatus, signal);
    if (result.sandboxError) throw result.sandboxError;

    // Publish what the sync did at once (new containers, waiting reasons) instead of at the next event.
    runtimeStatus = await this.#runtimeStatus(pod);
    status = this.#status(pod, runtimeStatus, false);
    this.#c.statusManager.setPodStatus(pod, status);
    // New containers are probed for readiness now, not a period later.
    this.#c.probeManager.triggerReadiness(uid);
    if (result.actions.killPod && !result.actions.createSandbox) return { terminal: true };
    const resyncAfterMs =
      deadline != null && status.startTime
        ? Date.parse(status.startTime) + deadline * 1000 - this.#clock.now()
        : undefined;
    return { terminal: false, retry: result.errors.length > 0, resyncAfterMs };
  }

  /** Waits (at most 1 s) until the status set for the pod is written. */
  async #flushed(uid: string, signal: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const both = AbortSignal.any([signal, ac.signal]);
    await Promise.race([
      this.#c.statusManager.flushed(uid, both),
      this.#clock.sleep(1000, both).catch(() => {}),
    ]);
    ac.abort();
  }

  /**
   * Marks a pod evicted by the kubelet (node pressure): from now on its status is Failed with reason
   * `Evicted`, `message` and a DisruptionTarget condition. The caller then kills it.
   */
  markEvicted(uid: string, message: string): void {
    this.#terminalReason.set(uid, { reason: 'Evicted', message, disruption: true });
  }

  /** Whether the kubelet evicted the pod (its dead containers need not be kept: container GC). */
  isEvicted(uid: string): boolean {
    return this.#terminalReason.get(uid)?.reason === 'Evicted';
  }

  async syncTerminatingPod(pod: Pod, gracePeriodSeconds: number, signal: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    await this.#c.probeManager.removePod(uid);
    let runtimeStatus = await this.#runtimeStatus(pod);
    this.#c.statusManager.setPodStatus(pod, this.#status(pod, runtimeStatus, false));
    signal.throwIfAborted();
    await this.#c.runtimeManager.killPod(pod, runtimeStatus, gracePeriodSeconds);
    runtimeStatus = await this.#runtimeStatus(pod);
    const stillRunning = runtimeStatus.containerStatuses.filter((c) => c.state === 'running');
    if (stillRunning.length > 0)
      throw new Error(
        `pod ${pod.metadata?.name} still has running containers: ${stillRunning.map((c) => c.name).join(', ')}`,
      );
    this.#c.statusManager.setPodStatus(pod, this.#status(pod, runtimeStatus, true));
  }

  async syncTerminatedPod(pod: Pod, signal: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    this.#c.onPodStopped?.(pod);
    const runtimeStatus = await this.#runtimeStatus(pod);
    const status = this.#status(pod, runtimeStatus, true);
    this.#c.statusManager.setPodStatus(pod, status);
    await this.#c.volumeManager.unmountPodVolumes(uid);
    signal.throwIfAborted();
    if (pod.metadata?.deletionTimestamp) {
      await this.#c.runtimeManager.removePod(uid);
      this.#terminalReason.delete(uid);
      this.#c.timeline?.removed(uid);
      await this.#c.onPodTerminated?.(pod, status);
    }
  }

  /**
   * Forgets everything kept about a pod that is gone from the API (after podWorkers.forget(uid)): probe
   * workers, the status manager's entry, start-failure reasons, terminal reasons.
   */
  async forgetPod(uid: string): Promise<void> {
    await this.#c.probeManager.removePod(uid);
    this.#c.statusManager.removePod(uid);
    this.#c.runtimeManager.reasonCache.forgetPod(uid);
    this.#terminalReason.delete(uid);
    this.#c.timeline?.gone(uid);
  }

  /**
   * Housekeeping: kills and removes runtime pods whose UID the kubelet no longer knows (deleted while the
   * kubelet was down, or force-deleted). Returns the UIDs cleaned.
   */
  async cleanupOrphanedPods(known: Set<string>): Promise<string[]> {
    const pods = await this.#c.runtimeManager.listPods();
    const cleaned: string[] = [];
    for (const uid of pods.keys()) {
      if (known.has(uid)) continue;
      const status = await this.#c.runtimeManager.getPodStatus(uid);
      await this.#c.runtimeManager.killPod(undefined, status);
      await this.#c.runtimeManager.removePod(uid);
      await this.#c.probeManager.removePod(uid);
      await this.#c.volumeManager.unmountPodVolumes(uid);
      this.#c.timeline?.removed(uid);
      cleaned.push(uid);
    }
    return cleaned;
  }
}

/** Whether a container that was running in `before` is terminated in `after`. */
function newlyTerminated(before: PodStatus | undefined, after: PodStatus): boolean {
  const lists = (s: PodStatus | undefined) => [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? [])];
  const old = new Map(lists(before).map((c) => [c.name, c]));
  return lists(after).some((c) => c.state?.terminated && old.get(c.name)?.state?.running);
}
