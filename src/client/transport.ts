/**
 * The HTTP layer of the client: bearer-token auth, the cluster's CA (or no verification when asked), JSON in
 * and out, and raw streaming responses for watch. Everything above it (resources, watch, informers) speaks
 * through `request` and `stream`.
 *
 * Connections: client-go multiplexes everything over one HTTP/2 connection; over HTTP/1.1 we keep a bounded
 * pool instead. Short requests share at most `maxSockets` keep-alive sockets (a burst queues for a free socket
 * rather than opening, and TLS-handshaking, hundreds); long-lived streams (watches, logs) each hold a socket of
 * a second, unbounded pool so they can never starve the short ones. Both pools use one TLS secure context,
 * made once per transport: Node would otherwise parse the CA into a new context for every connection.
 * Every request first waits on the client's token bucket (QPS/burst, client-go's rate limiter).
 *
 * Failover (`servers`, several API servers of one cluster, as k3s's agent load balancer keeps them): requests
 * go to one server until a connection to it fails; then the transport moves on to the next in the list and
 * stays there. A request that never reached the server (connection refused, no route) is sent to the next
 * one at once, and so is a GET (watches included) whose connection broke; a write whose connection broke
 * fails, as it may have been applied, and its caller retries as after any error.
 */
import type { InProcessReads } from './in-process.ts';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Clock } from '../machinery/index.ts';
import { ApiError } from './errors.ts';
import { TokenBucket } from './rate-limiter.ts';

/** client-go's rest.Config defaults for components: QPS 50, burst 100. */
export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;
/** Keep-alive sockets for short requests per server. */
export const DEFAULT_MAX_SOCKETS = 32;

export interface ClientConfig {
  /** Base URL of the API server, e.g. `https://127.0.0.1:6443`. `http:` works too (tests, proxies). */
  server: string;
  /** More API servers of the same cluster (same CA) to fail over to, tried in order after `server`. */
  servers?: string[];
  /** Bearer token sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** PEM of the CA that signed the server's certificate. */
  caData?: string | Buffer;
  /** PEM client certificate and key (kubeconfig's `client-certificate-data` / `client-key-data`). */
  certData?: string | Buffer;
  keyData?: string | Buffer;
  /** Accept any server certificate (kubeconfig's `insecure-skip-tls-verify`). */
  insecureSkipTlsVerify?: boolean;
  /** Sent as `User-Agent`; components put their name here (`kubeling-scheduler`). */
  userAgent?: string;
  /** Client-side rate limit: requests per second (default 50; 0 = unlimited) and burst (default 100). */
  qps?: number;
  burst?: number;
  /** Sockets for short requests (default 32); watches and other streams do not count against it. */
  maxSockets?: number;
  /** Time for the rate limiter (tests). */
  clock?: Clock;
  /**
   * Told about every request sent: its method, the server's host:port and the answer's status code (`<error>`
   * when none came), what client-go counts as `rest_client_requests_total`.
   */
  requestObserver?: (request: { method: string; host: string; code: string }) => void;
  /**
   * Lists and watches answered by the API server of this very process (in-process.ts): what the informers
   * of `kubeling server`'s components use, sharing the server's cached objects instead of decoding copies.
   */
  inProcess?: InProcessReads;
  /**
   * Opens a connection to the API server of this very process (its `connectInProcess`): every request then
   * goes over such in-memory connections as plain HTTP/1.1, without TLS or a kernel socket, still carrying
   * its token. `server` stays what the client names in errors and metrics; `servers` and the CA are unused.
   */
  connect?: () => Duplex;
}

export interface RequestOptions {
  method: string;
  /** Path below the server URL, starting with `/`. */
  path: string;
  /** Query parameters; `undefined` values are left out, arrays repeat the key. */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** A value to send as JSON (or a string sent as is). */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** Errors of a connection that could not be made: the request was never sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/** Errors of a connection that broke: the server may be gone. */
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

function errorCode(err: unknown): string {
  return typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
}

export class Transport {
  readonly #servers: URL[];
  #current = 0;
  readonly #config: ClientConfig;
  readonly #agent: http.Agent;
  readonly #streamAgent: http.Agent;
  readonly #mod: typeof http | typeof https;
  readonly #limiter: TokenBucket;

  /** The in-process reads of this client's identity (ClientConfig.inProcess), if any. */
  get inProcess(): InProcessReads | undefined {
    return this.#config.inProcess;
  }

  constructor(config: ClientConfig) {
    if (!config.server) throw new Error('client: server URL is required');
    this.#servers = [...new Set([config.server, ...(config.servers ?? [])])].map((s) => new URL(s));
    for (const u of this.#servers) {
      if (u.protocol !== this.#servers[0]!.protocol || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
        throw new Error(`client: server URL ${u.href} must be http: or https: (all servers alike)`);
      }
    }
    this.#config = config;
    const maxSockets = config.maxSockets ?? DEFAULT_MAX_SOCKETS;
    if (!(Number.isInteger(maxSockets) && maxSockets >= 1)) throw new Error(`client: maxSockets must be an integer >= 1, got ${maxSockets}`);
    this.#limiter = new TokenBucket({ qps: config.qps ?? DEFAULT_QPS, burst: config.burst ?? DEFAULT_BURST, clock: config.clock });
    if (config.connect) {
      const connect = config.connect;
      this.#mod = http;
      this.#agent = new InProcessAgent(connect, { keepAlive: true, maxSockets });
      this.#streamAgent = new InProcessAgent(connect, { keepAlive: true });
    } else if (this.server.protocol === 'https:') {
      this.#mod = https;
      const secureContext = tls.createSecureContext({ ca: config.caData, cert: config.certData, key: config.keyData });
      const tlsOptions = { secureContext, rejectUnauthorized: !config.insecureSkipTlsVerify };
      this.#agent = new https.Agent({ keepAlive: true, maxSockets, ...tlsOptions });
      this.#streamAgent = new https.Agent({ keepAlive: true, ...tlsOptions });
    } else {
      this.#mod = http;
      this.#agent = new http.Agent({ keepAlive: true, maxSockets });
      this.#streamAgent = new http.Agent({ keepAlive: true });
    }
  }

