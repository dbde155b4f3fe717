/**
 * The watch cache of one resource: a single store watch feeds an in-memory copy of every object plus a ring
 * buffer of recent events, and any number of API watchers are served from it (the real apiserver's cacher).
 *
 *   store ──watch(prefix)──▶ WatchCache ──┬─▶ current objects (lists with resourceVersion=0)
 *                                         ├─▶ ring of the last `capacity` events
 *                                         └─▶ subscribers (each HTTP watch), fed in revision order
 *
 * A watcher asks for events after a resourceVersion. Everything after `horizon` is in the ring, so a request
 * from `rv >= horizon` is replayed from the ring and then followed live; an older one gets `TooOldError` (the
 * HTTP layer answers 410 Expired) and the client lists again. `rv = 0` means "the current state, then changes":
 * synthetic ADDED events for every object. When the store watch breaks (compaction, a store error) the cache
 * lists again, ends every subscriber (clients re-watch) and moves its horizon to the new list.
 */
import type { Store, WatchEvent as StoreWatchEvent, KeyValue } from '../storage/index.ts';
import { isStoreError } from '../storage/index.ts';
import type { KubeObject } from '../api/index.ts';
import { Deferred, type Logger } from '../machinery/index.ts';
import { StringInterner } from './string-interner.ts';
import { compactManagedFields } from './managed-fields-text.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CachedEvent {
  type: EventType;
  object: KubeObject;
  /** The object before this change (MODIFIED, DELETED), so filtered watchers can see an object leave their view. */
  prevObject?: KubeObject;
  rv: number;
}

const HEADS: Record<EventType, Buffer> = {
  ADDED: Buffer.from('{"type":"ADDED","object":'),
  MODIFIED: Buffer.from('{"type":"MODIFIED","object":'),
  DELETED: Buffer.from('{"type":"DELETED","object":'),
};
const LINE_END = Buffer.from('}\n');

/**
 * The parts of the line `{"type":type,"object":…}\n`: constant heads and tail around the object's JSON, which
 * the registry makes once per object and every watcher shares (upstream's cachingObject). Nothing per event
 * is kept: a line cached per event was one more copy of every object in the ring.
 */
export function eventParts(type: EventType, objectJson: string | Buffer): [Buffer, string | Buffer, Buffer] {
  return [HEADS[type], objectJson, LINE_END];
}

export class TooOldError extends Error {
  readonly requested: number;
  readonly oldest: number;
  constructor(requested: number, oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.name = 'TooOldError';
    this.requested = requested;
    this.oldest = oldest;
  }
}

export interface Subscriber {
  /** Called with events in revision order; must not throw. */
  deliver(events: CachedEvent[]): void;
  /** The cache restarted (or stopped): the subscriber's stream ends and the client re-watches. */
  end(): void;
}

export interface WatchCacheConfig {
  store: Store;
  /** Key prefix, ending with '/'. */
  prefix: string;
  /** Turns a stored value into an object (sets metadata.resourceVersion from the mod revision). */
  decode: (kv: KeyValue) => KubeObject;
  /** Events kept for replay. */
  capacity?: number;
  logger?: Logger;
}

export class WatchCache {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #decode: (kv: KeyValue) => KubeObject;
  readonly #capacity: number;
  readonly #logger: Logger | undefined;
  #objects = new Map<string, KubeObject>();
  #ring: CachedEvent[] = [];
  #ringStart = 0; // index of the oldest event in #ring (a circular buffer once full)
  #horizon = 0;
  #revision = 0;
  #lastChange = 0;
  #subscribers = new Set<Subscriber>();
  #ready = new Deferred<void>();
  #waiters: { rv: number; resolve: () => void }[] = [];
  /** Repeated string values (images, phases, condition types, …) kept once across the cached objects. */
  readonly #strings = new StringInterner();
  /** Managed fields' texts (managed-fields-text.ts), the same for the objects of one template and manager. */
  readonly #fieldsTexts = new StringInterner(10_000, Infinity);

