/**
 * Auditing one request, as upstream's WithAuditInit and WithAudit filters do. `beginAudit` runs first for
 * every request: it takes the client's `Audit-ID` header or makes a UUID, sends it back as `Audit-Id` (with
 * or without a policy, as upstream) and, when auditing is on, watches the request and its response:
 *
 *   begin ─▶ authorized(attrs, decision) ─▶ RequestReceived
 *        (policy decided here)           ─▶ ResponseStarted   when a long-running response (watch, log, exec,
 *                                                               attach, portforward, proxy) sends its headers
 *                                        ─▶ ResponseComplete  when the response is closed
 *                                        ─▶ Panic             instead, when the handler threw
 *
 * The body is seen as it arrives (the HTTP parser's pushes) and the answer as it is written, so no handler
 * changes: the request object is decoded (JSON, YAML or protobuf) only for the levels that need it, the
 * response object only at RequestResponse and never for long-running responses. A request that fails
 * authentication never reaches `authorized` and is logged when it closes, with no user, as upstream does.
 * Annotations (`authorization.k8s.io/decision` and `/reason` here; admission adds its own through the
 * request context's `auditAnnotations`, which is this object's map) go on every later stage's event.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import type { Attributes, AuthorizationResult } from '../authz/authorizer.ts';
import type { User } from '../auth/tokens.ts';
import { parseObjectBody } from '../http.ts';
import { parseResourcePath } from '../request-info.ts';
import { auditUser, buildEvent, completeRef, responseStatusOf, type ObjectReference, type ResponseStatus } from './event.ts';
import type { AuditSink } from './log-file.ts';
import { levelAtLeast, levelFor, type Policy, type RequestAuditConfig, type Stage } from './policy.ts';

export interface AuditorConfig {
  policy: Policy;
  sink: AuditSink;
  now?: () => number;
}

/** Subresources whose responses stream (upstream's long-running request check). */
const LONG_RUNNING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);
/** Bodies bigger than this are not kept for the event (the API refuses requests above 3 MiB anyway). */
const MAX_CAPTURE_BYTES = 16 * 1024 * 1024;
/** At Metadata level a response is read only to find a Status in it; bigger ones are lists, not Statuses. */
const MAX_STATUS_BYTES = 64 * 1024;
const MAX_USER_AGENT = 1024;

export class Auditor {
  readonly #policy: Policy;
  readonly #sink: AuditSink;
  readonly #now: () => number;

  constructor(config: AuditorConfig) {
    this.#policy = config.policy;
    this.#sink = config.sink;
    this.#now = config.now ?? Date.now;
  }

