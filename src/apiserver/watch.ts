/**
 * One HTTP watch: a chunked `application/json` response of `{"type":...,"object":...}` lines, fed from the
 * resource's watch cache. Headers go out at once (client-go blocks until it has them). Events are filtered by
 * namespace and selectors with their previous state in mind (an object that stops matching is DELETED for
 * this watcher, one that starts matching is ADDED), rendered as one-row Tables for `kubectl get -w`, and
 * interleaved with BOOKMARKs when asked. Too old a resourceVersion is answered with an ERROR event carrying a
 * 410 Expired Status, so clients list again. A watcher that cannot keep up is cut off rather than buffered
 * without bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, ResourceInfo } from '../api/index.ts';
import type { CachedEvent, EventType, WatchCache } from './watch-cache.ts';
import { TooOldError, eventParts } from './watch-cache.ts';
import { expired, toStatus } from './status.ts';

export interface WatchRequest {
  info: ResourceInfo;
  cache: WatchCache;
  namespace: string;
  filter: ((obj: KubeObject) => boolean) | undefined;
  /** 0: current state first (synthetic ADDED), then changes. */
  fromRv: number;
  bookmarks: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
  /** Renders one object as a one-row Table (kubectl get -w) or PartialObjectMetadata; undefined for plain objects. */
  toTable: ((obj: KubeObject) => unknown) | undefined;
  /** A cached object's JSON (the registry's, shared with lists). */
  objectJson: (obj: KubeObject) => string | Buffer;
}

/**
 * What one watcher sees of the cache's events: those of its namespace that pass its filter, judged with the
 * object's previous state in mind (an object that stops matching is DELETED for this watcher, one that starts
 * matching is ADDED), each event once, after `fromRv`. The HTTP watch and the in-process one share it.
 */
export class WatcherView {
  readonly #namespace: string;
  readonly #filter: ((obj: KubeObject) => boolean) | undefined;
  /** The newest revision this watcher has been given. */
  lastRv: number;

  constructor(namespace: string, filter: ((obj: KubeObject) => boolean) | undefined, fromRv: number) {
    this.#namespace = namespace;
    this.#filter = filter;
    this.lastRv = fromRv;
  }

  #nsMatch(o: KubeObject): boolean {
    return !this.#namespace || o.metadata?.namespace === this.#namespace;
  }

  matches(o: KubeObject | undefined): boolean {
    return o !== undefined && this.#nsMatch(o) && (!this.#filter || this.#filter(o));
  }

  /** Hands `emit` what this watcher sees of `events` (in revision order). */
  see(events: CachedEvent[], emit: (type: EventType, ev: CachedEvent) => void): void {
    for (const ev of events) {
      if (ev.rv <= this.lastRv) continue;
      this.lastRv = ev.rv;
      if (!this.#filter) {
        if (this.#nsMatch(ev.object)) emit(ev.type, ev);
        continue;
      }
      const now = this.matches(ev.object);
      const before = ev.type === 'ADDED' ? false : this.matches(ev.prevObject);
      if (ev.type === 'DELETED') {
        if (before) emit('DELETED', ev);
      } else if (now && before) emit('MODIFIED', ev);
      else if (now) emit('ADDED', ev);
      else if (before) emit('DELETED', ev);
    }
  }

  /**
   * The subscription's backlog: from rv 0, the current objects as synthetic ADDED events (each with its own
   * rv; only changes after the cache's `revision` count afterwards); else the ring's events after `fromRv`.
   */
  start(backlog: CachedEvent[], fromRv: number, revision: number, emit: (type: EventType, ev: CachedEvent) => void): void {
    if (fromRv !== 0) return this.see(backlog, emit);
    this.lastRv = revision;
    for (const ev of backlog) if (this.matches(ev.object)) emit('ADDED', ev);
  }
}

/** Bytes queued for a slow watcher before it is disconnected. */
const MAX_BUFFERED = 32 * 1024 * 1024;

export async function serveWatch(req: IncomingMessage, res: ServerResponse, w: WatchRequest): Promise<void> {
  await w.cache.ready;
  const view = new WatcherView(w.namespace, w.filter, w.fromRv);
  let closed = false;
  let done: () => void = () => {};
  const ended = new Promise<void>((resolve) => (done = resolve));
  let sub: ReturnType<WatchCache['subscribe']> | undefined;
  const timers: NodeJS.Timeout[] = [];

  // Lines are written once per turn of the event loop: everything delivered meanwhile goes out in one write
  // (one TLS record batch, one syscall). The busier the server, the more events share a write, so a thousand
  // watchers cost a thousand writes per turn rather than per event.
  let pending: (string | Buffer)[] = [];
  let scheduled = false;
  const writePending = () => {
    scheduled = false;
    if (closed || pending.length === 0) return;
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    pending = [];
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED) finish();
  };
  const flush = () => {
    if (scheduled || pending.length === 0) return;
    scheduled = true;
    setImmediate(writePending);
  };
  const write = (line: string | Buffer) => {
    if (!closed) pending.push(line);
  };
  // Plain objects: the object's bytes are made once and shared by every watcher (eventParts); Tables and
  // PartialObjectMetadata depend on the request, so they are rendered per watcher.
  const emit = (type: EventType, ev: CachedEvent) => {
    if (w.toTable) write(JSON.stringify({ type, object: w.toTable(ev.object) }) + '\n');
    else if (!closed) pending.push(...eventParts(type, w.objectJson(ev.object)));
  };

  const send = (events: CachedEvent[]) => {
    view.see(events, emit);
    flush();
  };

  const subscriber = { deliver: send, end: () => finish() };
  try {
    sub = w.cache.subscribe(w.fromRv, subscriber);
  } catch (err) {
    if (!(err instanceof TooOldError)) throw err;
    // Like the real apiserver: 200, then one ERROR event with the 410 Status, then the end.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.end(JSON.stringify({ type: 'ERROR', object: toStatus(expired(err.message)) }) + '\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  view.start(sub.backlog, w.fromRv, w.cache.revision, emit);
  flush();

  const bookmark = () => {
    if (closed) return;
    const rv = Math.max(view.lastRv, w.cache.revision);
    write(JSON.stringify({ type: 'BOOKMARK', object: { kind: w.info.kind, apiVersion: w.info.groupVersion, metadata: { resourceVersion: String(rv) } } }) + '\n');
    flush();
  };
  if (w.bookmarks) timers.push(setInterval(bookmark, w.bookmarkIntervalMs));
  timers.push(setTimeout(() => {
    // The real apiserver ends a watch that reached its timeout with a last bookmark when asked for them.
    if (w.bookmarks) bookmark();
    finish();
  }, w.timeoutMs));
  req.on('close', () => finish());
  res.on('close', () => finish());
  await ended;

  function finish(): void {
    if (closed) return;
    // What is still queued (the last bookmark at a timeout) goes out before the end.
    if (pending.length && !res.destroyed && !res.writableEnded) res.write(Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
    pending = [];
    closed = true;
    for (const t of timers) clearTimeout(t);
    sub?.unsubscribe();
    if (!res.writableEnded) res.end();
    done();
  }
}