  /** The API server requests go to now (the first of `servers` until a connection to it failed). */
  get server(): URL {
    return this.#servers[this.#current]!;
  }

  /** The client-side rate limit in force (`qps` 0 = none). */
  get rateLimit(): { qps: number; burst: number } {
    return { qps: this.#limiter.qps, burst: this.#limiter.burst };
  }

  url(path: string, query?: RequestOptions['query']): string {
    const base = this.server.pathname.replace(/\/$/, '');
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) params.append(k, item);
      else params.append(k, String(v));
    }
    const qs = params.toString();
    return `${base}${path}${qs ? `?${qs}` : ''}`;
  }

  /**
   * Sends a request (after the rate limiter lets it) and resolves with the response, whatever its code; the
   * caller reads or drains the body. `streaming` puts it on the stream pool (watch, follow).
   */
  async open(opts: RequestOptions, accept = 'application/json', streaming = false): Promise<http.IncomingMessage> {
    await this.#limiter.wait(opts.signal);
    return this.#sendWithFailover(opts, accept, streaming ? this.#streamAgent : this.#agent);
  }

  async #sendWithFailover(opts: RequestOptions, accept: string, agent: http.Agent): Promise<http.IncomingMessage> {
    for (let tried = 1; ; tried++) {
      const index = this.#current;
      try {
        return await this.#send(opts, accept, agent, this.#servers[index]!);
      } catch (err) {
        const code = errorCode(err);
        const failed = NOT_SENT.has(code) || BROKEN.has(code);
        if (this.#servers.length < 2 || opts.signal?.aborted || !failed) throw err;
        // Another request may have moved on already; move only from the server this one used.
        if (this.#current === index) this.#current = (index + 1) % this.#servers.length;
        const resend = NOT_SENT.has(code) || opts.method === 'GET';
        if (!resend || tried >= this.#servers.length) throw err;
      }
    }
  }

  #send(opts: RequestOptions, accept: string, agent: http.Agent, server: URL): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = { Accept: accept };
    if (this.#config.token) headers.Authorization = `Bearer ${this.#config.token}`;
    if (this.#config.userAgent) headers['User-Agent'] = this.#config.userAgent;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      const observe = this.#config.requestObserver;
      const req = this.#mod.request(
        {
          protocol: this.#mod === http ? 'http:' : 'https:',
          hostname: server.hostname.replace(/^\[|\]$/g, ''),
          port: server.port,
          method: opts.method,
          path: this.url(opts.path, opts.query),
          headers,
          agent,
          signal: opts.signal,
        },
        (res) => {
          observe?.({ method: opts.method.toUpperCase(), host: server.host, code: String(res.statusCode ?? '<error>') });
          resolve(res);
        },
      );
      req.on('error', (err) => {
        observe?.({ method: opts.method.toUpperCase(), host: server.host, code: '<error>' });
        reject(err);
      });
      req.end(payload);
    });
  }

  /** A JSON request: resolves with the parsed body of a 2xx answer, throws `ApiError` otherwise. */
  async request<R = unknown>(opts: RequestOptions): Promise<R> {
    const res = await this.open(opts);
    const body = await readBody(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw ApiError.fromResponse(code, body, opts.method, opts.path);
    if (body === '') return undefined as R;
    try {
      return JSON.parse(body) as R;
    } catch (err) {
      throw new Error(`client: ${opts.method} ${opts.path}: answer is not JSON: ${body.slice(0, 200)}`, { cause: err });
    }
  }

  /** A request whose 2xx body is returned as text (logs); throws `ApiError` otherwise. */
  async requestText(opts: RequestOptions): Promise<string> {
    const res = await this.open(opts, '*/*');
    const body = await readBody(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw ApiError.fromResponse(code, body, opts.method, opts.path);
    return body;
  }

  /** A request whose body is read as a stream (watch, logs); throws `ApiError` on a non-2xx answer. */
  async stream(opts: RequestOptions, accept = 'application/json'): Promise<http.IncomingMessage> {
    const res = await this.open(opts, accept, true);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) {
      const body = await readBody(res);
      throw ApiError.fromResponse(code, body, opts.method, opts.path);
    }
    return res;
  }

  /** Closes idle keep-alive sockets; open watches end when their signals abort. */
  close(): void {
    this.#agent.destroy();
    this.#streamAgent.destroy();
  }
}

/**
 * An agent whose connections are in-process ones (ClientConfig.connect), pooled and kept alive as sockets are.
 * The agent treats its connections as sockets (keep-alive, ref/unref, timeouts): an in-memory one has none of
 * that, holds nothing that keeps the process alive, and takes those calls as no-ops.
 */
class InProcessAgent extends http.Agent {
  readonly #connect: () => Duplex;

  constructor(connect: () => Duplex, options: http.AgentOptions) {
    super(options);
    this.#connect = connect;
  }

  override createConnection(): Duplex {
    const connection = this.#connect();
    return Object.assign(connection, {
      setKeepAlive: () => connection, setNoDelay: () => connection, setTimeout: () => connection, ref: () => connection, unref: () => connection,
    });
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
