/**
 * The scheduling queue, after kube-scheduler's PriorityQueue, with its three places a pending pod can be:
 *
 *   add ─▶ activeQ ──pop──▶ (scheduling) ──fails──▶ unschedulable pool ──cluster event──▶ activeQ
 *            ▲                   │                        │                                (or backoffQ
 *            │                   │ error, or a cluster    └──── 5 min without an event ──▶  if still
 *            └── back-off over ◀─┘ event arrived while it was being scheduled ─▶ backoffQ   backing off)
 *
 * - activeQ pops the highest `spec.priority` first, then the pod queued earliest (PrioritySort).
 * - A pod that failed waits out its back-off (1 s doubling per attempt up to 10 s) before it is tried again.
 * - Unschedulable pods wait for a cluster event that might help (node added or changed, pod deleted:
 *   `moveAllToActiveOrBackoff`) or at most 5 minutes.
 * - A cluster event that arrives while a pod is being scheduled sends that pod, if it fails, to the backoffQ
 *   instead of the unschedulable pool, so the event is not lost (the "move request cycle").
 *
 * The queue is owned by the scheduler's loop; informer handlers call add/update/delete/move.
 *
 * activeQ and backoffQ are binary heaps keyed by pod uid (activeQ by priority then queue time, backoffQ by
 * when the back-off ends). One timer, armed for the earliest moment anything is due (a back-off ending or a
 * pod's 5 minutes in the pool), moves pods on; there is no timer or abort listener per pod.
 */
import type { Pod } from '../api/index.ts';
import { realClock, type Clock } from '../machinery/index.ts';
import { Heap } from './heap.ts';

export interface QueuedPodInfo {
  pod: Pod;
  /** When the pod was (re)queued: the PrioritySort tiebreak. */
  timestamp: number;
  /** Scheduling attempts so far (1 after the first pop). */
  attempts: number;
  /** When it was first queued. */
  initialAttemptTimestamp: number;
  /** The scheduling cycle in which it was last popped. */
  cycle: number;
}

export interface SchedulingQueueConfig {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a pod may sit in the unschedulable pool without any event (5 min). */
  maxUnschedulableMs?: number;
}

const uidOf = (pod: Pod) => pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const infoUid = (info: QueuedPodInfo) => uidOf(info.pod);

/** PrioritySort: higher `spec.priority` first, then the pod queued earlier. */
export function activeLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const pa = a.pod.spec?.priority ?? 0;
  const pb = b.pod.spec?.priority ?? 0;
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
}

export class SchedulingQueue {
  readonly #clock: Clock;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxUnschedulableMs: number;
  readonly #active = new Heap<QueuedPodInfo>(activeLess, infoUid);
  /** With each pod, when its back-off ends (computed once, not at every comparison). */
  readonly #backoff = new Heap<{ info: QueuedPodInfo; end: number }>((a, b) => a.end < b.end, (e) => infoUid(e.info));
  /** In the order the pods were put there, which is the order of their timestamps (each set to `now`). */
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  /** The one pending timer: when it fires and how to cancel it. */
  #timer: { due: number; cancel: AbortController } | undefined;
  /** Popped and not yet done: the latest version of each, with whether an event arrived meanwhile. */
  readonly #inFlight = new Map<string, { info: QueuedPodInfo; moved: boolean; deleted: boolean }>();
  #cycle = 0;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(config: SchedulingQueueConfig = {}) {
    this.#clock = config.clock ?? realClock;
    this.#initialBackoffMs = config.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = config.maxBackoffMs ?? 10_000;
    this.#maxUnschedulableMs = config.maxUnschedulableMs ?? 5 * 60_000;
    if (!(this.#initialBackoffMs > 0) || this.#maxBackoffMs < this.#initialBackoffMs) {
      throw new Error(`scheduling queue: bad back-off ${this.#initialBackoffMs}..${this.#maxBackoffMs} ms`);
    }
  }

  /** A new pending pod (or one seen again after a relist). */
  add(pod: Pod): void {
    const uid = uidOf(pod);
    if (this.#inFlight.has(uid)) {
      this.#inFlight.get(uid)!.info.pod = pod;
      return;
    }
    const existing = this.#active.get(uid) ?? this.#backoff.get(uid)?.info ?? this.#unschedulable.get(uid);
    if (existing) {
      existing.pod = pod;
      return;
    }
    const now = this.#clock.now();
    this.#pushActive({ pod, timestamp: now, attempts: 0, initialAttemptTimestamp: now, cycle: 0 });
  }

  /**
   * A pending pod changed. An unschedulable pod is tried again (its spec may fit now: upstream checks
   * for scheduling-relevant changes; any change the informer reports counts here).
   */
  update(pod: Pod): void {
    const uid = uidOf(pod);
    const flight = this.#inFlight.get(uid);
    if (flight) {
      flight.info.pod = pod;
      flight.moved = true;
      return;
    }
    const active = this.#active.get(uid);
    if (active) {
      // The pod's priority may have changed: reposition it.
      active.pod = pod;
      this.#active.push(active);
      return;
    }
    const backingOff = this.#backoff.get(uid)?.info;
    if (backingOff) {
      backingOff.pod = pod;
      return;
    }
    const waiting = this.#unschedulable.get(uid);
    if (waiting) {
      this.#unschedulable.delete(uid);
      waiting.pod = pod;
      this.#requeue(waiting);
      return;
    }
    this.add(pod);
  }

