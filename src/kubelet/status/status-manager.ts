/**
 * StatusManager: the single writer of pods/status on this node (upstream status.Manager). Pod workers call
 * `setPodStatus` as often as they like; each call stores the status with a per-pod version, marks the pod
 * dirty and rings a doorbell. One `run(signal)` loop hands dirty pods to writes as they come, writing only
 * statuses that changed since the last write, and every `syncPeriodMs` (10 s) compares every cached status
 * with the API server's and repairs what differs (level triggering). A terminal phase (Succeeded/Failed) is
 * never moved back, whether it is in the cache or already on the server.
 *
 *   setPodStatus ──▶ cache[uid] = {status, version+1}; dirty.add(uid); ring
 *   run: wait(ring | period) ──▶ each dirty uid not being written: write it now (up to `concurrency` at once);
 *        a write that ends rings again, so a pod set dirty meanwhile is written next without waiting for
 *        the other pods' writes (upstream writes one pod after another; a pass that waited for its slowest
 *        write held every pod's next status, Ready included, behind it during a burst)
 *   write: base (the pod our last PATCH returned, else GET) → merge → PATCH status → written[uid]=version
 *
 * The write is a strategic merge patch from the base's status to the merged one, with the pod's uid as a
 * precondition (pod-status-patch.ts, upstream statusutil.PatchPodStatus): fields others write concurrently
 * are never overwritten and there is no resourceVersion to conflict on. The base is what the server returned
 * for our last PATCH of the pod, or for its first write the pod as the kubelet's watch delivered it, so each
 * write costs one request, not a GET and a PATCH (upstream GETs every time): a patch computed from an older
 * base still names only what we change, so what others wrote since stays. A patch from a kept base that
 * fails is tried once more from a GET; the periodic pass always GETs, so a kubelet-owned field changed behind
 * our back (which a patch from an older base would not name) is repaired within a period.
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
  /** Last version written per pod; only the writes touch it. */
  #written = new Map<string, number>();
  #dirty = new Set<string>();
  /**
   * The pod as the server returned it from our last PATCH (uid, mirror annotation and status only): the base
   * of the pod's next patch instead of a GET. Dropped when a write fails.
   */
  #stored = new Map<string, Pod>();
  /** The write under way per pod: a pod's writes run one after another, in order. */
  #writing = new Map<string, Promise<void>>();
  /** Dirty pods the loop passed over because a write of theirs was under way: rung for when it ends. */
  #deferred = new Set<string>();
  /** Whether dirty pods were left for want of a free write: rung for when one ends. */
  #full = false;
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
    // A pod as the API server sent it (it has a resourceVersion; a static pod from a file has none, and its
    // status goes to a mirror pod of another uid) is the base of its first patch: no GET before it either.
    if (!this.#stored.has(uid) && pod.metadata?.resourceVersion && pod.metadata.uid)
      this.#stored.set(uid, { metadata: { uid: pod.metadata.uid }, status: structuredClone(pod.status ?? {}) } as Pod);
    this.#dirty.add(uid);
    this.#bell.ring();
  }

  /** Forgets a pod (deleted from the API, or its worker finished). */
  removePod(uid: string): void {
    this.#cache.delete(uid);
    this.#dirty.delete(uid);
    this.#written.delete(uid);
    this.#stored.delete(uid);
    this.#deferred.delete(uid);
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

  /** The single writer loop. Resolves when `signal` aborts, once the writes under way have ended. */
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
        this.#startDirtyWrites();
      }
    }
    await Promise.allSettled([...this.#writing.values()]);
  }

  /**
   * Starts a write for each dirty pod that has none under way, while fewer than `concurrency` run. A pod
   * being written is passed over and rung for when its write ends; a pod whose write failed stays dirty and
   * is retried at the next ring or the periodic pass (not at once, so a down API server is not hammered).
   */
  #startDirtyWrites(): void {
    for (const uid of [...this.#dirty]) {
      if (this.#writing.size >= this.#concurrency) {
        this.#full = true;
        return;
      }
      if (this.#writing.has(uid)) {
        this.#deferred.add(uid);
        continue;
      }
      this.#dirty.delete(uid);
      this.#write(uid, false).catch(() => {});
    }
  }

  /**
   * Writes one pod (from a fresh GET when `fresh`), after any write of it under way. Resolves when written;
   * a failure leaves the pod dirty, reported through onError.
   */
  #write(uid: string, fresh: boolean): Promise<void> {
    const before = this.#writing.get(uid);
    const run = async () => {
      if (before) await before;
      this.#dirty.delete(uid);
      const e = this.#cache.get(uid);
      if (!e || (!fresh && this.#written.get(uid) === e.version)) return;
      try {
        await this.#syncPod(e, fresh);
      } catch (err) {
        this.#stored.delete(uid);
        this.#dirty.add(uid);
        this.#onError?.(err, e);
      }
    };
    const p: Promise<void> = run().finally(() => {
      if (this.#writing.get(uid) !== p) return;
      this.#writing.delete(uid);
      // Pods passed over (this one set dirty meanwhile, or others beyond the concurrency) go next.
      const again = this.#deferred.delete(uid);
      if (again || this.#full) {
        this.#full = false;
        this.#bell.ring();
      }
    });
    this.#writing.set(uid, p);
    return p;
  }

  /**
   * One pass: the dirty pods, or every cached pod when `all` (the periodic repair, from a fresh GET of each),
   * up to `concurrency` at a time; resolves when they are written. A pod's writes never race: each follows
   * the one under way.
   */
  async syncBatch(all: boolean): Promise<void> {
    const uids = all ? [...this.#cache.keys()] : [...this.#dirty];
    let next = 0;
    const worker = async () => {
      while (next < uids.length) await this.#write(uids[next++]!, all);
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, uids.length) }, worker));
  }

  /**
   * Writes the pod's status: patched from the kept base unless `fresh`; when that patch fails (the pod gone
   * or replaced, the server's status moved under a uid we did not expect, or any error), once more from a GET.
   */
  async #syncPod(e: Entry, fresh: boolean): Promise<void> {
    const base = fresh ? undefined : this.#stored.get(e.uid);
    if (base) {
      try {
        return await this.#patchFrom(e, base);
      } catch {
        this.#stored.delete(e.uid);
      }
    }
    await this.#patchFrom(e, await this.#writer.getPod(e.namespace, e.name));
  }

  async #patchFrom(e: Entry, current: Pod | undefined): Promise<void> {
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
    const stored = patch.status ? await this.#writer.patchPodStatus(e.namespace, e.name, patch) : current;
    // Kept lean (a node holds one per pod): what the next write's checks and patch read.
    if (this.#cache.has(e.uid))
      this.#stored.set(e.uid, {
        metadata: { uid: stored.metadata?.uid, annotations: mirrorOf ? { 'kubernetes.io/config.mirror': mirrorOf } : undefined },
        status: stored.status,
      } as Pod);
    this.#written.set(e.uid, version);
    this.#notify(e.uid);
  }
}
