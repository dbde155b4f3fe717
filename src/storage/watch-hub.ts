/**
 * In-process watch fan-out for backends that commit in this process (memory, sqlite). The backend calls
 * `publish(events)` synchronously right after each commit; every watcher on a matching prefix gets the events
 * in its own pending buffer and a doorbell ring.
 *
 * Why a watch has no gap and no duplicate: when a watch starts iterating it registers first and notes
 * `startRev`, the newest committed revision, in the same synchronous step. Events up to `startRev` come from
 * the backend's history (`readHistory`, paged); everything committed later arrives through `publish`, whose
 * revisions are all greater than `startRev`. Commit and publish happen in one synchronous step, so no commit
 * can fall between the two.
 *
 * A watcher that does not keep up (more than `maxPending` undelivered events) is ended with 'Compacted', so
 * its caller lists again, as the API server's cacher drops slow watchers; memory stays bounded.
 */
import { Doorbell } from '../machinery/index.ts';
import { StoreError } from './errors.ts';
import type { WatchEvent, WatchOptions } from './store.ts';

/** What the hub needs from its backend. All calls are synchronous. */
export interface WatchSource {
  /**
   * Events under `prefix` with revision in (after, upto], oldest first, at most `limit`, each with its prevKv
   * when the key existed before. `scannedTo` is the highest revision examined (`upto` when done). Throws
   * StoreError 'Compacted' when history after `after` is gone.
   */
  readHistory(prefix: string, after: number, upto: number, limit: number): { events: WatchEvent[]; scannedTo: number };
  /** The newest committed revision (the last one published). */
  currentRevision(): number;
}

export interface WatchHubOptions {
  /** Undelivered events a watcher may hold before it is ended with 'Compacted'. */
  maxPending?: number;
  /** Events read from history per page while replaying. */
  pageSize?: number;
}

interface Watcher {
  prefix: string;
  pending: WatchEvent[][];
  pendingCount: number;
  bell: Doorbell;
  error?: StoreError;
}

export class WatchHub {
  #source: WatchSource;
  #maxPending: number;
  #pageSize: number;
  #watchers = new Set<Watcher>();
  #closed = false;

  constructor(source: WatchSource, options: WatchHubOptions = {}) {
    this.#source = source;
    this.#maxPending = options.maxPending ?? 10_000;
    this.#pageSize = options.pageSize ?? 500;
  }

  /** Hands one commit's events (in revision order, with prevKv) to every matching watcher. */
  publish(events: WatchEvent[]): void {
    for (const w of this.#watchers) {
      const mine = w.prefix === '' ? events : events.filter((e) => e.kv.key.startsWith(w.prefix));
      if (mine.length === 0) continue;
      w.pending.push(mine);
      w.pendingCount += mine.length;
      if (w.pendingCount > this.#maxPending) {
        w.error = new StoreError('Compacted', w.prefix, {
          message: `watch of ${JSON.stringify(w.prefix)} fell more than ${this.#maxPending} events behind; list again`,
        });
        w.pending = [];
        this.#watchers.delete(w);
      }
      w.bell.ring();
    }
  }

  /** Ends every open watch with 'Closed'; later watches throw 'Closed'. */
  close(): void {
    this.#closed = true;
    for (const w of this.#watchers) {
      w.error = new StoreError('Closed', w.prefix);
      w.bell.ring();
    }
    this.#watchers.clear();
  }

  /** Open watchers (for tests and metrics). */
  get size(): number {
    return this.#watchers.size;
  }

  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent[]> {
    return this.#run(prefix, options);
  }

  async *#run(prefix: string, { afterRevision, signal, prevKv = false }: WatchOptions): AsyncGenerator<WatchEvent[]> {
    if (this.#closed) throw new StoreError('Closed', prefix);
    if (signal.aborted) return;
    const w: Watcher = { prefix, pending: [], pendingCount: 0, bell: new Doorbell() };
    // Registration and startRev in one synchronous step: see the module comment.
    const startRev = this.#source.currentRevision();
    this.#watchers.add(w);
    // Free the buffer as soon as the caller aborts, even if it never calls next() again.
    const onAbort = () => {
      this.#watchers.delete(w);
      w.pending = [];
      w.bell.ring();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let cursor = afterRevision;
      while (cursor < startRev) {
        const page = this.#source.readHistory(prefix, cursor, startRev, this.#pageSize);
        cursor = page.scannedTo;
        if (page.events.length > 0) yield strip(page.events, prevKv);
        if (signal.aborted) return;
      }
      for (;;) {
        if (signal.aborted) return;
        if (w.error) throw w.error;
        if (w.pending.length > 0) {
          let batch = w.pending.length === 1 ? w.pending[0]! : w.pending.flat();
          w.pending = [];
          w.pendingCount = 0;
          // A watch from a revision not reached yet when it started skips the live events up to it.
          if (afterRevision > startRev) batch = batch.filter((e) => e.kv.modRevision > afterRevision);
          if (batch.length > 0) yield strip(batch, prevKv);
          continue;
        }
        try {
          await w.bell.wait(signal);
        } catch {
          return;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#watchers.delete(w);
    }
  }
}

function strip(events: WatchEvent[], prevKv: boolean): WatchEvent[] {
  if (prevKv) return events;
  return events.map((e) => (e.prevKv ? { type: e.type, kv: e.kv } : e));
}
