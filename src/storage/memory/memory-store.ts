/**
 * MemoryStore: the Store contract held in process memory, for unit tests and `kubeling server --storage memory`.
 * Each key keeps its versions (oldest first, `undefined` marks a delete); a sorted key array serves prefix
 * lists; a log of events in revision order serves watch replays. History is bounded: after every
 * `keepRevisions / 10` writes it compacts to the newest `keepRevisions` revisions, so memory tracks the live
 * data, not the write count. Like etcd, an empty store is at revision 1.
 */
import { StoreError } from '../errors.ts';
import type { CasResult, KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from '../store.ts';
import { WatchHub } from '../watch-hub.ts';

export interface MemoryStoreConfig {
  /** Revisions of history kept for old reads and watches (default 10,000). */
  keepRevisions?: number;
  /** Undelivered events a slow watcher may hold before it is ended with 'Compacted'. */
  maxPendingEvents?: number;
}

interface Version {
  rev: number;
  kv: KeyValue | undefined;
}

export class MemoryStore implements Store {
  #rev = 1;
  #compacted = 0;
  #keepRevisions: number;
  #versions = new Map<string, Version[]>();
  /** Keys with versions, sorted; may hold keys compaction removed since (skipped and dropped on merge). */
  #sorted: string[] = [];
  /** Keys added since the last merge into #sorted: a create costs O(1), the next list pays the sort. */
  #unsorted: string[] = [];
  /** Events with revision > #compacted, in revision order, from #logHead on. */
  #log: WatchEvent[] = [];
  #logHead = 0;
  #hub: WatchHub;
  #closed = false;

  constructor(config: MemoryStoreConfig = {}) {
    this.#keepRevisions = config.keepRevisions ?? 10_000;
    if (!(this.#keepRevisions >= 1)) throw new Error(`keepRevisions must be >= 1, got ${config.keepRevisions}`);
    this.#hub = new WatchHub(
      {
        readHistory: (prefix, after, upto, limit) => this.#readHistory(prefix, after, upto, limit),
        currentRevision: () => this.#rev,
      },
      { maxPending: config.maxPendingEvents },
    );
  }

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    this.#check(key);
    const at = this.#readRevision(key, options.revision);
    const versions = this.#versions.get(key);
    return versions && versionAt(versions, at);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#check(prefix);
    const at = this.#readRevision(prefix, options.revision);
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const kvs: KeyValue[] = [];
    let more = false;
    const from = options.startAfter !== undefined && options.startAfter >= prefix ? options.startAfter : prefix;
    const sorted = this.#sortedKeys();
    let i = lowerBound(sorted, from);
    if (sorted[i] === options.startAfter) i++;
    for (; i < sorted.length; i++) {
      const key = sorted[i]!;
      if (!key.startsWith(prefix)) break;
      const versions = this.#versions.get(key);
      const kv = versions && versionAt(versions, at);
      if (!kv) continue;
      if (kvs.length === limit) {
        more = true;
        break;
      }
      kvs.push(kv);
    }
    return { kvs, revision: at, more };
  }

  async count(prefix: string): Promise<number> {
    this.#check(prefix);
    let n = 0;
    const sorted = this.#sortedKeys();
    for (let i = lowerBound(sorted, prefix); i < sorted.length; i++) {
      const key = sorted[i]!;
      if (!key.startsWith(prefix)) break;
      if (this.#versions.get(key)?.at(-1)!.kv) n++;
    }
    return n;
  }

  async create(key: string, value: Uint8Array): Promise<CasResult> {
    this.#check(key);
    if (key === '') throw new TypeError('store keys must not be empty');
    const current = this.#current(key);
    if (current) return { ok: false, current };
    const rev = this.#rev + 1;
    return { ok: true, kv: this.#commit(key, { key, value, createRevision: rev, modRevision: rev }, undefined) };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<CasResult> {
    this.#check(key);
    const current = this.#current(key);
    if (!current || current.modRevision !== expectedModRevision) return { ok: false, current };
    const kv = { key, value, createRevision: current.createRevision, modRevision: this.#rev + 1 };
    return { ok: true, kv: this.#commit(key, kv, current) };
  }

  async delete(key: string, expectedModRevision?: number): Promise<CasResult> {
    this.#check(key);
    const current = this.#current(key);
    if (!current || (expectedModRevision !== undefined && current.modRevision !== expectedModRevision))
      return { ok: false, current };
    const kv = { ...current, modRevision: this.#rev + 1 };
    this.#commit(key, undefined, current, kv);
    return { ok: true, kv };
  }

  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent[]> {
    return this.#hub.watch(prefix, options);
  }

  async currentRevision(): Promise<number> {
    this.#check('');
    return this.#rev;
  }

  async compact(revision: number): Promise<void> {
    this.#check('');
    this.#compact(revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.close();
    this.#versions.clear();
    this.#sorted = [];
    this.#unsorted = [];
    this.#log = [];
  }

  /** The revision a read happens at: the newest by default; 'Compacted' when history there is gone. */
  #readRevision(key: string, revision: number | undefined): number {
    if (!revision) return this.#rev;
    if (revision < this.#compacted)
      throw new StoreError('Compacted', key, { message: `revision ${revision} is compacted (at ${this.#compacted})` });
    return Math.min(revision, this.#rev);
  }

  #current(key: string): KeyValue | undefined {
    return this.#versions.get(key)?.at(-1)!.kv;
  }

  /** Appends one write (kv undefined: a delete, whose event carries `deleted`) and tells the watchers. */
  #commit(key: string, kv: KeyValue | undefined, prev: KeyValue | undefined, deleted?: KeyValue): KeyValue {
    const rev = ++this.#rev;
    let versions = this.#versions.get(key);
    if (!versions) {
      versions = [];
      this.#versions.set(key, versions);
      this.#unsorted.push(key);
    }
    versions.push({ rev, kv });
    const event: WatchEvent = kv ? { type: 'put', kv, prevKv: prev } : { type: 'delete', kv: deleted!, prevKv: prev };
    this.#log.push(event);
    this.#hub.publish([event]);
    // Compact in steps of a tenth of the window so the cost is spread over many writes.
    if (this.#rev - this.#compacted > this.#keepRevisions + Math.max(1, this.#keepRevisions / 10))
      this.#compact(this.#rev - this.#keepRevisions);
    return kv ?? deleted!;
  }

  #compact(revision: number): void {
    const target = Math.min(revision, this.#rev);
    if (target <= this.#compacted) return;
    this.#compacted = target;
    const touched = new Set<string>();
    while (this.#logHead < this.#log.length && this.#log[this.#logHead]!.kv.modRevision <= target)
      touched.add(this.#log[this.#logHead++]!.kv.key);
    this.#log = this.#log.slice(this.#logHead);
    this.#logHead = 0;
    for (const key of touched) {
      const versions = this.#versions.get(key)!;
      // Keep the newest version at or below the target (the state then) and everything after it.
      let keep = versions.length - 1;
      while (keep > 0 && versions[keep]!.rev > target) keep--;
      if (versions[keep]!.rev <= target && !versions[keep]!.kv) keep++;
      versions.splice(0, keep);
      if (versions.length === 0) this.#versions.delete(key);
    }
  }

  /** All keys in order: merges keys added since the last call, drops keys compaction removed. */
  #sortedKeys(): string[] {
    if (this.#unsorted.length === 0) return this.#sorted;
    const added = this.#unsorted.sort();
    this.#unsorted = [];
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < this.#sorted.length || j < added.length) {
      const key =
        j >= added.length || (i < this.#sorted.length && this.#sorted[i]! <= added[j]!)
          ? this.#sorted[i++]!
          : added[j++]!;
      if (merged.at(-1) !== key && this.#versions.has(key)) merged.push(key);
    }
    this.#sorted = merged;
    return merged;
  }

  #readHistory(
    prefix: string,
    after: number,
    upto: number,
    limit: number,
  ): { events: WatchEvent[]; scannedTo: number } {
    if (after < this.#compacted)
      throw new StoreError('Compacted', prefix, { message: `revision ${after} is compacted (at ${this.#compacted})` });
    const events: WatchEvent[] = [];
    // Log entries hold consecutive revisions, one per write.
    const firstRev = this.#log[this.#logHead]?.kv.modRevision ?? this.#rev + 1;
    let i = this.#logHead + Math.max(0, after + 1 - firstRev);
    for (; i < this.#log.length && events.length < limit; i++) {
      const e = this.#log[i]!;
      if (e.kv.modRevision > upto) break;
      if (e.kv.key.startsWith(prefix)) events.push(e);
    }
    const scannedTo = i < this.#log.length ? Math.min(upto, this.#log[i]!.kv.modRevision - 1) : upto;
    return { events, scannedTo };
  }

  #check(key: string): void {
    if (this.#closed) throw new StoreError('Closed', key);
  }
}

function versionAt(versions: Version[], rev: number): KeyValue | undefined {
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.rev <= rev) return versions[i]!.kv;
  return undefined;
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
