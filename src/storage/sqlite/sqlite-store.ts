/**
 * SqliteStore: the embedded default backend, a kine-style log table (log-table.ts) in one SQLite file through
 * Node's built-in `node:sqlite`.
 *
 * Durability: the database runs in WAL mode with synchronous=NORMAL. Each write is its own transaction, and
 * a transaction has reached the WAL file (through write(2), into the OS page cache) before the call that
 * made it resolves. So a write that was acknowledged survives a crash or `kill -9` of this process; only a
 * power loss or kernel crash can lose the last few acknowledged writes, and never corrupts the file
 * (fsync happens at checkpoints). sqlite-durability.test.ts kills a writer with SIGKILL to check this.
 *
 * One process owns the file: locking_mode=EXCLUSIVE takes the lock at open (a second server on the same
 * data dir gets 'Unavailable'), and lets WAL run without a shared-memory index.
 *
 * Writes and reads are synchronous SQLite calls, so each write's compare-and-swap (read the key's newest
 * row, check, append) is atomic with respect to every other call, and its watch events are published in the
 * same synchronous step as its commit (see watch-hub.ts for why that makes watches gap-free).
 *
 * Writes are not grouped into shared transactions: one autocommit per write measured 9,000-18,000 creates/s
 * of 2 KB values on this shared 2-core machine (bench/storage.ts), well above the API server's 2,000/s
 * target, and grouping would let reads in the same tick see writes that are not committed yet. The write
 * that fills the WAL to 1000 pages runs the checkpoint (copy + fsync) and takes ~8 ms instead of ~0.03 ms;
 * that is most of the p99. A worker-thread checkpointer (which needs a shared, not exclusive, lock) was
 * tried and did not measurably help here, so the simpler design stays.
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

export class SqliteStore implements Store {
  readonly path: string;
  #db: DatabaseSync;
  #log: LogTable;
  #hub: WatchHub;
  #clock: Clock;
  #keepRevisions: number;
  #keepMs: number;
  #rev: number;
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
      this.#log = new LogTable(this.#db);
      this.#db.exec('COMMIT');
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
    this.#rev = Math.max(1, this.#log.maxId(), this.#compacted);
    this.#hub = new WatchHub(
      {
        readHistory: (prefix, after, upto, limit) => this.#readHistory(prefix, after, upto, limit),
        currentRevision: () => this.#rev,
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
    return this.#log.count(prefix);
  }

  async create(key: string, value: Uint8Array): Promise<CasResult> {
    this.#check(key);
    if (key === '') throw new TypeError('store keys must not be empty');
    const latest = this.#log.latest(key);
    if (latest && !latest.deleted) return { ok: false, current: rowToKv(latest) };
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
    if (!latest || latest.deleted) return { ok: false, current: undefined };
    if (latest.id !== expectedModRevision) return { ok: false, current: rowToKv(latest) };
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
    if (!latest || latest.deleted) return { ok: false, current: undefined };
    if (expectedModRevision !== undefined && latest.id !== expectedModRevision)
      return { ok: false, current: rowToKv(latest) };
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
    return this.#rev;
  }

  async compact(revision: number): Promise<void> {
    this.#check('');
    await this.#compactTo(revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    this.#hub.close();
    await this.#loop;
    await this.#compacting.catch(() => {});
    this.#db.close();
  }

  /** One write: append its row (autocommit), advance the revision, tell the watchers, in one sync step. */
  #append(row: Row): CasResult {
    try {
      this.#log.insert(row);
    } catch (err) {
      throw new StoreError('Unavailable', row.name, {
        cause: err,
        message: `write ${row.name}: ${(err as Error).message}`,
      });
    }
    this.#rev = row.id;
    this.#hub.publish([rowToEvent(row)]);
    return { ok: true, kv: rowToKv(row) };
  }

  #readRevision(key: string, revision: number | undefined): number {
    if (!revision) return this.#rev;
    if (revision < this.#compacted)
      throw new StoreError('Compacted', key, { message: `revision ${revision} is compacted (at ${this.#compacted})` });
    return Math.min(revision, this.#rev);
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
      const target = Math.min(revision, this.#rev);
      if (target > this.#compacted) {
        // Raise the bar first: a watch replay that reads rows being deleted must fail, not skip them.
        this.#compacted = target;
        this.#log.setMeta('compact_revision', target);
      }
      let deleted = 0;
      while (this.#cleanedTo < this.#compacted && !this.#closed) {
        const to = Math.min(this.#cleanedTo + COMPACT_BATCH, this.#compacted);
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
      this.#samples.push({ at: now, rev: this.#rev });
      let byAge = 0;
      while (this.#samples.length > 0 && this.#samples[0]!.at <= now - this.#keepMs) byAge = this.#samples.shift()!.rev;
      const target = Math.min(byAge, this.#rev - this.#keepRevisions);
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
