/**
 * The kubelet's HTTPS API (port 10250 by default), reached by the API server's pods/log, pods/exec,
 * pods/attach and pods/portforward proxies with the shared bearer token:
 *
 *   GET /healthz
 *   GET /containerLogs/{namespace}/{pod}/{container}?follow&previous&tailLines&timestamps&sinceSeconds&sinceTime&limitBytes
 *   GET /exec/{namespace}/{pod}/{container}?command=..&stdin&stdout&stderr&tty     (WebSocket, v5/v4.channel.k8s.io,
 *                                                                                   or SPDY/3.1: remote-command-spdy.ts)
 *   GET /attach/{namespace}/{pod}/{container}?stdin&stdout&stderr&tty              (WebSocket or SPDY/3.1)
 *   GET|POST /portForward/{namespace}/{pod}                                        (SPDY/3.1, see port-forward.ts)
 *   GET /portForward/{namespace}/{pod}?port=P[,P...]                               (WebSocket, v4.channel.k8s.io:
 *                                                                                   port-forward-websocket.ts)
 *   GET /stats/summary                                                             (statsapi Summary, ../stats/summary.ts)
 *   GET /metrics                                                                   (Prometheus text, ../metrics)
 *   GET /metrics/resource                                                          (the Summary's CPU and memory in
 *                                                                                   Prometheus text, ../stats/resource-metrics.ts)
 *   GET /podTimeline/{namespace}/{pod}                                             (kubeling's own: the pod's steps
 *                                                                                   on this node, ../timeline; the
 *                                                                                   API server reaches it as nodes/proxy)
 *
 * Errors are Kubernetes Status objects; log errors use the kubelet's own messages (`container "web" in pod
 * "nginx" is waiting to start: ContainerCreating`, `previous terminated container ...`), with code 400 as the
 * real kubelet answers.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { RuntimeService } from '../../runtime/runtime.ts';
import type { PodTimelineRecord } from '../../api/index.ts';
import { readLogs, type LogOptions } from '../logs/index.ts';
import {
  bridge,
  channelProtocols,
  exitStatus,
  failureStatus,
  finish,
  successStatus,
  type EarlyFrame,
} from './remote-command.ts';
import type { ServingCert } from './tls.ts';
import { servePortForward } from './port-forward.ts';
import {
  PortForwardRequestError,
  negotiatePortForwardProtocol,
  portForwardProtocols,
  portsOf,
  serveWebSocketPortForward,
} from './port-forward-websocket.ts';
import { NegotiationError, isSpdyUpgrade, negotiateSpdyProtocol, serveSpdyRemoteCommand } from './remote-command-spdy.ts';

export interface KubeletServerHost {
  /** The pod as the kubelet knows it, with its newest status (what the status manager last computed). */
  getPod(namespace: string, name: string): IPod | undefined;
}

export interface KubeletServerConfig {
  runtime: RuntimeService;
  host: KubeletServerHost;
  /** Bearer token every request must carry (the kubelet client token the server hands out). */
  token: string;
  tls: ServingCert;
  /** The statsapi Summary served at /stats/summary (404 without it). */
  summary?: () => Promise<unknown>;
  /** The kubelet's metrics in Prometheus text format, served at /metrics (404 without it). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The resource metrics in Prometheus text format, served at /metrics/resource (404 without it). */
  resourceMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** A pod's timeline on this node by namespace and name, served at /podTimeline/{namespace}/{pod} (404 without it). */
  timeline?: (namespace: string, name: string) => PodTimelineRecord | undefined;
  /** Address to listen on (default all); port 0 picks a free one. */
  address?: string;
  port?: number;
}

