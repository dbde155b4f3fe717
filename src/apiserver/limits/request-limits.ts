/**
 * The abuse limits of one API server, in the order a request meets them:
 *
 *   connection ─▶ TLS handshake and headers within --read-header-timeout (slow-loris; Node's listener options)
 *              ─▶ authn ─▶ admit(): long-running? ─▶ watch: the per-user watch cap (watch-limit.ts)
 *                                                └▶ others: max in-flight (max-in-flight.ts) + request timeout
 *              ─▶ body read with the 3 MiB cap (request-body.ts) ─▶ decode with the depth cap (json-depth.ts)
 *              ─▶ store with etcd's 1.5 MiB object cap (object-size.ts)
 *
 * The request timeout (`--request-timeout`, default 60 s, as upstream) covers receiving the body and handling
 * the request, and applies only to requests that are not long-running, so watches and streams are never cut.
 * Upstream answers 504 `Timeout: request did not complete within the allotted timeout`; a request whose body
 * has not fully arrived by then is the client's fault, and kubeling answers it 408 instead of a 5xx.
 * Refusals here are Status objects; `Connection: close` goes with any answer that leaves a big body unread.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from '../auth/tokens.ts';
import { sendStatus } from '../http.ts';
import { ApiError, toStatus } from '../status.ts';
import { isLongRunning, type RequestShape } from './long-running.ts';
import { MaxInFlightLimiter } from './max-in-flight.ts';
import { WatchLimiter } from './watch-limit.ts';

export interface LimitsConfig {
  /** --max-requests-inflight (default 400; 0: no limit). */
  maxRequestsInflight?: number;
  /** --max-mutating-requests-inflight (default 200; 0: no limit). */
  maxMutatingRequestsInflight?: number;
  /** --max-watches-per-user (default 1000; 0: no limit). */
  maxWatchesPerUser?: number;
  /** --request-timeout for requests that are not long-running (default 60 s; 0: none). */
  requestTimeoutMs?: number;
  /** Time for the TLS handshake and for a request's headers to arrive (default 32 s, upstream's ReadHeaderTimeout). */
  readHeaderTimeoutMs?: number;
  /** How often Node looks for connections past the header timeout (default 1 s). */
  connectionsCheckingIntervalMs?: number;
  /** How long an idle keep-alive connection stays open (default 65 s). */
  keepAliveTimeoutMs?: number;
}

export const TOO_MANY_REQUESTS_MESSAGE = 'Too many requests, please try again later.';
export const TIMEOUT_MESSAGE = 'Timeout: request did not complete within the allotted timeout';

/** The 429 of the max-in-flight filter, with `Retry-After: 1` (retryAfterSeconds in the Status too). */
export function tooManyRequests(message = TOO_MANY_REQUESTS_MESSAGE): ApiError {
  return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds: 1 });
}

/** Options for `https.createServer` that bound slow clients (see LimitsConfig). */
export function listenerOptions(config: LimitsConfig = {}) {
  const readHeaderTimeoutMs = config.readHeaderTimeoutMs ?? 32_000;
  return {
    headersTimeout: readHeaderTimeoutMs,
    handshakeTimeout: readHeaderTimeoutMs,
    // The request timeout is ours (per request kind, below); Node's would cut streaming uploads it cannot tell apart.
    requestTimeout: 0,
    connectionsCheckingInterval: config.connectionsCheckingIntervalMs ?? 1000,
    keepAliveTimeout: config.keepAliveTimeoutMs ?? 65_000,
  };
}

export class RequestLimits {
  readonly #inFlight: MaxInFlightLimiter;
  readonly #watches: WatchLimiter;
  readonly #timeoutMs: number;
  readonly #release = new WeakMap<IncomingMessage, () => void>();

  constructor(config: LimitsConfig = {}) {
    this.#inFlight = new MaxInFlightLimiter({ nonMutating: config.maxRequestsInflight, mutating: config.maxMutatingRequestsInflight });
    this.#watches = new WatchLimiter({ maxPerUser: config.maxWatchesPerUser });
    this.#timeoutMs = config.requestTimeoutMs ?? 60_000;
  }

  get inFlight() {
    return this.#inFlight.inFlight;
  }

  openWatches(user: string): number {
    return this.#watches.open(user);
  }

  /**
   * Admits an authenticated request, or answers it (429) and returns false. An admitted watch holds its
   * watch slot until its response closes; any other request holds its in-flight slot until `done(req)` and
   * runs under the request timeout.
   */
  admit(req: IncomingMessage, res: ServerResponse, user: User, info: RequestShape | undefined): boolean {
    const shape = info ?? { verb: nonResourceVerb(req.method), subresource: '' };
    if (isLongRunning(shape)) {
      if (shape.verb !== 'watch') return true;
      const release = this.#watches.tryAcquire(user.name, user.groups);
      if (!release) {
        refuse(req, res, tooManyRequests(`${TOO_MANY_REQUESTS_MESSAGE} (user "${user.name}" has ${this.#watches.maxPerUser} open watches, the most --max-watches-per-user allows)`));
        return false;
      }
      res.once('close', release);
      return true;
    }
    const release = this.#inFlight.tryAcquire(shape.verb, user.groups);
    if (!release) {
      refuse(req, res, tooManyRequests());
      return false;
    }
    this.#release.set(req, release);
    if (this.#timeoutMs > 0) this.#armTimeout(req, res);
    return true;
  }

  /** The handler of `req` returned: its in-flight slot is free again. */
  done(req: IncomingMessage): void {
    this.#release.get(req)?.();
    this.#release.delete(req);
  }

  #armTimeout(req: IncomingMessage, res: ServerResponse): void {
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      const err = req.complete
        ? new ApiError(504, 'Timeout', TIMEOUT_MESSAGE, { retryAfterSeconds: 0 })
        : new ApiError(408, 'Timeout', 'Timeout: the request body did not arrive within the allotted timeout');
      res.setHeader('Connection', 'close');
      sendStatus(res, toStatus(err));
    }, this.#timeoutMs);
    res.once('close', () => clearTimeout(timer));
  }
}

/** Bodies up to this size are drained after a refusal (the connection stays open); bigger ones close it. */
const DRAIN_LIMIT = 64 * 1024;

function refuse(req: IncomingMessage, res: ServerResponse, err: ApiError): void {
  res.setHeader('Retry-After', '1');
  // The body is not read: Node drains it to keep the connection, which is fine for a small one; a big or
  // chunked one closes the connection instead. (Closing after every 429 would cost a new TLS handshake per
  // retry, more load on a server that is already full.)
  const length = Number(req.headers['content-length'] ?? 0);
  if (req.headers['transfer-encoding'] !== undefined || !(length <= DRAIN_LIMIT)) res.setHeader('Connection', 'close');
  sendStatus(res, toStatus(err));
}

/** A non-resource request's verb: its method, lower case (HEAD reads like GET). */
function nonResourceVerb(method: string | undefined): string {
  const m = (method ?? 'GET').toLowerCase();
  return m === 'head' ? 'get' : m;
}
