/**
 * `Informer<T>`: a list+watch cache of one resource, client-go's reflector + indexer + shared informer in one
 * small class. It lists, then watches from the list's resourceVersion, keeps the objects by `ns/name`, and
 * tells handlers what was added, updated and deleted. Watches are hints (STYLE.md §5): on a 410 it lists
 * again and diffs the fresh list against the cache, so handlers see every object's latest state even when
 * events were lost.
 *
 * Inside `kubeling server` a client may carry in-process reads (in-process.ts): the informer then lists and
 * watches through the API server of its own process and holds the server's cached objects, frozen, instead of
 * a decoded copy of each.
 *
 *   run ─▶ list ─▶ replace(cache) ─▶ synced ─▶ watch(rv) ─▶ events ─▶ cache + handlers
 *            ▲                                   │ stream ends: watch again from the last rv
 *            └── 410 Gone, or an error (after back-off 1 s → 30 s) ◀─┘
 */
import { createLogger, Deferred, jitter, realClock, type Clock, type Logger } from '../machinery/index.ts';
import { isGone } from './errors.ts';
import type { KubeObjectLike, ObjectList, ResourceClient } from './resource.ts';
import type { WatchEvent } from './watch.ts';

export interface InformerConfig {
  labelSelector?: string;
  fieldSelector?: string;
  /** Every this often, handlers get `update(obj, obj)` for every cached object (0 = never, the default). */
  resyncPeriodMs?: number;
  /** First and largest delay before listing again after an error. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  clock?: Clock;
  logger?: Logger;
  /**
   * Several components share this informer (SharedInformers): `run` may be called once by each of them, the
   * list+watch runs from the first call until the last caller's signal aborts, and a handler added after the
   * first list gets an add for every cached object at once, as client-go's AddEventHandler on a started
   * informer does.
   */
  shared?: boolean;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects (client-go's). */
export function objectKey(obj: KubeObjectLike): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export class Informer<T extends KubeObjectLike> {
  readonly #resource: ResourceClient<T>;
  readonly #config: InformerConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cache = new Map<string, T>();
  readonly #synced = new Deferred<void>();
  readonly #onAdd: AddHandler<T>[] = [];
  readonly #onUpdate: UpdateHandler<T>[] = [];
  readonly #onDelete: DeleteHandler<T>[] = [];
  #resourceVersion = '';
  #running = false;
  /** Shared informers: the callers of `run` whose signals have not aborted, and the loops they keep going. */
  #owners = 0;
  #sharedRun: { stop: AbortController; done: Promise<void> } | undefined;

  constructor(resource: ResourceClient<T>, config: InformerConfig = {}) {
    this.#resource = resource;
    this.#config = config;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger(`informer/${resource.resource.plural}`);
    if (config.resyncPeriodMs !== undefined && config.resyncPeriodMs < 0) {
      throw new Error(`informer: resyncPeriodMs must be >= 0, got ${config.resyncPeriodMs}`);
    }
  }

  /** Resolves once the first list is in the cache (and its add handlers ran). */
  get synced(): Promise<void> {
    return this.#synced.promise;
  }

  get hasSynced(): boolean {
    return this.#synced.settled;
  }

  /** The resourceVersion of the last list or event seen. */
  get lastSyncResourceVersion(): string {
    return this.#resourceVersion;
  }

  onAdd(fn: AddHandler<T>): this {
    this.#onAdd.push(fn);
    if (this.#config.shared && this.#synced.settled) for (const obj of this.#cache.values()) this.#call(() => fn(obj));
    return this;
  }
  onUpdate(fn: UpdateHandler<T>): this {
    this.#onUpdate.push(fn);
    return this;
  }
  onDelete(fn: DeleteHandler<T>): this {
    this.#onDelete.push(fn);
    return this;
  }

  /**
   * The cached object with key `ns/name` (or `name`). Read-only: it is the cache's copy, shared with every
   * handler, and with in-process reads the API server's own object (frozen: writing to it throws).
   */
  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  /** Every cached object (read-only copies from the cache). */
  list(): T[] {
    return [...this.#cache.values()];
  }

  /** Lists and watches until `signal` aborts; resolves then. Call once (a shared informer: once per owner). */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#config.shared) return this.#runShared(signal);
    if (this.#running) throw new Error('informer: run called twice');
    this.#running = true;
    await this.#runLoops(signal);
  }

  /** One owner's run of a shared informer: joins the running loops (or starts them) and leaves when `signal` aborts. */
  async #runShared(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.#owners++;
    if (!this.#sharedRun) {
      const stop = new AbortController();
      this.#sharedRun = { stop, done: this.#runLoops(stop.signal) };
    }
    const run = this.#sharedRun;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    if (--this.#owners > 0) return;
    this.#sharedRun = undefined;
    run.stop.abort(signal.reason);
    await run.done;
  }

  async #runLoops(signal: AbortSignal): Promise<void> {
    const loops = [this.#listAndWatch(signal)];
    if (this.#config.resyncPeriodMs) loops.push(this.#resyncLoop(this.#config.resyncPeriodMs, signal));
    await Promise.all(loops);
    // Stopped before the first list finished: waiters on `synced` must not hang.
    if (!this.#synced.settled) this.#synced.reject(signal.reason ?? new Error('informer stopped'));
  }

  async #listAndWatch(signal: AbortSignal): Promise<void> {
    const initial = this.#config.backoffInitialMs ?? 1000;
    const max = this.#config.backoffMaxMs ?? 30_000;
    let failures = 0;
    let needList = true;
    const local = this.#resource.inProcess;
    while (!signal.aborted) {
      let sawEvent = false;
      try {
        if (needList) {
          const selectors = { labelSelector: this.#config.labelSelector, fieldSelector: this.#config.fieldSelector };
          // In `kubeling server`, the API server's own (frozen) objects rather than a decoded copy of each.
          const list = local
            ? (await local.list({ resource: this.#resource.resource, namespace: this.#resource.namespace, ...selectors, signal })) as ObjectList<T>
            : await this.#resource.listAll({ ...selectors, signal });
          this.#replace(list.items);
          this.#resourceVersion = list.metadata.resourceVersion ?? '';
          needList = false;
          this.#synced.resolve();
        }
        // Servers end watches after timeoutSeconds; a spread of 5–10 min keeps many informers from
        // reconnecting in step (client-go's minWatchTimeout × (1 + rand)).
        const watchOptions = {
          resourceVersion: this.#resourceVersion,
          labelSelector: this.#config.labelSelector,
          fieldSelector: this.#config.fieldSelector,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.floor(jitter(300, 1)),
        };
        const stream = local
          ? (local.watch({ resource: this.#resource.resource, namespace: this.#resource.namespace, ...watchOptions, signal }) as AsyncIterable<WatchEvent<T>>)
          : this.#resource.watch(watchOptions, signal);
        for await (const ev of stream) {
          sawEvent = true;
          failures = 0;
          this.#apply(ev.type, ev.object);
        }
        if (signal.aborted) break;
        if (sawEvent) continue;
        // A stream that ended without a single event may be a server closing at once; don't spin on it.
        failures++;
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          // The rv is compacted away: list again now, as client-go's reflector does.
          this.#log.debug({ err }, 'watch expired; listing again');
          needList = true;
          continue;
        }
        this.#log.warn({ err: (err as Error).message }, 'list/watch failed; retrying');
        failures++;
        needList = true;
      }
      const delay = Math.min(initial * 2 ** Math.max(0, failures - 1), max);
      try {
        await this.#clock.sleep(jitter(delay, 0.2), signal);
      } catch {
        break;
      }
    }
  }

  /** Puts a fresh list in place of the cache, telling handlers the difference. */
  #replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.#cache.get(key);
      this.#cache.set(key, obj);
      if (!old) this.#emitAdd(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#emitUpdate(old, obj);
    }
    for (const [key, old] of this.#cache) {
      if (seen.has(key)) continue;
      this.#cache.delete(key);
      this.#emitDelete(old);
    }
  }

  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: T): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    const key = objectKey(obj);
    const old = this.#cache.get(key);
    if (type === 'DELETED') {
      this.#cache.delete(key);
      this.#emitDelete(obj);
      return;
    }
    this.#cache.set(key, obj);
    if (old) this.#emitUpdate(old, obj);
    else this.#emitAdd(obj);
  }

  async #resyncLoop(periodMs: number, signal: AbortSignal): Promise<void> {
    try {
      await this.#synced.promise;
      while (!signal.aborted) {
        await this.#clock.sleep(periodMs, signal);
        for (const obj of this.#cache.values()) this.#emitUpdate(obj, obj);
      }
    } catch {
      // aborted
    }
  }

  // Handlers are the caller's code: one that throws must not stop the informer or the other handlers.
  #emitAdd(obj: T): void {
    for (const fn of this.#onAdd) this.#call(() => fn(obj));
  }
  #emitUpdate(old: T, obj: T): void {
    for (const fn of this.#onUpdate) this.#call(() => fn(old, obj));
  }
  #emitDelete(obj: T): void {
    for (const fn of this.#onDelete) this.#call(() => fn(obj));
  }
  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, 'informer handler threw');
    }
  }
}
