/**
 * The API server's side of `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward`: after the pod and
 * container are checked, the request goes to the kubelet of the pod's node (HTTPS, InternalIP and
 * `status.daemonEndpoints.kubeletEndpoint.Port`, paths `/containerLogs`, `/exec`, `/attach`, `/portForward`)
 * with the kubelet client token. Logs are streamed back as they arrive; upgrades (WebSocket or SPDY) are
 * proxied by relaying the kubelet's 101 answer and then piping the raw sockets both ways, so the framing is
 * entirely between kubectl and the kubelet.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Container, Node, Pod } from '../api/index.ts';
import { badRequest, ApiError, toStatus, type Status } from './status.ts';

export interface KubeletTarget {
  host: string;
  port: number;
}

/** Where a node's kubelet listens. */
export function kubeletTarget(node: Node): KubeletTarget {
  const addrs = node.status?.addresses ?? [];
  const host = addrs.find((a) => a.type === 'InternalIP')?.address ?? addrs.find((a) => a.type === 'Hostname')?.address ?? addrs[0]?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!host || !port) throw badRequest(`no preferred addresses found; known addresses: []`);
  return { host, port };
}

/**
 * The container a log/exec/attach request is for: the named one (any of containers, initContainers,
 * ephemeralContainers), or the only container when none is named.
 */
export function pickContainer(pod: Pod, container: string | null): string {
  const spec = pod.spec!;
  const all: Pick<Container, 'name'>[] = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  const name = pod.metadata?.name ?? '';
  if (!container) {
    if (spec.containers.length === 1) return spec.containers[0]!.name;
    const choices = spec.containers.map((c) => c.name).join(' ');
    const init = (spec.initContainers ?? []).map((c) => c.name);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${choices}]${init.length ? ` or one of the init containers: [${init.join(' ')}]` : ''}`);
  }
  if (!all.some((c) => c.name === container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** Headers that belong to one connection and are not forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

function headersFor(token: string, req: IncomingMessage): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (k === 'authorization' || k === 'host' || k === 'content-length') continue;
    h[k] = v;
  }
  h['authorization'] = `Bearer ${token}`;
  return h;
}

/** Streams a kubelet GET (logs) to `res`, status and body as they come. */
export function proxyStream(target: KubeletTarget, path: string, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const up = https.request(
      { host: target.host, port: target.port, path, method: 'GET', headers: headersFor(token, req), rejectUnauthorized: false },
      (kres) => {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(kres.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
        res.writeHead(kres.statusCode ?? 502, headers);
        res.flushHeaders();
        kres.pipe(res);
        kres.on('end', resolve);
        kres.on('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) {
        const status = toStatus(new ApiError(500, 'InternalError', `error dialing backend: ${err.message}`));
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(status));
      } else res.destroy();
      resolve();
    });
    // The client going away ends the kubelet request too (kubectl logs -f interrupted).
    res.on('close', () => up.destroy());
    up.end();
  });
}

/**
 * Proxies an upgrade request (exec/attach/portforward) to the kubelet. On a 101 the kubelet's response head is
 * relayed verbatim and the two sockets are piped; any other answer is relayed as a normal response.
 */
export function proxyUpgrade(target: KubeletTarget, path: string, token: string, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const up = https.request({
    host: target.host,
    port: target.port,
    path,
    method: req.method,
    headers: headersFor(token, req),
    rejectUnauthorized: false,
  });
  up.on('upgrade', (kres, ksocket, khead) => {
    let text = `HTTP/1.1 ${kres.statusCode} ${kres.statusMessage}\r\n`;
    for (let i = 0; i < kres.rawHeaders.length; i += 2) text += `${kres.rawHeaders[i]}: ${kres.rawHeaders[i + 1]}\r\n`;
    socket.write(text + '\r\n');
    if (khead.length) socket.write(khead);
    if (head.length) ksocket.write(head);
    ksocket.pipe(socket);
    socket.pipe(ksocket);
    const close = () => {
      ksocket.destroy();
      socket.destroy();
    };
    ksocket.on('error', close);
    socket.on('error', close);
    ksocket.on('close', () => socket.end());
    socket.on('close', () => ksocket.destroy());
  });
  up.on('response', (kres) => {
    // Not upgraded: pass the kubelet's answer (usually a Status) through and close.
    const chunks: Buffer[] = [];
    kres.on('data', (c: Buffer) => chunks.push(c));
    kres.on('end', () => {
      const body = Buffer.concat(chunks);
      let text = `HTTP/1.1 ${kres.statusCode} ${kres.statusMessage}\r\n`;
      text += `Content-Type: ${kres.headers['content-type'] ?? 'application/json'}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      socket.end(Buffer.concat([Buffer.from(text), body]));
    });
  });
  up.on('error', (err) => {
    writeUpgradeError(socket, toStatus(new ApiError(500, 'InternalError', `error dialing backend: ${err.message}`)));
  });
  socket.on('error', () => up.destroy());
  up.end();
}

/** Answers an upgrade request that will not be proxied with a Status and closes the socket. */
export function writeUpgradeError(socket: Duplex, status: Status): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(status);
  socket.end(`HTTP/1.1 ${status.code} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
