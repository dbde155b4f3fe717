/**
 * A work queue of keys, after client-go's `workqueue.RateLimitingInterface`, used by controllers and the
 * scheduler: an informer `add`s the key of whatever changed and N workers `get` keys, reconcile, then `done`.
 *
 * Its guarantees (the reason to use it rather than an array):
 * - a key is queued at most once (`add` while queued is a no-op: intermediate states merge);
 * - a key is processed by at most one worker at a time: `add` while it is being processed marks it dirty and
 *   re-queues it when the worker calls `done`, so the change is not lost;
 * - `addAfter` delays an add (the earliest pending time per key wins), `addRateLimited` delays it by the key's
 *   exponential back-off (base × 2^failures up to max, as `ItemExponentialFailureRateLimiter`), and `forget`
 *   resets that back-off after a success.
 *
 *   add ──▶ [dirty, queued] ──get──▶ [processing] ──done──▶ gone, or queued again if re-added meanwhile
 *
 * `instrument(metrics)` reports what client-go's queue metrics count (adds, depth, time queued, time worked,
 * retries) to whoever implements `WorkQueueMetrics` (cmd: Prometheus' `workqueue_*`).
 */
import { realClock, type Clock } from './clock.ts';
import { Deferred } from './deferred.ts';

export interface WorkQueueConfig {
  clock?: Clock;
  /** First rate-limited delay (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Largest rate-limited delay (client-go: 1000 s). */
  maxDelayMs?: number;
}

/** What a queue reports, as client-go's workqueue MetricsProvider: one object per named queue. */
export interface WorkQueueMetrics {
  /** A key was queued (`workqueue_adds_total`; the depth is the queue's `length`). */
  added(): void;
  /** A key was handed to a worker after `queuedMs` in the queue. */
  taken(queuedMs: number): void;
  /** A worker finished a key after `workedMs`. */
  finished(workedMs: number): void;
  /** A key was re-added with back-off (`workqueue_retries_total`). */
  retried(): void;
}

interface Waiter<K> {
  resolve: (key: K | undefined) => void;
  cleanup: () => void;
}

export class WorkQueue<K> {
  #clock: Clock;
  #baseDelayMs: number;
  #maxDelayMs: number;
  #queue: K[] = [];
  #head = 0;
  #dirty = new Set<K>();
  #processing = new Set<K>();
  #waiters: Waiter<K>[] = [];
  #delayed = new Map<K, number>();
  #failures = new Map<K, number>();
  #stop = new AbortController();
  #shuttingDown = false;
  #drained: Deferred<void> | undefined;
  #metrics: WorkQueueMetrics | undefined;
  /** When each queued key was queued, and each key in processing was taken (only while instrumented). */
  #queuedAt = new Map<K, number>();
  #takenAt = new Map<K, number>();

  constructor(config: WorkQueueConfig = {}) {
    this.#clock = config.clock ?? realClock;
    this.#baseDelayMs = config.baseDelayMs ?? 5;
    this.#maxDelayMs = config.maxDelayMs ?? 1_000_000;
    if (!(this.#baseDelayMs > 0)) throw new Error(`workqueue baseDelayMs must be > 0, got ${this.#baseDelayMs}`);
    if (!(this.#maxDelayMs >= this.#baseDelayMs))
      throw new Error(`workqueue maxDelayMs (${this.#maxDelayMs}) must be >= baseDelayMs (${this.#baseDelayMs})`);
  }

  /** Reports this queue's adds, depth, waits and work to `metrics` from now on. */
  instrument(metrics: WorkQueueMetrics): void {
    this.#metrics = metrics;
  }

  /** Queues `key` unless it is queued already; a key being processed is queued again after its `done`. */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#metrics?.added();
    if (this.#processing.has(key)) return;
    this.#push(key);
    this.#dispatch();
  }

  #push(key: K): void {
    if (this.#metrics) this.#queuedAt.set(key, this.#clock.now());
    this.#queue.push(key);
  }

  /** Adds `key` after `ms`. While a delayed add is pending, only an earlier time replaces it. */
  addAfter(key: K, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const readyAt = this.#clock.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending !== undefined && pending <= readyAt) return;
    this.#delayed.set(key, readyAt);
    this.#clock.sleep(ms, this.#stop.signal).then(
      () => {
        // A later addAfter with an earlier time owns the key now; this timer only acts if still current.
        if (this.#delayed.get(key) !== readyAt) return;
        this.#delayed.delete(key);
        this.add(key);
      },
      () => {},
    );
  }

  /** Adds `key` after its back-off: base × 2^(failures so far), capped at max. Counts one more failure. */
  addRateLimited(key: K): void {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.#metrics?.retried();
    this.addAfter(key, Math.min(this.#baseDelayMs * 2 ** failures, this.#maxDelayMs));
  }

  /** Clears `key`'s back-off (call after it was processed successfully). Does not remove it from the queue. */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** How many times `key` was rate-limited since its last `forget`. */
  numRequeues(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * The next key, waiting for one if the queue is empty; the caller must call `done(key)` when finished.
   * Resolves `undefined` once the queue is shut down and drained. Rejects with the signal's reason on abort.
   */
  get(signal?: AbortSignal): Promise<K | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#head < this.#queue.length) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise<K | undefined>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter<K> = { resolve, cleanup: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Marks `key` finished; if it was added while processing, it is queued again now. */
  done(key: K): void {
    this.#processing.delete(key);
    const takenAt = this.#takenAt.get(key);
    if (takenAt !== undefined) {
      this.#takenAt.delete(key);
      this.#metrics?.finished(this.#clock.now() - takenAt);
    }
    if (this.#dirty.has(key)) {
      this.#push(key);
      this.#dispatch();
    }
    if (this.#drained && this.#processing.size === 0) {
      const drained = this.#drained;
      this.#drained = undefined;
      drained.resolve();
    }
  }

  /** Stops accepting keys and cancels delayed adds; `get` hands out what is queued, then resolves undefined. */
  shutDown(): void {
    this.#shuttingDown = true;
    this.#stop.abort();
    this.#delayed.clear();
    this.#dispatch();
  }

  /**
   * Shuts down, then resolves once every key handed out has been marked `done` (client-go's
   * ShutDownWithDrain): workers finish what they hold before the component stops.
   */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    while (this.#processing.size > 0 || this.length > 0) {
      this.#drained ??= new Deferred<void>();
      await this.#drained.promise;
    }
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Keys queued and not yet handed out (not counting delayed ones or ones being processed). */
  get length(): number {
    return this.#queue.length - this.#head;
  }

  #take(): K {
    const key = this.#queue[this.#head++]!;
    // Compact now and then so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#dirty.delete(key);
    this.#processing.add(key);
    if (this.#metrics) {
      const now = this.#clock.now();
      const queuedAt = this.#queuedAt.get(key);
      this.#queuedAt.delete(key);
      this.#takenAt.set(key, now);
      this.#metrics.taken(queuedAt === undefined ? 0 : now - queuedAt);
    }
    return key;
  }

  #dispatch(): void {
    while (this.#waiters.length > 0 && this.#head < this.#queue.length) {
      const waiter = this.#waiters.shift()!;
      waiter.cleanup();
      waiter.resolve(this.#take());
    }
    if (this.#shuttingDown && this.#head >= this.#queue.length) {
      for (const waiter of this.#waiters.splice(0)) {
        waiter.cleanup();
        waiter.resolve(undefined);
      }
    }
  }
}