class HttpError extends Error {
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export class KubeletServer {
  readonly #config: KubeletServerConfig;
  readonly #server: https.Server;
  readonly #wss: WebSocketServer;
  /** Port-forward's WebSocket protocols are not exec's (no v5), so it has a server of its own. */
  readonly #portForwardWss: WebSocketServer;
  readonly #aborts = new Set<AbortController>();

  constructor(config: KubeletServerConfig) {
    if (!config.token) throw new Error('kubelet server: a bearer token is required');
    this.#config = config;
    this.#server = https.createServer({ cert: config.tls.certPem, key: config.tls.keyPem });
    this.#wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered) => channelProtocols.find((p) => offered.has(p)) ?? false,
    });
    this.#portForwardWss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered) => portForwardProtocols.find((p) => offered.has(p)) ?? false,
    });
    this.#server.on('request', (req, res) => void this.#onRequest(req, res));
    this.#server.on('upgrade', (req, socket, head) => void this.#onUpgrade(req, socket, head));
  }

  /** Listens on the configured port, or on `port` when given (0: a free one). */
  async listen(port = this.#config.port ?? 10250): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.#config.address, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const ac of this.#aborts) ac.abort();
    for (const ws of this.#wss.clients) ws.terminate();
    for (const ws of this.#portForwardWss.clients) ws.terminate();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #authorized(req: IncomingMessage): boolean {
    const got = Buffer.from(req.headers.authorization ?? '');
    const want = Buffer.from(`Bearer ${this.#config.token}`);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://kubelet');
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      if (!this.#authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (url.pathname === '/stats/summary' && req.method === 'GET' && this.#config.summary) {
        const body = JSON.stringify(await this.#config.summary());
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      }
      if (url.pathname === '/metrics' && req.method === 'GET' && this.#config.metrics) {
        const { contentType, body } = await this.#config.metrics();
        res.writeHead(200, { 'content-type': contentType }).end(body);
        return;
      }
      if (url.pathname === '/metrics/resource' && req.method === 'GET' && this.#config.resourceMetrics) {
        const { contentType, body } = await this.#config.resourceMetrics();
        res.writeHead(200, { 'content-type': contentType }).end(body);
        return;
      }
      if (parts[0] === 'podTimeline' && parts.length === 3 && req.method === 'GET' && this.#config.timeline) {
        const record = this.#config.timeline(parts[1]!, parts[2]!);
        if (!record) throw new HttpError(404, 'NotFound', `pod "${parts[2]!}" has no timeline on this node`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(record));
        return;
      }
      if (parts[0] === 'containerLogs' && parts.length === 4 && req.method === 'GET') {
        await this.#containerLogs(parts[1]!, parts[2]!, parts[3]!, url.searchParams, req, res);
        return;
      }
      if ((parts[0] === 'exec' || parts[0] === 'attach') && parts.length === 4) {
        // Only upgrades (WebSocket or SPDY) are served.
        throw new HttpError(
          400,
          'BadRequest',
          'Upgrade request required: use a WebSocket with v5.channel.k8s.io or v4.channel.k8s.io',
        );
      }
      throw new HttpError(404, 'NotFound', `the server could not find the requested resource`);
    } catch (err) {
      writeError(res, err);
    }
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    try {
      if (!this.#authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const url = new URL(req.url ?? '/', 'https://kubelet');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (parts[0] === 'portForward' && parts.length === 3) {
        const pod = this.#pod(parts[1]!, parts[2]!);
        const names = { fullName: `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}`, uid: pod.metadata?.uid ?? '' };
        if (isSpdyUpgrade(req)) {
          servePortForward(req, socket, (port) => this.#openPort(pod, port), names);
          return;
        }
        let ports: number[];
        try {
          // The protocol first: kubectl's SPDY-in-WebSocket tunnel (which it falls back from) gets upstream's 400.
          negotiatePortForwardProtocol(req.headers['sec-websocket-protocol']);
          ports = portsOf(url.searchParams);
        } catch (err) {
          if (err instanceof PortForwardRequestError) throw new HttpError(400, 'BadRequest', err.message);
          throw err;
        }
        this.#portForwardWss.handleUpgrade(req, socket, head, (ws) =>
          serveWebSocketPortForward(ws, ports, (port) => this.#openPort(pod, port), names),
        );
        return;
      }
      if ((parts[0] !== 'exec' && parts[0] !== 'attach') || parts.length !== 4)
        throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
      const spdy = isSpdyUpgrade(req);
      let protocol: string | undefined;
      if (spdy) {
        try {
          protocol = negotiateSpdyProtocol(req.headers['x-stream-protocol-version']);
        } catch (err) {
          if (err instanceof NegotiationError) throw new HttpError(err.code, err.code === 403 ? 'Forbidden' : 'BadRequest', err.message);
          throw err;
        }
      } else {
        const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
        protocol = channelProtocols.find((p) => offered.includes(p));
      }
      if (!protocol)
        throw new HttpError(
          400,
          'BadRequest',
          `unsupported streaming protocol, want one of ${channelProtocols.join(', ')}`,
        );
      const q = url.searchParams;
      const tty = q.get('tty') === 'true' || q.get('tty') === '1';
      const opts = {
        stdin: q.get('stdin') === 'true' || q.get('stdin') === '1',
        stdout: q.get('stdout') === 'true' || q.get('stdout') === '1',
        stderr: !tty && (q.get('stderr') === 'true' || q.get('stderr') === '1'),
        tty,
      };
      const command = q.getAll('command');
      if (parts[0] === 'exec' && command.length === 0)
        throw new HttpError(400, 'BadRequest', 'you must specify at least 1 command');
      const pod = this.#pod(parts[1]!, parts[2]!);
      const containerName = parts[3]!;
      const id = await this.#runningContainerId(pod, containerName);
      const kind = parts[0] as 'exec' | 'attach';
      if (spdy) {
        const rt = this.#config.runtime;
        serveSpdyRemoteCommand(
          socket,
          head,
          protocol,
          opts,
          () => (kind === 'exec' ? rt.exec(id, command, opts) : rt.attach(id, opts)),
          (code) => (kind === 'exec' ? exitStatus(code, command) : successStatus()),
        );
        return;
      }
      this.#wss.handleUpgrade(
        req,
        socket,
        head,
        (ws) => void this.#stream(ws, protocol, parts[0] as 'exec' | 'attach', id, command, opts),
      );
    } catch (err) {
      const e = toHttpError(err);
      const body = JSON.stringify(statusBody(e));
      socket.end(
        `HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }

  async #stream(
    ws: WebSocket,
    protocol: string,
    kind: 'exec' | 'attach',
    id: string,
    command: string[],
    opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
  ): Promise<void> {
    // kubectl sends the terminal size (and may send stdin) the moment the socket is up, while the runtime is
    // still starting the process: hold those frames and hand them to the bridge, or the pty stays 0x0.
    const early: EarlyFrame[] = [];
    const hold = (data: Buffer, isBinary: boolean) => early.push({ data, isBinary });
    ws.on('message', hold);
    try {
      const rt = this.#config.runtime;
      let session;
      try {
        session = kind === 'exec' ? await rt.exec(id, command, opts) : await rt.attach(id, opts);
      } finally {
        ws.off('message', hold);
      }
      await bridge(
        ws,
        protocol,
        session,
        (code) => (kind === 'exec' ? exitStatus(code, command) : successStatus()),
        early,
      );
    } catch (err) {
      finish(ws, failureStatus(err instanceof Error ? err.message : String(err)));
    }
  }

  #pod(namespace: string, name: string): IPod {
    const pod = this.#config.host.getPod(namespace, name);
    if (!pod) throw new HttpError(404, 'NotFound', `pod "${name}" not found`);
    return pod;
  }

  async #runningContainerId(pod: IPod, containerName: string): Promise<string> {
    const uid = pod.metadata?.uid ?? '';
    const known = [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []),
      ...(pod.spec?.ephemeralContainers ?? []),
    ].some((c) => c.name === containerName);
    if (!known) throw new HttpError(404, 'NotFound', `container not found ("${containerName}")`);
    const running = await this.#config.runtime.listContainers({
      state: 'CONTAINER_RUNNING',
      labelSelector: { 'io.kubernetes.pod.uid': uid, 'io.kubernetes.container.name': containerName },
    });
    if (running.length === 0)
      throw new HttpError(
        400,
        'BadRequest',
        `container ${containerName} is not valid for pod ${pod.metadata?.name ?? ''}: not running`,
      );
    return running.sort((a, b) => b.createdAt - a.createdAt)[0]!.id;
  }

  async #openPort(pod: IPod, port: number): Promise<Duplex> {
    const sandboxes = await this.#config.runtime.listPodSandbox({
      state: 'SANDBOX_READY',
      labelSelector: { 'io.kubernetes.pod.uid': pod.metadata?.uid ?? '' },
    });
    const sandbox = sandboxes.sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!sandbox) throw new Error(`pod ${pod.metadata?.name ?? ''} has no running sandbox`);
    return this.#config.runtime.portForward(sandbox.id, port);
  }

  async #containerLogs(
    namespace: string,
    name: string,
    containerName: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const pod = this.#pod(namespace, name);
    const previous = q.get('previous') === 'true';
    const id = logContainerId(pod, containerName, previous);
    const rt = this.#config.runtime;
    const status = await rt.containerStatus(id).catch(() => {
      throw new HttpError(400, 'BadRequest', `container "${containerName}" in pod "${name}" is not available`);
    });
    const opts: LogOptions = {
      follow: q.get('follow') === 'true',
      timestamps: q.get('timestamps') === 'true',
    };
    const int = (k: string): number | undefined => {
      const v = q.get(k);
      if (v === null || v === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n)) throw new HttpError(400, 'BadRequest', `invalid ${k}: ${JSON.stringify(v)}`);
      return n;
    };
    opts.tailLines = int('tailLines');
    opts.limitBytes = int('limitBytes');
    const sinceSeconds = int('sinceSeconds');
    if (sinceSeconds !== undefined) opts.sinceTime = Date.now() - sinceSeconds * 1000;
    const sinceTime = q.get('sinceTime');
    if (sinceTime) {
      const t = Date.parse(sinceTime);
      if (Number.isNaN(t)) throw new HttpError(400, 'BadRequest', `invalid sinceTime: ${JSON.stringify(sinceTime)}`);
      opts.sinceTime = t;
    }
    const ac = new AbortController();
    this.#aborts.add(ac);
    req.on('close', () => ac.abort());
    res.on('close', () => ac.abort());
    try {
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      if (opts.follow) res.flushHeaders();
      await readLogs(status.logPath, opts, res, ac.signal, {
        isRunning: async () => (await rt.containerStatus(id).catch(() => undefined))?.state === 'CONTAINER_RUNNING',
      }).catch((err: NodeJS.ErrnoException) => {
        // A container that never wrote has no file yet: an empty log.
        if (err.code !== 'ENOENT') throw err;
      });
      res.end();
    } finally {
      this.#aborts.delete(ac);
    }
  }
}

/** Which container instance's log to serve, from the pod status (the kubelet's validateContainerLogStatus). */
export function logContainerId(pod: IPod, containerName: string, previous: boolean): string {
  const podName = pod.metadata?.name ?? '';
  const statuses = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  const cs = statuses.find((s) => s.name === containerName);
  if (!cs) throw new HttpError(400, 'BadRequest', `container "${containerName}" in pod "${podName}" is not available`);
  const strip = (id: string) => id.replace(/^[a-z0-9.+-]+:\/\//, '');
  const last = cs.lastState?.terminated;
  const { running, terminated, waiting } = cs.state ?? {};
  if (previous) {
    if (!last?.containerID)
      throw new HttpError(
        400,
        'BadRequest',
        `previous terminated container "${containerName}" in pod "${podName}" not found`,
      );
    return strip(last.containerID);
  }
  if (running) return strip(cs.containerID ?? '');
  if (terminated) {
    if (terminated.containerID) return strip(terminated.containerID);
    if (last?.containerID) return strip(last.containerID);
    throw new HttpError(400, 'BadRequest', `container "${containerName}" in pod "${podName}" is terminated`);
  }
  if (last) {
    if (!last.containerID)
      throw new HttpError(400, 'BadRequest', `container "${containerName}" in pod "${podName}" is terminated`);
    return strip(last.containerID);
  }
  if (waiting) {
    const why =
      waiting.reason === 'ErrImagePull'
        ? "image can't be pulled"
        : waiting.reason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : waiting.reason;
    throw new HttpError(
      400,
      'BadRequest',
      `container "${containerName}" in pod "${podName}" is waiting to start: ${why}`,
    );
  }
  throw new HttpError(
    400,
    'BadRequest',
    `container "${containerName}" in pod "${podName}" is waiting to start - no logs yet`,
  );
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  return new HttpError(500, 'InternalError', err instanceof Error ? err.message : String(err));
}

function statusBody(e: HttpError) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: e.message,
    reason: e.reason,
    code: e.code,
  };
}

function writeError(res: ServerResponse, err: unknown): void {
  const e = toHttpError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(e.code, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(e)));
}