  constructor(config: WatchCacheConfig) {
    this.#store = config.store;
    this.#prefix = config.prefix;
    this.#decode = config.decode;
    this.#capacity = config.capacity ?? 10_000;
    this.#logger = config.logger;
  }

  /** Resolves once the first list is loaded. */
  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  get isReady(): boolean {
    return this.#ready.settled;
  }

  /** The newest revision the cache has seen for this resource. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * The revision of the newest change the cache applied (or of its last list). Its objects are the resource's
   * state at every revision from here to `revision`: what a paged list pinned to such a revision reads.
   */
  get lastChange(): number {
    return this.#lastChange;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Runs until `signal` aborts: list, then follow the store watch; on any break list again. */
  async run(signal: AbortSignal): Promise<void> {
    let delay = 100;
    while (!signal.aborted) {
      try {
        const listed = await this.#store.list(this.#prefix);
        this.#reset(listed.kvs, listed.revision);
        this.#ready.resolve();
        delay = 100;
        for await (const batch of this.#store.watch(this.#prefix, { afterRevision: listed.revision, signal, prevKv: true })) {
          this.#apply(batch);
        }
      } catch (err) {
        if (signal.aborted) break;
        if (isStoreError(err, 'Closed')) break;
        this.#logger?.warn({ err: String(err), prefix: this.#prefix }, 'watch cache: store watch broke; listing again');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
    for (const s of this.#subscribers) s.end();
    this.#subscribers.clear();
  }

  #reset(kvs: KeyValue[], revision: number): void {
    const restarting = this.#ready.settled;
    this.#objects = new Map(kvs.map((kv) => [kv.key, this.#keep(this.#decode(kv))]));
    this.#sortedKeys = undefined;
    this.#ring = [];
    this.#ringStart = 0;
    this.#horizon = revision;
    this.#lastChange = revision;
    this.#setRevision(revision);
    if (restarting) {
      for (const s of this.#subscribers) s.end();
      this.#subscribers.clear();
    }
  }

  /** A decoded object as the cache keeps it: its short strings shared, its managed fields as shared texts. */
  #keep(object: KubeObject): KubeObject {
    // Managed fields first: the strings walk then skips their (frozen) entries instead of the trees they drop.
    compactManagedFields(object, (text) => this.#fieldsTexts.string(text), (value) => this.#strings.string(value));
    this.#strings.values(object);
    return object;
  }

  #apply(batch: StoreWatchEvent[]): void {
    const events: CachedEvent[] = [];
    for (const e of batch) {
      const prev = this.#objects.get(e.kv.key);
      let ev: CachedEvent;
      if (e.type === 'put') {
        const object = this.#keep(this.#decode(e.kv));
        if (!prev) this.#sortedKeys = undefined;
        this.#objects.set(e.kv.key, object);
        ev = prev ? { type: 'MODIFIED', object, prevObject: prev, rv: e.kv.modRevision } : { type: 'ADDED', object, rv: e.kv.modRevision };
      } else {
        this.#objects.delete(e.kv.key);
        this.#sortedKeys = undefined;
        const object = this.#keep(this.#decode(e.kv));
        ev = { type: 'DELETED', object, prevObject: prev ?? object, rv: e.kv.modRevision };
      }
      events.push(ev);
      this.#push(ev);
    }
    if (events.length === 0) return;
    this.#lastChange = events[events.length - 1]!.rv;
    this.#setRevision(this.#lastChange);
    for (const s of this.#subscribers) s.deliver(events);
  }

  #push(ev: CachedEvent): void {
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(ev);
      return;
    }
    const evicted = this.#ring[this.#ringStart]!;
    this.#ring[this.#ringStart] = ev;
    this.#ringStart = (this.#ringStart + 1) % this.#capacity;
    this.#horizon = evicted.rv;
  }

  #setRevision(rv: number): void {
    this.#revision = Math.max(this.#revision, rv);
    if (this.#waiters.length) {
      const due = this.#waiters.filter((w) => w.rv <= this.#revision);
      this.#waiters = this.#waiters.filter((w) => w.rv > this.#revision);
      for (const w of due) w.resolve();
    }
  }

  /** Resolves when the cache has seen revision `rv` (or after `timeoutMs`, whichever first). */
  waitFor(rv: number, timeoutMs: number): Promise<void> {
    if (rv <= this.#revision) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiter = { rv, resolve: done };
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(waiter);
    });
  }

