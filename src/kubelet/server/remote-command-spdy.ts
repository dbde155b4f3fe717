/**
 * exec and attach over SPDY/3.1, the protocol of client-go's SPDY executor (kubectl before 1.30, or with
 * `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`; k9s, Lens, Helm). The client upgrades with `Upgrade: SPDY/3.1` and
 * offers `X-Stream-Protocol-Version` values; the first one it offers that is served here is answered in the 101.
 * Then the client opens one SPDY stream per channel, named by its `streamType` header:
 *
 *   error   server→client: at the end, v4 a JSON metav1.Status (exit code in details.causes ExitCode),
 *           v1–v3 the failure's message as text (nothing on success)
 *   stdin   client→server, its half-close is EOF     stdout, stderr   server→client
 *   resize  (v3+, with tty) JSON {"Width","Height"} objects, one per line
 *
 * The process starts once every stream the query asks for exists (stderr is never used with a tty). When it
 * ends, stdout and stderr are closed, then the status is written and the error stream closed.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StreamSession } from '../../runtime/runtime.ts';
import type { Status } from './remote-command.ts';
import { spdyServer, type SpdyStream } from './spdy.ts';

/** Served versions, newest first (client-go offers them in this order). */
export const spdyProtocols = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;

/** How long the client has to open its streams after the upgrade (upstream's stream creation timeout). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export class NegotiationError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1';
}

/** The protocol version to answer with: the first the client offers that is served (upstream's handshake). */
export function negotiateSpdyProtocol(header: string | string[] | undefined): string {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (offered.length === 0) throw new NegotiationError(400, 'unable to upgrade: X-Stream-Protocol-Version is required');
  const chosen = offered.find((p) => (spdyProtocols as readonly string[]).includes(p));
  if (!chosen) {
    throw new NegotiationError(
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${spdyProtocols.join(' ')}]`,
    );
  }
  return chosen;
}

/** The streams the client must open before the process starts. */
export function expectedStreams(
  protocol: string,
  opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
): Set<string> {
  const want = new Set(['error']);
  if (opts.stdin) want.add('stdin');
  if (opts.stdout) want.add('stdout');
  if (opts.stderr && !opts.tty) want.add('stderr');
  if (opts.tty && protocol !== 'channel.k8s.io' && protocol !== 'v2.channel.k8s.io') want.add('resize');
  return want;
}

/** The bytes written to the error stream for a final status (none for success before v4). */
export function encodeStatus(protocol: string, status: Status): Buffer {
  if (protocol === 'v4.channel.k8s.io') return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return Buffer.alloc(0);
  return Buffer.from(status.message ?? 'error');
}

/** Splits the resize stream's newline-separated JSON into sizes; an incomplete last line is returned as rest. */
export function parseResize(buffered: string): { sizes: { width: number; height: number }[]; rest: string } {
  const lines = buffered.split('\n');
  const rest = lines.pop() ?? '';
  const sizes: { width: number; height: number }[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const size = JSON.parse(line) as { Width?: number; Height?: number };
      if (size.Width && size.Height) sizes.push({ width: size.Width, height: size.Height });
    } catch {
      // A malformed resize is ignored, as the kubelet does.
    }
  }
  return { sizes, rest };
}

/**
 * Answers the upgrade with `protocol`, waits for the client's streams, starts the session and bridges it
 * until it ends. `statusFor` turns the exit code into the final status; a failure to start is reported on the
 * error stream.
 */
export function serveSpdyRemoteCommand(
  socket: Duplex,
  head: Buffer,
  protocol: string,
  opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
  start: () => Promise<StreamSession>,
  statusFor: (exitCode: number) => Status,
): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  const conn = spdyServer(socket, head);
  const want = expectedStreams(protocol, opts);
  const streams = new Map<string, SpdyStream>();
  let clientGone = false;
  let onGone = () => {};
  const gone = () => {
    if (clientGone) return;
    clientGone = true;
    onGone();
  };
  conn.on('error', () => socket.destroy());
  socket.on('close', gone);

  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), STREAM_CREATION_TIMEOUT_MS);
    timer.unref();
    onGone = () => {
      clearTimeout(timer);
      resolve(false);
    };
    conn.on('stream', (stream) => {
      stream.on('error', () => {});
      stream.respond(200, {});
      const type = stream.headers['streamtype'] ?? '';
      if (!want.has(type) || streams.has(type)) {
        stream.resume();
        stream.end();
        return;
      }
      streams.set(type, stream);
      if (streams.size === want.size) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });

  void ready.then(async (complete) => {
    if (!complete) {
      if (!clientGone) {
        // upstream: "timed out waiting for client to create streams"; the connection is closed.
        streams.get('error')?.end('timed out waiting for client to create streams');
        socket.end();
      }
      return;
    }
    const error = streams.get('error')!;
    error.resume();
    let session: StreamSession;
    try {
      session = await start();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const t of ['stdout', 'stderr']) streams.get(t)?.end();
      finishStreams(conn, socket, error, encodeStatus(protocol, { metadata: {}, status: 'Failure', message }));
      return;
    }
    await bridge(session, streams, () => clientGone, (fn) => (onGone = fn));
    if (clientGone) return;
    const { exitCode } = await session.exit;
    finishStreams(conn, socket, error, encodeStatus(protocol, statusFor(exitCode)));
  });
}

async function bridge(
  session: StreamSession,
  streams: Map<string, SpdyStream>,
  isGone: () => boolean,
  setOnGone: (fn: () => void) => void,
): Promise<void> {
  const stdin = streams.get('stdin');
  if (stdin) {
    if (session.stdin) stdin.pipe(session.stdin);
    else stdin.resume();
  }
  const resize = streams.get('resize');
  if (resize) {
    let buffered = '';
    resize.on('data', (chunk: Buffer) => {
      const parsed = parseResize(buffered + chunk.toString());
      buffered = parsed.rest;
      for (const size of parsed.sizes) session.resize(size);
    });
  }
  const closeSession = () => {
    session.stdin?.end();
    session.close();
  };
  setOnGone(closeSession);
  if (isGone()) closeSession();

  const pump = (from: NodeJS.ReadableStream | undefined, to: SpdyStream | undefined): Promise<void> => {
    if (!to) {
      from?.resume();
      return Promise.resolve();
    }
    if (!from) {
      to.end();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // Resolved once the end is queued behind the data, so the status written later follows all output.
      let ended = false;
      const done = () => {
        if (ended) return;
        ended = true;
        to.end(() => resolve());
      };
      from.on('data', (chunk: Buffer) => to.write(chunk));
      from.on('end', done);
      from.on('close', done);
      from.on('error', done);
    });
  };
  const outputs = Promise.all([pump(session.stdout, streams.get('stdout')), pump(session.stderr, streams.get('stderr'))]);
  await session.exit;
  // Output written just before the exit may still be in flight: wait for the streams to end, briefly.
  await Promise.race([outputs, new Promise((r) => setTimeout(r, 2000).unref())]);
  streams.get('stdout')?.end();
  streams.get('stderr')?.end();
}

/** Writes the status, closes the error stream, and ends the connection once the client has read it. */
function finishStreams(conn: { end(): void }, socket: Duplex, error: SpdyStream, bytes: Buffer): void {
  error.end(bytes, () => {
    // The client closes the connection when it has the status; one that does not is cut off.
    setTimeout(() => {
      conn.end();
      socket.destroy();
    }, 10_000).unref();
  });
}
