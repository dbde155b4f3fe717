/**
 * StatusManager: the single writer of pods/status on this node (upstream status.Manager). Pod workers call
 * `setPodStatus` as often as they like; each call stores the status with a per-pod version, marks the pod
 * dirty and rings a doorbell. One `run(signal)` loop drains the dirty set, writing only statuses that
 * changed since the last write, and every `syncPeriodMs` (10 s) compares every cached status with the API
 * server's and repairs what differs (level triggering). A terminal phase (Succeeded/Failed) is never moved
 * back, whether it is in the cache or already on the server.
 *
 *   setPodStatus ──▶ cache[uid] = {status, version+1}; dirty.add(uid); ring
 *   run: wait(ring | period) ──▶ for uid in dirty (or all): GET pod → merge → PATCH status → written[uid]=version
 *
 * The write is a strategic merge patch from the status just read to the merged one, with the pod's uid as a
 * precondition (pod-status-patch.ts, upstream statusutil.PatchPodStatus): fields others write concurrently
 * are never overwritten and there is no resourceVersion to conflict on.
 */
import { Doorbell, realClock, type Clock } from '../../machinery/index.ts';
import type { Pod, PodStatus } from '../kuberuntime/api.ts';
import { podStatusPatch, type PodStatusPatch } from './pod-status-patch.ts';

export type { PodStatusPatch } from './pod-status-patch.ts';

/** How the status manager reaches the API server (kubelet-node adapts src/client to it). */
export interface PodStatusWriter {
  /** The pod as the API server has it now (a mirror pod with its own uid); undefined when it does not exist. */
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  /**
   * Sends `patch` as a strategic merge patch of pods/status and resolves with the stored pod. The patch's
   * `metadata.uid` is the API object's uid (a mirror pod's own for a static pod): a precondition the server
   * enforces (uid is immutable), so the write fails rather than land on a pod recreated under the same name.
   */
  patchPodStatus(namespace: string, name: string, patch: PodStatusPatch): Promise<Pod>;
}

export interface StatusManagerConfig {
  writer: PodStatusWriter;
  clock?: Clock;
  /** Full resync period (default 10 s, upstream's syncPeriod). */
  syncPeriodMs?: number;
  /**
   * Pods written at once (default 8). Upstream writes one at a time, each a GET and a PATCH of about a
   * millisecond; ours cost several against a busy API server, so 30 pods started together waited seconds
   * in line for their Ready to be written. A pod's own writes stay one at a time and in order.
   */
  concurrency?: number;
  onError?: (err: unknown, pod: { namespace: string; name: string }) => void;
  /** Told every status that changes what is cached (the kubelet's pod start metric watches them). */
  onStatus?: (pod: Pod, status: PodStatus) => void;
}

interface Entry {
  namespace: string;
  name: string;
  uid: string;
  status: PodStatus;
  version: number;
}

/**
 * Top-level status fields the kubelet generates. Anything else on the server (nominatedNodeName from the
 * scheduler, resourceClaimStatuses, fields newer than us) belongs to other writers and is left as it is.
 */
const KUBELET_FIELDS = new Set([
  'phase',
  'conditions',
  'message',
  'reason',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'initContainerStatuses',
  'containerStatuses',
  'ephemeralContainerStatuses',
  'qosClass',
  'observedGeneration',
]);

const terminal = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed';

/** Equality of two statuses for "did anything change" (the API orders fields the same way we do). */
function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

export class StatusManager {
  #writer: PodStatusWriter;
  #clock: Clock;
  #period: number;
  #concurrency: number;
  #onError: StatusManagerConfig['onError'];
  #onStatus: StatusManagerConfig['onStatus'];
  #cache = new Map<string, Entry>();
  /** Last version written per pod; only the run loop touches it. */
  #written = new Map<string, number>();
  #dirty = new Set<string>();
  #bell = new Doorbell();
  #waiters = new Set<{ uid: string; version: number; done: () => void }>();

  constructor(config: StatusManagerConfig) {
    if (!config.writer) throw new Error('StatusManager needs a writer');
    this.#writer = config.writer;
    this.#clock = config.clock ?? realClock;
    this.#period = config.syncPeriodMs ?? 10_000;
    this.#concurrency = Math.max(1, config.concurrency ?? 8);
    this.#onError = config.onError;
    this.#onStatus = config.onStatus;
  }

  /** The latest status set for a pod (what the pod worker last computed). */
  getPodStatus(uid: string): PodStatus | undefined {
    return this.#cache.get(uid)?.status;
  }

