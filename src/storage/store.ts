/**
 * The store: a revisioned key → bytes log in etcd's model (kine's shape). One global revision counts every
 * write; each key remembers the revision that created it and the one that last changed it; writes are
 * compare-and-swap on that mod revision; a watch replays every change after a revision, in order, until that
 * history is compacted away. The store knows nothing of Pods: the API server keeps JSON in it.
 *
 * Backends: memory/ (tests), sqlite/ (the embedded default), etcd/ (clusters). Every backend passes
 * `runStoreConformance` in store.conformance.ts.
 */

export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to this key. The API server's resourceVersion. */
  modRevision: number;
  /**
   * Set by a TransformingStore when the value was read by a provider other than the one that writes now
   * (an old key, identity before encryption): an update must store it again even when nothing changed.
   */
  stale?: boolean;
}

export type WatchEvent =
  | { type: 'put'; kv: KeyValue; prevKv?: KeyValue }
  /** `kv.modRevision` is the revision of the delete; `kv.value` is the last value the key held. */
  | { type: 'delete'; kv: KeyValue; prevKv?: KeyValue };

/** A compare-and-swap that lost. `current` is what the key holds now (undefined when it does not exist). */
export interface CasFailure {
  ok: false;
  current: KeyValue | undefined;
}

export type CasResult = { ok: true; kv: KeyValue } | CasFailure;

export interface ListOptions {
  /** Read as of this revision (0 or absent: the newest). Throws StoreError 'Compacted' when it is gone. */
  revision?: number;
  /** At most this many keys (0 or absent: all). */
  limit?: number;
  /** Start after this key (exclusive): the continue token of a paged list. */
  startAfter?: string;
}

export interface ListResult {
  kvs: KeyValue[];
  /** The revision the list was read at; a watch from it misses nothing. */
  revision: number;
  /** True when `limit` cut the list short. */
  more: boolean;
}

export interface WatchOptions {
  /** Deliver every event with a revision greater than this. Throws 'Compacted' when that history is gone. */
  afterRevision: number;
  /** Ends the watch; the iterator returns. */
  signal: AbortSignal;
  /** Include the previous value on each event. */
  prevKv?: boolean;
}

export interface Store {
  /** The newest value of `key`, or undefined. `revision` reads an older one. */
  get(key: string, options?: { revision?: number }): Promise<KeyValue | undefined>;

  /** Keys that start with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;

  /** How many keys start with `prefix` now. */
  count(prefix: string): Promise<number>;

  /** Creates `key`; fails with `{ ok: false, current }` when it exists. */
  create(key: string, value: Uint8Array): Promise<CasResult>;

  /**
   * Replaces `key`'s value if its mod revision is still `expectedModRevision`. Fails with `current` when the
   * key changed or is gone. A write that stores identical bytes still makes a new revision.
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<CasResult>;

  /**
   * Deletes `key` if its mod revision is still `expectedModRevision` (or unconditionally when absent).
   * On success `kv` holds the deleted value and the delete's revision as `modRevision`.
   */
  delete(key: string, expectedModRevision?: number): Promise<CasResult>;

  /**
   * Changes to keys under `prefix` after `afterRevision`, in revision order, batched as they were committed.
   * Safe to call many times at once. Throws StoreError 'Compacted' (at once, or from the iterator) when the
   * revision is older than the compacted history; the caller lists again.
   */
  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent[]>;

  /** The newest revision. */
  currentRevision(): Promise<number>;

  /** Forgets history at or below `revision` (old values and delete markers); watches from there fail. */
  compact(revision: number): Promise<void>;

  /** Flushes and releases the backend. Further calls throw StoreError 'Closed'. */
  close(): Promise<void>;
}