  /** The pod is gone or was bound by someone else: forget it everywhere. */
  delete(pod: Pod): void {
    const uid = uidOf(pod);
    this.#active.delete(uid);
    this.#backoff.delete(uid);
    this.#unschedulable.delete(uid);
    const flight = this.#inFlight.get(uid);
    if (flight) flight.deleted = true;
  }

  /**
   * The next pod to schedule, waiting for one; resolves `undefined` once the queue is closed. The caller
   * must call `done(uid)` (or `addUnschedulable`/`addBackoff`, which imply it) when the attempt ends.
   */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const next = this.#active.pop();
      if (next) {
        const uid = uidOf(next.pod);
        next.attempts++;
        next.cycle = ++this.#cycle;
        this.#inFlight.set(uid, { info: next, moved: false, deleted: false });
        return next;
      }
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          this.#waiters = this.#waiters.filter((w) => w !== wake);
          reject(signal!.reason);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(wake);
      });
    }
  }

  /** The attempt ended with the pod bound (or dropped): forget it. */
  done(uid: string): void {
    this.#inFlight.delete(uid);
  }

  /**
   * The attempt found no node. The pod waits in the unschedulable pool for a cluster event, unless an event
   * arrived while it was being scheduled (then it goes to the backoffQ at once).
   */
  addUnschedulable(info: QueuedPodInfo): void {
    const ended = this.#endAttempt(info);
    if (!ended) return;
    if (ended.moved) {
      this.#pushBackoff(ended.latest);
      return;
    }
    const uid = uidOf(info.pod);
    this.#unschedulable.delete(uid);
    this.#unschedulable.set(uid, ended.latest);
    this.#arm();
  }

  /** The attempt failed with an error (API, bind): retry after the pod's back-off. */
  addBackoff(info: QueuedPodInfo): void {
    const ended = this.#endAttempt(info);
    if (ended) this.#pushBackoff(ended.latest);
  }

  /**
   * Ends the pod's in-flight attempt: its newest info (updates that arrived meanwhile) stamped now, and
   * whether a cluster event came meanwhile; undefined when the pod was deleted meanwhile or the queue closed.
   */
  #endAttempt(info: QueuedPodInfo): { latest: QueuedPodInfo; moved: boolean } | undefined {
    const uid = uidOf(info.pod);
    const flight = this.#inFlight.get(uid);
    this.#inFlight.delete(uid);
    if (flight?.deleted || this.#closed) return undefined;
    const latest = flight?.info ?? info;
    latest.timestamp = this.#clock.now();
    return { latest, moved: flight?.moved ?? false };
  }

  /** A cluster event that may make unschedulable pods fit (node added/changed, pod deleted). */
  moveAllToActiveOrBackoff(): void {
    for (const flight of this.#inFlight.values()) flight.moved = true;
    const waiting = [...this.#unschedulable.values()];
    this.#unschedulable.clear();
    for (const info of waiting) this.#requeue(info);
    this.#arm();
  }

  /** Stops timers and wakes a waiting `pop` with `undefined`. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel.abort();
    this.#timer = undefined;
    this.#wake();
  }

  /** Counts for tests and logs. */
  get stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size, inFlight: this.#inFlight.size };
  }

  /** Back-off of a pod after `attempts` attempts: initial × 2^(attempts−1), capped. */
  backoffMs(attempts: number): number {
    return Math.min(this.#initialBackoffMs * 2 ** Math.max(0, attempts - 1), this.#maxBackoffMs);
  }

  #requeue(info: QueuedPodInfo): void {
    if (info.attempts > 0 && this.#backoffEnd(info) > this.#clock.now()) this.#pushBackoff(info);
    else this.#pushActive(info);
  }

  #backoffEnd(info: QueuedPodInfo): number {
    return info.timestamp + this.backoffMs(info.attempts);
  }

  #pushActive(info: QueuedPodInfo): void {
    this.#active.push(info);
    this.#wake();
  }

  #pushBackoff(info: QueuedPodInfo): void {
    this.#backoff.push({ info, end: this.#backoffEnd(info) });
    this.#arm();
  }

  /** Moves every pod whose back-off is over to activeQ, and every pod 5 minutes in the pool back to a queue. */
  #flush(): void {
    const now = this.#clock.now();
    for (let next = this.#backoff.peek(); next && next.end <= now; next = this.#backoff.peek()) {
      this.#pushActive(this.#backoff.pop()!.info);
    }
    for (const [uid, info] of this.#unschedulable) {
      if (info.timestamp + this.#maxUnschedulableMs > now) break;
      this.#unschedulable.delete(uid);
      this.#requeue(info);
    }
  }

  /** Makes sure the one timer fires when the next thing is due (or not at all when nothing waits). */
  #arm(): void {
    if (this.#closed) return;
    const nextBackoff = this.#backoff.peek();
    const oldest = this.#unschedulable.values().next();
    let due = nextBackoff ? nextBackoff.end : Infinity;
    if (!oldest.done) due = Math.min(due, oldest.value.timestamp + this.#maxUnschedulableMs);
    if (this.#timer && this.#timer.due <= due && due !== Infinity) return;
    this.#timer?.cancel.abort();
    this.#timer = undefined;
    if (due === Infinity) return;
    const timer = { due, cancel: new AbortController() };
    this.#timer = timer;
    this.#clock.sleep(Math.max(0, due - this.#clock.now()), timer.cancel.signal).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        this.#flush();
        this.#arm();
      },
      () => {},
    );
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}
