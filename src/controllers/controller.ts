/**
 * The reconcile harness every controller shares: informers say *which* object may need work (its key goes
 * into a work queue), workers take keys and call `reconcile(key, signal)`, which reads the informers' caches
 * for desired and observed state and acts through the API. A reconcile that throws is retried with the
 * queue's exponential back-off; one that succeeds is forgotten. Level-triggered: reconcile must be safe to
 * run at any time, any number of times, for any key (also for objects that no longer exist).
 *
 *   informer events ─▶ enqueue(key) ─▶ WorkQueue (deduplicated) ─▶ worker ─▶ reconcile(key)
 *                                             ▲                                │ throws
 *                                             └────────── addRateLimited ◀─────┘
 */
import { createLogger, realClock, WorkQueue, type Clock, type Logger } from '../machinery/index.ts';
import type { EventRecorder, Informer, KubeObjectLike } from '../client/index.ts';

export interface ReconcileResult {
  /** Reconcile this key again after this long even if nothing changes (e.g. a pending expiry). */
  requeueAfterMs?: number;
}

export interface ControllerConfig {
  /** Used in logs: `replicaset-controller`. */
  name: string;
  reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult | void>;
  /** The informers whose caches reconcile reads; run and awaited (synced) before the workers start. */
  informers: Informer<KubeObjectLike>[];
  /** Concurrent workers (different keys only: the queue never hands one key to two workers). */
  workers?: number;
  clock?: Clock;
  logger?: Logger;
  /** Back-off of failing keys: 5 ms doubling up to this (client-go's default max is 1000 s; ours 5 min). */
  maxRetryDelayMs?: number;
  /**
   * The controller's event recorder, closed when run() ends: events not yet written are dropped, as
   * client-go's broadcaster does on shutdown, and run() returns once the writes in flight are done.
   */
  recorder?: Pick<EventRecorder, 'close' | 'flush'>;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  readonly #config: ControllerConfig;
  readonly #log: Logger;

  constructor(config: ControllerConfig) {
    if (!config.name) throw new Error('controller: name is required');
    if (config.workers !== undefined && !(config.workers >= 1)) throw new Error(`controller ${config.name}: workers must be >= 1`);
    this.name = config.name;
    this.#config = config;
    this.#log = config.logger ?? createLogger(config.name);
    this.queue = new WorkQueue<string>({ clock: config.clock ?? realClock, maxDelayMs: config.maxRetryDelayMs ?? 300_000 });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Runs informers and workers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const informers = this.#config.informers.map((i) => i.run(signal));
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    try {
      await Promise.all(this.#config.informers.map((i) => i.synced));
      this.#log.info('caches synced; starting workers');
      const workers = Array.from({ length: this.#config.workers ?? 1 }, () => this.#worker(signal));
      await Promise.all(workers);
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      this.queue.shutDown();
      await Promise.allSettled(informers);
      this.#config.recorder?.close();
      await this.#config.recorder?.flush();
    }
  }

  async #worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get(signal).catch(() => undefined);
      if (key === undefined) return;
      try {
        const result = await this.#config.reconcile(key, signal);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        if (!signal.aborted) {
          this.#log.warn({ key, err: (err as Error).message, retries: this.queue.numRequeues(key) }, 'reconcile failed; retrying');
          this.queue.addRateLimited(key);
        }
      } finally {
        this.queue.done(key);
      }
    }
  }
}