  /** Every object now, and the revision they reflect. */
  list(): { items: KubeObject[]; revision: number } {
    return { items: [...this.#objects.values()], revision: this.#revision };
  }

  #sortedKeys: string[] | undefined;

  /**
   * The objects whose keys start with `prefix`, in key order (a list's order), and the revision they reflect.
   * The sorted key list is kept until the next change, so repeated lists do not sort again.
   */
  listSorted(prefix = ''): { items: KubeObject[]; revision: number } {
    const keys = (this.#sortedKeys ??= [...this.#objects.keys()].sort());
    let lo = 0;
    if (prefix) {
      // First key >= prefix, then every key that starts with it.
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid]! < prefix) lo = mid + 1;
        else hi = mid;
      }
    }
    const items: KubeObject[] = [];
    for (let i = lo; i < keys.length && keys[i]!.startsWith(prefix); i++) items.push(this.#objects.get(keys[i]!)!);
    return { items, revision: this.#revision };
  }

  /**
   * One page of a list: up to `limit` objects that pass `filter`, of the keys under `prefix` after `startAfter`
   * (or from the first), in key order; `lastKey` is the last one taken and `more` says keys remain after it
   * (the store's paging, without building the whole list).
   */
  page(prefix: string, startAfter: string | undefined, limit: number, filter?: (o: KubeObject) => boolean): { items: KubeObject[]; lastKey?: string; more: boolean } {
    const keys = (this.#sortedKeys ??= [...this.#objects.keys()].sort());
    const from = startAfter ?? prefix;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < from || (startAfter !== undefined && keys[mid] === startAfter)) lo = mid + 1;
      else hi = mid;
    }
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let i = lo;
    for (; i < keys.length && keys[i]!.startsWith(prefix) && items.length < limit; i++) {
      const obj = this.#objects.get(keys[i]!)!;
      if (filter && !filter(obj)) continue;
      items.push(obj);
      lastKey = keys[i];
    }
    return { items, lastKey, more: items.length === limit && i < keys.length && keys[i]!.startsWith(prefix) };
  }

  get(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  /** Events in the ring, oldest first. */
  #events(): CachedEvent[] {
    return this.#ringStart === 0 ? this.#ring : [...this.#ring.slice(this.#ringStart), ...this.#ring.slice(0, this.#ringStart)];
  }

  /**
   * Subscribes to changes after `fromRv` (0: the current objects as ADDED first). Returns the backlog to send
   * before live events; live events arrive through `subscriber.deliver` from the next store batch on.
   * Throws TooOldError when `fromRv` is older than the ring holds.
   */
  subscribe(fromRv: number, subscriber: Subscriber): { backlog: CachedEvent[]; unsubscribe: () => void } {
    let backlog: CachedEvent[];
    if (fromRv === 0) {
      backlog = [...this.#objects.values()].map((object) => ({ type: 'ADDED' as const, object, rv: Number(object.metadata?.resourceVersion ?? 0) }));
    } else {
      if (fromRv < this.#horizon) throw new TooOldError(fromRv, this.#horizon);
      backlog = this.#events().filter((e) => e.rv > fromRv);
    }
    this.#subscribers.add(subscriber);
    return { backlog, unsubscribe: () => this.#subscribers.delete(subscriber) };
  }
}
