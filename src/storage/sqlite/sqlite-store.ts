/**
 * SqliteStore: the embedded default backend, a kine-style log table (log-table.ts) in one SQLite file through
 * Node's built-in `node:sqlite`.
 *
 * Durability: the database runs in WAL mode with synchronous=NORMAL. A write resolves only after the
 * transaction holding it committed, that is reached the WAL file (through write(2), into the OS page cache). So a write that was acknowledged survives a crash or `kill -9` of this process; only a
 * power loss or kernel crash can lose the last few acknowledged writes, and never corrupts the file
 * (fsync happens at checkpoints). sqlite-durability.test.ts kills a writer with SIGKILL to check this.
 *
 * One process owns the file: locking_mode=EXCLUSIVE takes the lock at open (a second server on the same
 * data dir gets 'Unavailable'), and lets WAL run without a shared-memory index.
 *
 * Group commit: writes that arrive in the same event-loop turn share one transaction, committed in
 * setImmediate (or at once after MAX_BATCH writes). Each write's compare-and-swap (read the key's newest
 * row, check, append) is a synchronous step against everything written before it, committed or not, so
 * writes stay serializable. Reads never see the open transaction: they read at `#committed`, the newest
 * committed revision, and the batch's watch events are published in the same synchronous step as its
 * COMMIT (see watch-hub.ts for why that makes watches gap-free). Sharing a transaction shares WAL pages:
 * fewer bytes written and fewer checkpoints, whose copy + fsync runs inside a commit and stalls the loop.
 *
 *   create ─▶ CAS + INSERT (rev = #rev+1) ─┐
 *   update ─▶ CAS + INSERT (rev = #rev+1) ─┼─ setImmediate ─▶ COMMIT ─▶ #committed = #rev ─▶ publish ─▶ resolve
 *   delete ─▶ CAS + INSERT (rev = #rev+1) ─┘                      └ fails: ROLLBACK, #rev = #committed, reject all
 *
 * History is compacted in the background every `compactIntervalMs`, keeping at least `keepRevisions`
 * revisions and at least `keepMs` of history; the API server lists again when a watch gets 'Compacted'.
 */
