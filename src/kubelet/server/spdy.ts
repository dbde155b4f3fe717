/**
 * The SPDY/3.1 framing shared by the kubelet's streaming endpoints (port-forward.ts, remote-command-spdy.ts),
 * done by spdy-transport. client-go's SPDY client (moby/spdystream) sends SYN_STREAM frames without the
 * `:method` and `:path` headers spdy-transport insists on, so its header parser is wrapped once to fill them in.
 */
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);

export interface SpdyStream extends Duplex {
  headers: Record<string, string>;
  respond(status: number, headers: Record<string, string>): void;
}

export interface SpdyConnection {
  start(version: number): void;
  on(event: 'stream', fn: (s: SpdyStream) => void): void;
  on(event: 'error' | 'close', fn: (err?: Error) => void): void;
  request(
    options: { method: string; path: string; host?: string; headers: Record<string, string> },
    cb: (err: Error | null, stream: SpdyStream) => void,
  ): SpdyStream;
  end(): void;
}

interface SpdyTransport {
  connection: { create(socket: Duplex, opts: { protocol: string; isServer: boolean }): SpdyConnection };
}

let transport: SpdyTransport | undefined;

/** spdy-transport, with its header parser accepting client-go's SYN_STREAM frames. */
export function spdy(): SpdyTransport {
  if (transport) return transport;
  transport = require('spdy-transport') as SpdyTransport;
  type ParseKVs = (buffer: unknown, cb: (err: Error | null, headers?: Record<string, string>) => void) => void;
  // The SPDY parser class is not exported; its prototype is reachable through an instance.
  const parser = require('spdy-transport/lib/spdy-transport/protocol/spdy/parser.js') as { create(o: object): object };
  const proto = Object.getPrototypeOf(parser.create({})) as { parseKVs: ParseKVs };
  const original = proto.parseKVs;
  proto.parseKVs = function (this: unknown, buffer, cb) {
    original.call(this, buffer, (err, headers) => {
      if (headers) {
        headers[':method'] ??= 'POST';
        headers[':path'] ??= '/';
      }
      cb(err, headers);
    });
  };
  return transport;
}

/** What spdy-transport keeps of a side of a stream's flow-control window. */
interface WindowSide {
  current: number;
  max: number;
}

/** Far more than one stream sends (2^30 bytes), far below the window's overflow limit (2^31-1). */
const UNLIMITED_WINDOW = 2 ** 30;

/**
 * A SPDY/3.1 server connection over an upgraded socket (`head`: bytes that arrived with the request).
 * client-go's spdystream never sends WINDOW_UPDATE frames (it does no flow control), so with spdy-transport's
 * 64 KiB initial send window every stream would stall after 64 KiB of output; each stream the client opens
 * gets a send window no stream fills instead, and so does the session (upstream's kubelet, spdystream too, sends without limit).
 */
export function spdyServer(socket: Duplex, head?: Buffer): SpdyConnection {
  if (head?.length) socket.unshift(head);
  const conn = spdy().connection.create(socket, { protocol: 'spdy', isServer: true });
  conn.start(3.1);
  const unlimited = (o: unknown) => {
    const side = (o as { _spdyState?: { window?: { send?: WindowSide } } })._spdyState?.window?.send;
    if (side) {
      side.max = UNLIMITED_WINDOW;
      side.current = UNLIMITED_WINDOW;
    }
  };
  // The session's window (SPDY/3.1) and each stream's.
  unlimited(conn);
  conn.on('stream', unlimited);
  return conn;
}