  /** Records the pod's new status; it is written by the run loop. Cheap and idempotent. */
  setPodStatus(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata?.uid ?? '';
    const prev = this.#cache.get(uid);
    const next = structuredClone(status);
    const known = prev?.status.phase ?? pod.status?.phase;
    if (terminal(known) && next.phase !== known) next.phase = known;
    if (prev && sameStatus(prev.status, next)) return;
    this.#onStatus?.(pod, next);
    this.#cache.set(uid, {
      namespace: pod.metadata?.namespace ?? 'default',
      name: pod.metadata?.name ?? '',
      uid,
      status: next,
      version: (prev?.version ?? 0) + 1,
    });
    this.#dirty.add(uid);
    this.#bell.ring();
  }

  /** Forgets a pod (deleted from the API, or its worker finished). */
  removePod(uid: string): void {
    this.#cache.delete(uid);
    this.#dirty.delete(uid);
    this.#written.delete(uid);
    this.#notify(uid);
  }

  /**
   * Resolves once the status set so far for the pod is on the API server (or the pod is forgotten, or
   * `signal` aborts). For statuses users must see even when the next sync replaces them at once: the Error of
   * a container that just exited before it is restarted (`kubectl get pods -w` shows Running → Error → Running).
   */
  async flushed(uid: string, signal?: AbortSignal): Promise<void> {
    const e = this.#cache.get(uid);
    if (!e || (this.#written.get(uid) ?? 0) >= e.version || signal?.aborted) return;
    const version = e.version;
    await new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.#waiters.delete(waiter);
        resolve();
      };
      const waiter = { uid, version, done };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #notify(uid: string): void {
    const written = this.#written.get(uid);
    for (const w of this.#waiters)
      if (w.uid === uid && (written === undefined || written >= w.version || !this.#cache.has(uid))) w.done();
  }

  /** True when the latest status of the pod has been written. */
  isSynced(uid: string): boolean {
    const e = this.#cache.get(uid);
    return !!e && this.#written.get(uid) === e.version;
  }

  /** The single writer loop. Resolves when `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let nextFull = this.#clock.now() + this.#period;
    while (!signal.aborted) {
      const ac = new AbortController();
      const both = AbortSignal.any([signal, ac.signal]);
      const wait = Math.max(0, nextFull - this.#clock.now());
      await Promise.race([this.#bell.wait(both), this.#clock.sleep(wait, both)]).catch(() => {});
      ac.abort();
      if (signal.aborted) break;
      if (this.#clock.now() >= nextFull) {
        nextFull = this.#clock.now() + this.#period;
        await this.syncBatch(true);
      } else {
        await this.syncBatch(false);
      }
    }
  }

  /**
   * One pass: the dirty pods, or every cached pod when `all` (the periodic repair), up to `concurrency` at a
   * time. Each pod appears once in a pass and passes do not overlap, so a pod's writes never race.
   */
  async syncBatch(all: boolean): Promise<void> {
    const uids = all ? [...this.#cache.keys()] : [...this.#dirty];
    let next = 0;
    const worker = async () => {
      while (next < uids.length) {
        const uid = uids[next++]!;
        this.#dirty.delete(uid);
        const e = this.#cache.get(uid);
        if (!e) continue;
        if (!all && this.#written.get(uid) === e.version) continue;
        try {
          await this.#syncPod(e);
        } catch (err) {
          // Retried on the next ring or the periodic pass.
          this.#dirty.add(uid);
          this.#onError?.(err, e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, uids.length) }, worker));
  }

  async #syncPod(e: Entry): Promise<void> {
    const current = await this.#writer.getPod(e.namespace, e.name);
    // A static pod's status goes to its mirror pod, which names the static pod's uid in its annotation.
    const mirrorOf = current?.metadata?.annotations?.['kubernetes.io/config.mirror'];
    if (!current || (current.metadata?.uid !== e.uid && mirrorOf !== e.uid)) {
      // Gone (or replaced by a pod of the same name): nothing to write.
      this.removePod(e.uid);
      return;
    }
    const version = e.version;
    const status = structuredClone(e.status);
    const apiPhase = current.status?.phase;
    if (terminal(apiPhase) && status.phase !== apiPhase) status.phase = apiPhase;
    // Conditions owned by others (scheduler, controllers, readiness gates) stay as the server has them.
    const ours = new Set(status.conditions?.map((c) => c.type));
    for (const c of current.status?.conditions ?? []) if (!ours.has(c.type)) (status.conditions ??= []).push(c);
    const mutable = status as Record<string, unknown>;
    for (const [k, v] of Object.entries(current.status ?? {}))
      if (!KUBELET_FIELDS.has(k) && mutable[k] === undefined) mutable[k] = v;
    const patch = podStatusPatch(current.metadata?.uid ?? e.uid, current.status, status);
    // Nothing differs (key order aside): no write, as upstream skips a patch that is only the uid.
    if (patch.status) await this.#writer.patchPodStatus(e.namespace, e.name, patch);
    this.#written.set(e.uid, version);
    this.#notify(e.uid);
  }
}