  /** Starts auditing a request answered through `res`. */
  begin(req: IncomingMessage, res: ServerResponse, auditID: string): RequestAudit {
    return new RequestAudit({ req, auditID, policy: this.#policy, sink: this.#sink, now: this.#now, output: { kind: 'response', res } });
  }

  /** Starts auditing an upgrade request (exec, attach, port-forward over WebSocket or SPDY), answered on `socket`. */
  beginUpgrade(req: IncomingMessage, socket: Duplex): RequestAudit {
    return new RequestAudit({ req, auditID: auditIdOf(req), policy: this.#policy, sink: this.#sink, now: this.#now, output: { kind: 'socket', socket } });
  }
}

/** The client's `Audit-ID` header when it sent one, else a new UUID. */
export function auditIdOf(req: IncomingMessage): string {
  const given = req.headers['audit-id'];
  const id = Array.isArray(given) ? given[0] : given;
  return id && id.trim() ? id.trim() : randomUUID();
}

/**
 * Gives the request its audit ID and sends it as the `Audit-Id` response header (always, as upstream), and
 * starts auditing it when an auditor is configured.
 */
export function beginAudit(auditor: Auditor | undefined, req: IncomingMessage, res: ServerResponse): RequestAudit | undefined {
  const id = auditIdOf(req);
  res.setHeader('Audit-Id', id);
  return auditor?.begin(req, res, id);
}

interface RequestAuditOptions {
  req: IncomingMessage;
  auditID: string;
  policy: Policy;
  sink: AuditSink;
  now: () => number;
  output: { kind: 'response'; res: ServerResponse } | { kind: 'socket'; socket: Duplex };
}

export class RequestAudit {
  readonly auditID: string;
  /** Annotations for the event (`key: value`); anything may add to it until the response is complete. */
  readonly annotations: Record<string, string> = {};
  readonly #o: RequestAuditOptions;
  readonly #receivedAt: number;
  #config: RequestAuditConfig | undefined;
  #attrs: Attributes | undefined;
  #requestor: User | undefined;
  #impersonated: User | undefined;
  #longRunning = false;
  #requestBody: Buffer[] = [];
  #requestBytes = 0;
  #responseBody: Buffer[] = [];
  #responseBytes = 0;
  #code = 0;
  #started = false;
  #done = false;

  constructor(o: RequestAuditOptions) {
    this.#o = o;
    this.auditID = o.auditID;
    this.#receivedAt = o.now();
    this.#watchRequestBody();
    if (o.output.kind === 'response') this.#watchResponse(o.output.res);
    else this.#watchSocket(o.output.socket);
  }

  /**
   * The authorization step's attributes and result: records the decision annotations, decides the level
   * from the policy and writes RequestReceived. Called once, right after the authorizer answers.
   */
  authorized(attrs: Attributes, result: AuthorizationResult): void {
    this.annotations['authorization.k8s.io/decision'] = result.decision === 'Allow' ? 'allow' : 'forbid';
    this.annotations['authorization.k8s.io/reason'] = result.reason;
    this.#decide(attrs);
    this.#emit('RequestReceived');
  }

  /** The request acts as `impersonated` on behalf of `requestor` (the event's `user` stays the requestor). */
  impersonating(requestor: User, impersonated: User): void {
    this.#requestor = requestor;
    this.#impersonated = impersonated;
  }

  /** The handler threw: one Panic event with a 500 instead of ResponseComplete. */
  panic(err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#code = 500;
    this.#emit('Panic', { metadata: {}, status: 'Failure', message: `APIServer panic'd: ${String(err)}`, reason: 'InternalError', code: 500 });
  }

  #decide(attrs: Attributes): void {
    // Upstream's request info names `proxy` as the subresource of `services/x/proxy/some/path`.
    const subresource = attrs.subresource.split('/')[0]!;
    this.#attrs = { ...attrs, subresource };
    // The policy is about who asked, also when the request acts as someone else.
    this.#config = levelFor(this.#o.policy, this.#requestor ? { ...this.#attrs, user: this.#requestor } : this.#attrs);
    this.#longRunning = attrs.verb === 'watch' || (attrs.resourceRequest && LONG_RUNNING_SUBRESOURCES.has(subresource)) || this.#o.output.kind === 'socket';
    if (this.#config.level === 'None') {
      this.#requestBody = [];
      this.#responseBody = [];
    }
  }

  #watchRequestBody(): void {
    const req = this.#o.req;
    if (req.method === 'GET' || req.method === 'HEAD') return;
    // The HTTP parser pushes each body chunk into the request stream; seeing the pushes leaves the stream's
    // flow (and the handler's reading of it) untouched.
    const push = req.push.bind(req);
    req.push = (chunk: unknown, encoding?: BufferEncoding) => {
      if (Buffer.isBuffer(chunk) && this.#config?.level !== 'None' && this.#requestBytes + chunk.length <= MAX_CAPTURE_BYTES) {
        this.#requestBody.push(chunk);
        this.#requestBytes += chunk.length;
      }
      return push(chunk, encoding);
    };
  }

  #watchResponse(res: ServerResponse): void {
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      const r = writeHead(...args);
      this.#code = res.statusCode;
      this.#responseStarted();
      return r;
    }) as typeof res.writeHead;
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      this.#captureResponse(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') this.#captureResponse(chunk);
      return end(chunk, ...rest);
    }) as typeof res.end;
    res.once('close', () => {
      this.#code ||= res.statusCode;
      this.#complete();
    });
  }

  #watchSocket(socket: Duplex): void {
    const seen = (chunk: unknown) => {
      if (this.#code !== 0 || chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const text = Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, Math.min(chunk.length, MAX_STATUS_BYTES)) : String(chunk);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return;
      this.#code = Number(m[1]);
      const bodyAt = text.indexOf('\r\n\r\n');
      if (this.#code >= 300 && bodyAt >= 0) this.#captureResponse(Buffer.from(text.slice(bodyAt + 4), 'latin1'));
      this.#responseStarted();
    };
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      seen(chunk);
      return write(chunk, ...rest);
    }) as typeof socket.write;
    const end = socket.end.bind(socket) as (...args: unknown[]) => Duplex;
    socket.end = ((chunk?: unknown, ...rest: unknown[]) => {
      seen(chunk);
      return end(chunk, ...rest);
    }) as typeof socket.end;
    socket.once('close', () => this.#complete());
  }

  #captureResponse(chunk: unknown): void {
    if (chunk === undefined || chunk === null || this.#config?.level === 'None' || (this.#longRunning && this.#code < 300)) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;
    const limit = this.#config && !levelAtLeast(this.#config.level, 'RequestResponse') ? MAX_STATUS_BYTES : MAX_CAPTURE_BYTES;
    if (!buf || this.#responseBytes + buf.length > limit) {
      // Too big to keep (at Metadata and Request only a Status is looked for, and a Status is small).
      this.#responseBody = [];
      this.#responseBytes = Infinity;
      return;
    }
    this.#responseBody.push(buf);
    this.#responseBytes += buf.length;
  }

  #responseStarted(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#longRunning) this.#emit('ResponseStarted', { metadata: {}, code: this.#code });
  }

  #complete(): void {
    if (this.#done) return;
    this.#done = true;
    if (!this.#config) {
      // Never authorized: authentication failed (or a path answered before it, which is not audited).
      if (this.#code !== 401) return;
      this.#decide(this.#unauthenticatedAttrs());
      const auth = this.#o.req.headers.authorization;
      const message = auth ? `Authentication failed, attempted: ${auth.split(/\s+/)[0]!.toLowerCase()}` : 'Authentication failed, no credentials provided';
      this.#emit('ResponseStarted', { metadata: {}, message, code: 401 });
      return;
    }
    this.#emit('ResponseComplete', this.#responseStatus());
  }

  #unauthenticatedAttrs(): Attributes {
    const req = this.#o.req;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://localhost');
    const info = parseResourcePath(method, url.pathname, url.searchParams);
    const user = { name: '', groups: [] };
    if (!info) return { user, verb: method.toLowerCase(), resourceRequest: false, namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '', path: url.pathname };
    return {
      user, verb: info.verb === 'connect' ? method.toLowerCase() : info.verb, resourceRequest: true, namespace: info.namespace, apiGroup: info.group,
      apiVersion: info.version, resource: info.resource, subresource: info.subresource, name: info.name, path: url.pathname,
    };
  }

  #responseStatus(): ResponseStatus {
    const level = this.#config!.level;
    const body = this.#responseBody;
    if (body.length === 0 || (!levelAtLeast(level, 'RequestResponse') && this.#responseBytes > MAX_STATUS_BYTES)) return responseStatusOf(this.#code, undefined);
    return responseStatusOf(this.#code, this.#parsedResponse());
  }

  /** The response object for the event: never a long-running response's stream. */
  #responseObject(): unknown {
    return this.#longRunning ? undefined : this.#parsedResponse();
  }

  #parsedResponse(): unknown {
    if (this.#responseBody.length === 0) return undefined;
    try {
      return JSON.parse(Buffer.concat(this.#responseBody).toString('utf8'));
    } catch {
      return undefined;
    }
  }

  #requestObject(): unknown {
    if (this.#requestBody.length === 0) return undefined;
    const body = Buffer.concat(this.#requestBody);
    const contentType = this.#o.req.headers['content-type'];
    try {
      if (this.#attrs?.verb === 'patch') {
        // A patch is logged as sent (JSON patch, merge patch, apply configuration), not as an object.
        const text = body.toString('utf8');
        return contentType?.includes('yaml') ? parseYaml(text) : JSON.parse(text);
      }
      return parseObjectBody(body, contentType);
    } catch {
      return undefined;
    }
  }

  #emit(stage: Stage, responseStatus?: ResponseStatus): void {
    const config = this.#config;
    const attrs = this.#attrs;
    if (!config || !attrs || config.level === 'None' || config.omitStages.has(stage)) return;
    const final = stage === 'ResponseComplete' || stage === 'Panic';
    const requestObject = final && attrs.resourceRequest ? this.#requestObject() : undefined;
    let objectRef: ObjectReference | undefined;
    if (attrs.resourceRequest) {
      objectRef = {
        resource: attrs.resource, namespace: attrs.namespace, name: attrs.name, apiGroup: attrs.apiGroup, apiVersion: attrs.apiVersion, subresource: attrs.subresource,
      };
      if (requestObject !== undefined && attrs.verb !== 'patch') objectRef = completeRef(objectRef, requestObject);
    }
    const req = this.#o.req;
    const userAgent = req.headers['user-agent'] ?? '';
    const event = buildEvent({
      level: config.level,
      auditID: this.auditID,
      stage,
      requestURI: req.url ?? '/',
      verb: attrs.verb,
      user: auditUser(this.#requestor ?? (attrs.user.name ? attrs.user : undefined)),
      ...(this.#impersonated ? { impersonatedUser: auditUser(this.#impersonated) } : {}),
      sourceIPs: sourceIPs(req),
      userAgent: userAgent.length > MAX_USER_AGENT ? `${userAgent.slice(0, MAX_USER_AGENT)}...TRUNCATED` : userAgent,
      objectRef,
      responseStatus,
      requestObject,
      responseObject: stage === 'ResponseComplete' && levelAtLeast(config.level, 'RequestResponse') ? this.#responseObject() : undefined,
      omitManagedFields: config.omitManagedFields,
      requestReceivedAt: this.#receivedAt,
      stageAt: this.#o.now(),
      annotations: stage === 'RequestReceived' ? {} : this.annotations,
    });
    this.#o.sink.write(event);
  }
}

/** X-Forwarded-For's addresses, then X-Real-Ip, then the peer, without repeats (utilnet.SourceIPs). */
export function sourceIPs(req: IncomingMessage): string[] {
  const out: string[] = [];
  const add = (ip: string | undefined) => {
    const v = ip?.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    if (v && !out.includes(v)) out.push(v);
  };
  const forwarded = req.headers['x-forwarded-for'];
  for (const part of (Array.isArray(forwarded) ? forwarded.join(',') : forwarded ?? '').split(',')) add(part);
  const realIp = req.headers['x-real-ip'];
  add(Array.isArray(realIp) ? realIp[0] : realIp);
  add(req.socket?.remoteAddress);
  return out;
}