import { DatabaseSync } from 'node:sqlite';
import { realClock, type Clock, createLogger } from '../../machinery/index.ts';
import { StoreError } from '../errors.ts';
import type { CasResult, KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from '../store.ts';
import { WatchHub } from '../watch-hub.ts';
import { LogTable, rowToEvent, rowToKv, type Row } from './log-table.ts';

export interface SqliteStoreConfig {
  /** Database file, or ':memory:' (tests). */
  path: string;
  /** Keep at least this many revisions of history (default 10,000). */
  keepRevisions?: number;
  /** Keep at least this much history by age (default 5 minutes). */
  keepMs?: number;
  /** How often background compaction runs (default 1 minute; 0 turns it off). */
  compactIntervalMs?: number;
  /** Undelivered events a slow watcher may hold before it is ended with 'Compacted'. */
  maxPendingEvents?: number;
  clock?: Clock;
}

/** Rows deleted per compaction statement; the event loop runs between statements. */
const COMPACT_BATCH = 2_000;
/** Writes per transaction at most; a burst larger than this commits in several. */
const MAX_BATCH = 500;

interface Batch {
  events: WatchEvent[];
  acks: { resolve: () => void; reject: (err: unknown) => void }[];
}

export class SqliteStore implements Store {
  readonly path: string;
  #db: DatabaseSync;
  #log: LogTable;
  #hub: WatchHub;
  #clock: Clock;
  #keepRevisions: number;
  #keepMs: number;
  /** The newest revision written, including the open transaction's writes. */
  #rev: number;
  /** The newest committed revision: what reads, watches and currentRevision see. */
  #committed: number;
  /** The open transaction's writes, waiting for COMMIT. */
  #batch: Batch | undefined;
  #compacted: number;
  /** Rows at or below this id were already cleaned by compaction. */
  #cleanedTo: number;
  #compacting: Promise<void> = Promise.resolve();
  #samples: { at: number; rev: number }[] = [];
  #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #closed = false;
  #logger = createLogger('storage');

  constructor(config: SqliteStoreConfig) {
    if (!config.path) throw new Error('SqliteStore needs a path (a file, or ":memory:")');
    this.path = config.path;
    this.#clock = config.clock ?? realClock;
    this.#keepRevisions = config.keepRevisions ?? 10_000;
    this.#keepMs = config.keepMs ?? 5 * 60_000;
    try {
      this.#db = new DatabaseSync(config.path, { timeout: 0 });
      this.#db.exec(
        'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;',
      );
      // Taking the write lock now makes a second owner fail here, not on its first write.
      this.#db.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      this.#log = new LogTable(this.#db);
      this.#db.exec('COMMIT');
      if (this.#log.upgradedIndex) this.#logger.info({ path: config.path, ms: Date.now() - started }, 'built the log index (name, id, deleted), once');
    } catch (err) {
      throw new StoreError('Unavailable', config.path, {
        cause: err,
        message:
          `cannot open ${config.path}: ${(err as Error).message}` +
          (/locked|busy/i.test((err as Error).message) ? ' (is another kubeling server using this data dir?)' : ''),
      });
    }
    this.#compacted = this.#log.getMeta('compact_revision') ?? 0;
    this.#cleanedTo = this.#log.getMeta('cleaned_to') ?? 0;
    // Like etcd, an empty store is at revision 1. Compaction never removes the newest revision's row unless
    // it was a tombstone at or below the compact revision, which the compact revision then covers.
    this.#rev = this.#committed = Math.max(1, this.#log.maxId(), this.#compacted);
    this.#hub = new WatchHub(
      {
        readHistory: (prefix, after, upto, limit) => this.#readHistory(prefix, after, upto, limit),
        currentRevision: () => this.#committed,
      },
      { maxPending: config.maxPendingEvents },
    );
    const interval = config.compactIntervalMs ?? 60_000;
    if (interval > 0) this.#loop = this.#compactLoop(interval);
  }

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    this.#check(key);
    const row = this.#log.latest(key, this.#readRevision(key, options.revision));
    return row && !row.deleted ? rowToKv(row) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#check(prefix);
    const revision = this.#readRevision(prefix, options.revision);
    const limit = options.limit && options.limit > 0 ? options.limit : -1;
    const kvs = this.#log.list(prefix, revision, options.startAfter ?? '', limit === -1 ? -1 : limit + 1);
    const more = limit !== -1 && kvs.length > limit;
    if (more) kvs.pop();
    return { kvs, revision, more };
  }

  async count(prefix: string): Promise<number> {
    this.#check(prefix);
    return this.#log.count(prefix, this.#committed);
  }

  async create(key: string, value: Uint8Array): Promise<CasResult> {
    this.#check(key);
    if (key === '') throw new TypeError('store keys must not be empty');
    const latest = this.#log.latest(key);
    if (latest && !latest.deleted) return this.#lost(latest);
    const id = this.#rev + 1;
    return this.#append({
      id,
      name: key,
      created: 1,
      deleted: 0,
      create_revision: id,
      prev_revision: latest?.id ?? 0,
      value,
      old_value: null,
    });
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<CasResult> {
    this.#check(key);
    const latest = this.#log.latest(key);
    if (!latest || latest.deleted) return this.#lost(latest);
    if (latest.id !== expectedModRevision) return this.#lost(latest);
    return this.#append({
      id: this.#rev + 1,
      name: key,
      created: 0,
      deleted: 0,
      create_revision: latest.create_revision,
      prev_revision: latest.id,
      value,
      old_value: latest.value,
    });
  }

  async delete(key: string, expectedModRevision?: number): Promise<CasResult> {
    this.#check(key);
    const latest = this.#log.latest(key);
    if (!latest || latest.deleted) return this.#lost(latest);
    if (expectedModRevision !== undefined && latest.id !== expectedModRevision) return this.#lost(latest);
    return this.#append({
      id: this.#rev + 1,
      name: key,
      created: 0,
      deleted: 1,
      create_revision: latest.create_revision,
      prev_revision: latest.id,
      value: latest.value,
      old_value: latest.value,
    });
  }

  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent[]> {
    return this.#hub.watch(prefix, options);
  }

  async currentRevision(): Promise<number> {
    this.#check('');
    return this.#committed;
  }

  async compact(revision: number): Promise<void> {
    this.#check('');
    await this.#compactTo(revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#batch) this.#commit(this.#batch);
    this.#stop.abort();
    this.#hub.close();
    await this.#loop;
    await this.#compacting.catch(() => {});
    this.#db.close();
  }

  /** One write: append its row to the open transaction; resolves once that transaction committed. */
  #append(row: Row): Promise<CasResult> {
    const batch = this.#batch ?? this.#begin();
    try {
      this.#log.insert(row);
    } catch (err) {
      // An I/O error can make SQLite roll the whole transaction back; then every write in it failed.
      if (!this.#db.isTransaction) this.#fail(batch, err);
      throw new StoreError('Unavailable', row.name, {
        cause: err,
        message: `write ${row.name}: ${(err as Error).message}`,
      });
    }
    this.#rev = row.id;
    batch.events.push(rowToEvent(row));
    const result: CasResult = { ok: true, kv: rowToKv(row) };
    const acked = new Promise<CasResult>((resolve, reject) =>
      batch.acks.push({ resolve: () => resolve(result), reject }),
    );
    if (batch.acks.length >= MAX_BATCH) this.#commit(batch);
    return acked;
  }

  /**
   * A lost compare-and-swap. When it lost against a write still in the open transaction, it answers only
   * after that commits (and fails if it does not), so no caller sees uncommitted data.
   */
  #lost(latest: Row | undefined): Promise<CasResult> | CasResult {
    const result: CasResult = { ok: false, current: latest && !latest.deleted ? rowToKv(latest) : undefined };
    const batch = this.#batch;
    if (!latest || latest.id <= this.#committed || !batch) return result;
    return new Promise((resolve, reject) => batch.acks.push({ resolve: () => resolve(result), reject }));
  }

  #begin(): Batch {
    try {
      this.#db.exec('BEGIN');
    } catch (err) {
      throw new StoreError('Unavailable', this.path, { cause: err, message: `begin: ${(err as Error).message}` });
    }
    const batch: Batch = { events: [], acks: [] };
    this.#batch = batch;
    setImmediate(() => this.#commit(batch));
    return batch;
  }

  /** Commits `batch` if it is still the open one, then publishes its events and acknowledges its writes. */
  #commit(batch: Batch): void {
    if (this.#batch !== batch) return;
    this.#batch = undefined;
    try {
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#fail(batch, err);
      return;
    }
    this.#committed = this.#rev;
    this.#hub.publish(batch.events);
    for (const ack of batch.acks) ack.resolve();
  }

  /** Rolls `batch` back and fails its writes; later writes check against the committed state again. */
  #fail(batch: Batch, cause: unknown): void {
    if (this.#batch === batch) this.#batch = undefined;
    if (this.#db.isTransaction) {
      try {
        this.#db.exec('ROLLBACK');
      } catch (err) {
        this.#logger.error({ err }, 'rollback failed');
      }
    }
    this.#rev = this.#committed;
    const err = new StoreError('Unavailable', this.path, {
      cause,
      message: `commit failed: ${(cause as Error).message}`,
    });
    for (const ack of batch.acks) ack.reject(err);
  }

  #readRevision(key: string, revision: number | undefined): number {
    if (!revision) return this.#committed;
    if (revision < this.#compacted)
      throw new StoreError('Compacted', key, { message: `revision ${revision} is compacted (at ${this.#compacted})` });
    return Math.min(revision, this.#committed);
  }

  #readHistory(
    prefix: string,
    after: number,
    upto: number,
    limit: number,
  ): { events: WatchEvent[]; scannedTo: number } {
    if (after < this.#compacted)
      throw new StoreError('Compacted', prefix, { message: `revision ${after} is compacted (at ${this.#compacted})` });
    const rows = this.#log.history(prefix, after, upto, limit);
    return { events: rows.map(rowToEvent), scannedTo: rows.length < limit ? upto : rows.at(-1)!.id };
  }

  /**
   * Compacts to `revision`: from now on reads and watches below it fail, then the unreachable rows go in
   * batches, yielding to the event loop between them. Runs one at a time.
   */
  #compactTo(revision: number): Promise<void> {
    const run = this.#compacting.then(async () => {
      // Compaction writes in its own transactions, not in the writes' open one (whose rollback would undo them).
      if (this.#batch) this.#commit(this.#batch);
      const target = Math.min(revision, this.#committed);
      if (target > this.#compacted) {
        // Raise the bar first: a watch replay that reads rows being deleted must fail, not skip them.
        this.#compacted = target;
        this.#log.setMeta('compact_revision', target);
      }
      let deleted = 0;
      while (this.#cleanedTo < this.#compacted && !this.#closed) {
        const to = Math.min(this.#cleanedTo + COMPACT_BATCH, this.#compacted);
        if (this.#batch) this.#commit(this.#batch);
        deleted += this.#log.compactRange(this.#cleanedTo, to, this.#compacted);
        this.#cleanedTo = to;
        this.#log.setMeta('cleaned_to', to);
        await new Promise((r) => setImmediate(r));
      }
      if (deleted > 0) this.#logger.debug({ revision: this.#compacted, deleted }, 'compacted');
    });
    this.#compacting = run.catch(() => {});
    return run;
  }

  /** Every interval: note (time, revision), then compact to what is older than both windows. */
  async #compactLoop(intervalMs: number): Promise<void> {
    const signal = this.#stop.signal;
    for (;;) {
      try {
        await this.#clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
      if (this.#closed) return;
      const now = this.#clock.now();
      this.#samples.push({ at: now, rev: this.#committed });
      let byAge = 0;
      while (this.#samples.length > 0 && this.#samples[0]!.at <= now - this.#keepMs) byAge = this.#samples.shift()!.rev;
      const target = Math.min(byAge, this.#committed - this.#keepRevisions);
      if (target > this.#compacted) {
        try {
          await this.#compactTo(target);
        } catch (err) {
          this.#logger.error({ err }, 'compaction failed');
        }
      }
    }
  }

  #check(key: string): void {
    if (this.#closed) throw new StoreError('Closed', key);
  }
}
