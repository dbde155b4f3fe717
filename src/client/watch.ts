/**
 * Watch streams: `GET <collection>?watch=true` answered with one JSON `{type, object}` per line (chunked),
 * read as an async iterable. The iteration ends quietly when the caller's signal aborts or the server closes
 * the stream; an `ERROR` event (or an HTTP error such as 410) throws `ApiError`.
 */
import { ApiError, type Status } from './errors.ts';
import type { Transport } from './transport.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: Exclude<WatchEventType, 'ERROR'>;
  object: T;
}

export interface WatchOptions {
  /** Start after this resource version (a list's RV); empty means "from now, with synthetic ADDED events". */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  /** Ask the server to end the stream after this long (clients then watch again from the last RV). */
  timeoutSeconds?: number;
}

export async function* watchStream<T>(
  transport: Transport,
  path: string,
  opts: WatchOptions,
  signal?: AbortSignal,
): AsyncGenerator<WatchEvent<T>> {
  if (signal?.aborted) return;
  // Our own controller so that leaving the loop early (break/return) also tears the connection down.
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let res;
    try {
      res = await transport.stream({
        method: 'GET',
        path,
        query: {
          watch: 'true',
          resourceVersion: opts.resourceVersion || undefined,
          labelSelector: opts.labelSelector || undefined,
          fieldSelector: opts.fieldSelector || undefined,
          allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
          timeoutSeconds: opts.timeoutSeconds,
        },
        signal: ac.signal,
      });
    } catch (err) {
      if (ac.signal.aborted) return;
      throw err;
    }
    res.setEncoding('utf8');
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += chunk as string;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) yield parseEvent<T>(line);
        }
      }
    } catch (err) {
      if (ac.signal.aborted) return;
      // A server that goes away mid-stream (restart, network) ends the watch like a close: the caller
      // watches again from its last RV or lists again.
      if (isConnectionReset(err)) return;
      throw err;
    }
    const rest = buffered.trim();
    if (rest) yield parseEvent<T>(rest);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    ac.abort();
  }
}

function parseEvent<T>(line: string): WatchEvent<T> {
  let ev: { type?: string; object?: unknown };
  try {
    ev = JSON.parse(line);
  } catch (err) {
    throw new Error(`watch: malformed event line: ${line.slice(0, 200)}`, { cause: err });
  }
  if (ev.type === 'ERROR') {
    const status = (ev.object ?? {}) as Status;
    throw new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', ...status });
  }
  if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') {
    throw new Error(`watch: unknown event type ${JSON.stringify(ev.type)}`);
  }
  return { type: ev.type, object: ev.object as T };
}

function isConnectionReset(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE';
}
