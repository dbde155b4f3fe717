/**
 * Reads answered inside the process that serves the API. A component of `kubeling server` (the controller
 * manager, the scheduler on the server's event loop) lists and watches through these instead of over
 * loopback HTTPS: same authorization (as the component's own identity), same selectors, resourceVersions,
 * bookmarks, 410 Gone and watch order, but the objects are the API server's watch-cache objects themselves,
 * not a copy decoded from JSON. With 100,000 pods each such copy was ~400 MB; this way every in-process
 * informer shares the one the cache keeps.
 *
 * The objects are shared, so they are frozen (deeply) before a reader sees them: a component that writes to
 * one gets a TypeError instead of silently changing the API server's cache. Informers already treat their
 * objects as read-only (client-go's rule); change a copy (`structuredClone`) and write that.
 *
 * `cmd` wires an implementation (the API server's) into `ClientConfig.inProcess`; only informers use it.
 * Errors are thrown as `ApiError`, as the HTTP client throws them.
 */
import type { KubeObjectLike, ObjectList, ResourceRef } from './resource.ts';
import type { WatchEvent, WatchOptions } from './watch.ts';

export interface InProcessListRequest {
  resource: ResourceRef;
  /** Undefined or '' lists across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
}

export interface InProcessWatchRequest extends InProcessListRequest, WatchOptions {}

export interface InProcessReads {
  /** A consistent list (as `GET <collection>` without resourceVersion), items frozen. */
  list(req: InProcessListRequest): Promise<ObjectList<KubeObjectLike>>;
  /** A watch (as `GET <collection>?watch=true`); ends when `signal` aborts or the server ends it. */
  watch(req: InProcessWatchRequest): AsyncIterable<WatchEvent<KubeObjectLike>>;
}
