/**
 * exec and attach over a WebSocket with Kubernetes' channel protocol (`v5.channel.k8s.io`, `v4.channel.k8s.io`;
 * kubectl-compat.md §5). Every message is a binary frame whose first byte is the channel:
 *
 *   0 stdin (client→server)   1 stdout   2 stderr   3 status: one JSON metav1.Status
 *   4 resize (client→server, JSON {"Width","Height"})   255 close (v5: payload = channel half-closed; [255,0] = stdin EOF)
 *
 * The session ends with all output sent, then the status on channel 3, then a close with code 1000.
 */
import type { WebSocket } from 'ws';
import type { StreamSession } from '../../runtime/runtime.ts';

export const channelProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
}

export function successStatus(): Status {
  return { metadata: {}, status: 'Success' };
}

export function exitStatus(exitCode: number, command: string[]): Status {
  if (exitCode === 0) return successStatus();
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function failureStatus(message: string): Status {
  return { metadata: {}, status: 'Failure', message };
}

function frame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** Sends the final status on channel 3 and closes the socket normally. */
export function finish(ws: WebSocket, status: Status): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(frame(ERROR, JSON.stringify(status)), () => ws.close(1000));
}

/** A frame the client sent before the runtime's session existed (replayed into it first, in order). */
export interface EarlyFrame {
  data: Buffer;
  isBinary: boolean;
}

/**
 * Bridges an open WebSocket and a runtime stream session until the process exits (exec) or the attach ends.
 * `statusFor` turns the exit code into the status sent on channel 3.
 */
export async function bridge(
  ws: WebSocket,
  protocol: string,
  session: StreamSession,
  statusFor: (exitCode: number) => Status,
  early: EarlyFrame[] = [],
): Promise<void> {
  const supportsClose = protocol === 'v5.channel.k8s.io';
  let clientGone = false;

  const onMessage = (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    const payload = data.subarray(1);
    if (channel === STDIN) {
      if (session.stdin && !session.stdin.writableEnded) session.stdin.write(payload);
    } else if (channel === RESIZE) {
      // The client's JSON encoder ends each size with a newline; a frame may carry more than one.
      for (const line of payload.toString().split('\n')) {
        if (!line.trim()) continue;
        try {
          const size = JSON.parse(line) as { Width?: number; Height?: number };
          if (size.Width && size.Height) session.resize({ width: size.Width, height: size.Height });
        } catch {
          // A malformed resize is ignored, as the kubelet does.
        }
      }
    } else if (channel === CLOSE && supportsClose && payload[0] === STDIN) {
      session.stdin?.end();
    }
  };
  for (const f of early) onMessage(f.data, f.isBinary);
  ws.on('message', onMessage);
  const gone = () => {
    clientGone = true;
    session.stdin?.end();
    session.close();
  };
  ws.on('close', gone);
  // The client may have left while the process was being started.
  if (ws.readyState !== ws.OPEN) gone();
  ws.on('error', () => {});

  const pump = (stream: NodeJS.ReadableStream | undefined, channel: number): Promise<void> => {
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        if (ws.readyState === ws.OPEN) ws.send(frame(channel, chunk));
      });
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
  };
  const outputs = Promise.all([pump(session.stdout, STDOUT), pump(session.stderr, STDERR)]);
  const { exitCode } = await session.exit;
  // Output written just before the exit may still be in flight: wait for the streams to end, briefly.
  await Promise.race([outputs, new Promise((r) => setTimeout(r, 2000).unref())]);
  if (!clientGone) finish(ws, statusFor(exitCode));
}
