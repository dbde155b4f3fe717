/**
 * List and watch for components running inside the API server's own process (the controller manager, the
 * scheduler on the server's event loop), answered from the watch caches without HTTP or JSON: the caller gets
 * the cache's objects themselves, so an in-process informer holds references, not a decoded copy of every
 * object (four copies of each pod at 100,000 pods was most of the server's memory).
 *
 * Everything a client sees over HTTP holds: the request is authorized as the caller's identity with the same
 * attributes (the path is parsed as the HTTP request's would be), selectors are compiled and refused alike,
 * lists are consistent reads, a watch starts after a resourceVersion (410 Expired when the ring no longer
 * holds it), filters with each object's previous state in mind (WatcherView, shared with the HTTP watch),
 * sends bookmarks when asked and ends at its timeout. What it skips is the HTTP layer's: audit events,
 * apiserver_request_* metrics and the max-in-flight limits.
 *
 * Objects are frozen, deeply, when first handed out: the cache shares them with every reader, so a reader
 * that writes to one gets a TypeError rather than corrupting what the API server serves. Freezing is once
 * per object version (a frozen object is skipped).
 */
import type { KubeObject } from '../api/index.ts';
import { deepFreeze } from '../machinery/index.ts';
import type { User } from './auth/tokens.ts';
import type { GenericRegistry } from './registry/index.ts';
import { parseResourcePath, type ResourceRequest } from './request-info.ts';
import { selectorFilter } from './resource-handler.ts';
import { ApiError, badRequest, expired, methodNotAllowed, type Status } from './status.ts';
import { TooOldError, type CachedEvent, type EventType } from './watch-cache.ts';
import { WatcherView } from './watch.ts';

export interface InProcessReadRequest {
  group: string;
  version: string;
  plural: string;
  /** '' or undefined: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface InProcessWatchRequest extends InProcessReadRequest {
  /** Start after this resourceVersion; '' or undefined: the current objects as ADDED, then changes. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface InProcessList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string };
  items: KubeObject[];
}

export interface InProcessWatchEvent {
  type: EventType | 'BOOKMARK';
  object: KubeObject;
}

export interface InProcessReaderDeps {
  /** The registry serving `groupVersion`'s `plural`. */
  registry(groupVersion: string, plural: string): GenericRegistry | undefined;
  /** The 403 Status when the authorizer refuses `user` the request, else undefined (the server's own check). */
  authorize(user: User, path: string, info: ResourceRequest): Promise<Status | undefined>;
  bookmarkIntervalMs: number;
}

/** Events queued for a reader that does not take them before it is cut off (it watches again or lists). */
const MAX_QUEUED = 100_000;

export class InProcessReader {
  readonly #deps: InProcessReaderDeps;

  constructor(deps: InProcessReaderDeps) {
    this.#deps = deps;
  }

  /** A consistent list as `user`: from the watch cache once it has seen the registry's writes, else the store. */
  async list(user: User, req: InProcessReadRequest): Promise<InProcessList> {
    const { registry, filter, namespace } = await this.#prepare(user, 'list', req);
    const result = (await registry.listFromCache(namespace, { filter })) ?? (await registry.list(namespace, { filter }));
    for (const o of result.items) deepFreeze(o);
    return { apiVersion: registry.info.groupVersion, kind: registry.info.listKind, metadata: { resourceVersion: result.resourceVersion }, items: result.items };
  }

  /** A watch as `user`; throws (at the first step) what the HTTP watch would answer with an error. */
  async *watch(user: User, req: InProcessWatchRequest): AsyncGenerator<InProcessWatchEvent> {
    const { registry, filter, namespace } = await this.#prepare(user, 'watch', req);
    const rvText = req.resourceVersion ?? '';
    const fromRv = rvText === '' ? 0 : Number(rvText);
    if (!Number.isInteger(fromRv) || fromRv < 0) throw badRequest(`invalid resource version: ${JSON.stringify(rvText)}`);
    const cache = registry.cache;
    await cache.ready;
    if (req.signal?.aborted) return;

    let queue: InProcessWatchEvent[] = [];
    let head = 0;
    let ended = false;
    let wake: (() => void) | undefined;
    const ring = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const end = () => {
      ended = true;
      ring();
    };
    const push = (type: EventType, ev: CachedEvent) => {
      queue.push({ type, object: ev.object });
    };
    const view = new WatcherView(namespace, filter, fromRv);
    const subscriber = {
      deliver: (events: CachedEvent[]) => {
        view.see(events, push);
        if (queue.length - head > MAX_QUEUED) end();
        ring();
      },
      end,
    };
    let sub: ReturnType<typeof cache.subscribe>;
    try {
      sub = cache.subscribe(fromRv, subscriber);
    } catch (err) {
      if (err instanceof TooOldError) throw expired(err.message);
      throw err;
    }
    view.start(sub.backlog, fromRv, cache.revision, push);

    const info = registry.info;
    const bookmark = () => {
      queue.push({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: info.groupVersion, metadata: { resourceVersion: String(Math.max(view.lastRv, cache.revision)) } } });
      ring();
    };
    const timers: NodeJS.Timeout[] = [];
    if (req.allowWatchBookmarks) timers.push(setInterval(bookmark, this.#deps.bookmarkIntervalMs));
    // As the HTTP watch: the server's 30–60 min when no timeout is asked; a last bookmark at the end.
    const timeoutMs = Math.min(req.timeoutSeconds && req.timeoutSeconds > 0 ? req.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000, 2 ** 31 - 1);
    timers.push(setTimeout(() => {
      if (req.allowWatchBookmarks) bookmark();
      end();
    }, timeoutMs));
    req.signal?.addEventListener('abort', end, { once: true });
    try {
      for (;;) {
        while (head < queue.length) {
          const ev = queue[head++]!;
          if (req.signal?.aborted) return;
          deepFreeze(ev.object);
          yield ev;
        }
        queue = [];
        head = 0;
        if (ended || req.signal?.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      sub.unsubscribe();
      for (const t of timers) clearTimeout(t);
      req.signal?.removeEventListener('abort', end);
    }
  }

  /** The registry, authorization and selectors of a list or watch, checked as the HTTP request's would be. */
  async #prepare(user: User, verb: 'list' | 'watch', req: InProcessReadRequest): Promise<{ registry: GenericRegistry; filter: ((o: KubeObject) => boolean) | undefined; namespace: string }> {
    const namespace = req.namespace ?? '';
    const base = req.group ? `/apis/${req.group}/${req.version}` : `/api/${req.version}`;
    const path = `${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${req.plural}`;
    const info = parseResourcePath('GET', path, new URLSearchParams(verb === 'watch' ? { watch: 'true' } : {}));
    const registry = info ? this.#deps.registry(info.groupVersion, info.resource) : undefined;
    if (!info || !registry) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    const denied = await this.#deps.authorize(user, path, info);
    if (denied) throw new ApiError(denied.code ?? 403, 'Forbidden', denied.message ?? 'forbidden', denied.details ?? {});
    if (!registry.info.verbs.includes(verb)) throw methodNotAllowed(verb, registry.qualified);
    return { registry, filter: selectorFilter(registry.info, req.labelSelector ?? '', req.fieldSelector ?? ''), namespace };
  }
}
