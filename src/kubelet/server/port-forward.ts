/**
 * `kubectl port-forward` on the kubelet side: SPDY/3.1 over the upgraded connection (kubectl-compat.md §6).
 * kubectl opens, per accepted local connection, an `error` stream and a `data` stream (headers `streamtype`,
 * `port`, `requestid`); the kubelet answers each SYN_STREAM, pipes the data stream to the port inside the pod's
 * network namespace (runtime.portForward) and writes failures as text to the error stream.
 *
 * spdy.ts does the framing.
 * WebSocket requests go to port-forward-websocket.ts, which refuses kubectl's SPDY-in-WebSocket tunnel
 * (`SPDY/3.1+portforward.k8s.io`) with 400, and kubectl falls back to the raw SPDY upgrade served here.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { spdyServer, type SpdyStream } from './spdy.ts';

/**
 * Serves one upgraded port-forward connection. `open` connects to a port of the pod; `pod` names it in the
 * error kubectl prints when that fails (upstream's "error forwarding port P to pod NAME_NAMESPACE, uid UID: ...").
 */
export function servePortForward(
  req: IncomingMessage,
  socket: Duplex,
  open: (port: number) => Promise<Duplex>,
  pod: { fullName: string; uid: string } = { fullName: '', uid: '' },
): void {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'spdy/3.1') {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'port-forward needs an SPDY/3.1 upgrade',
      reason: 'BadRequest',
      code: 400,
    });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  const versions = String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((v) => v.trim());
  if (!versions.includes('portforward.k8s.io')) {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
  );
  const conn = spdyServer(socket);
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  conn.on('error', () => socket.destroy());
  conn.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond(200, {});
    const type = stream.headers['streamtype'];
    const id = stream.headers['requestid'] ?? '';
    const port = Number(stream.headers['port']);
    const pair = pairs.get(id) ?? {};
    pairs.set(id, pair);
    if (type === 'error') {
      pair.error = stream;
      // kubectl only reads it; our side ends it when the data stream is done.
      stream.resume();
      return;
    }
    if (type !== 'data') {
      stream.end();
      return;
    }
    pair.data = stream;
    const fail = (message: string) => {
      pair.error?.end(message);
      stream.end();
      pairs.delete(id);
    };
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      fail(`invalid port ${JSON.stringify(stream.headers['port'])}`);
      return;
    }
    const forwardError = (err: Error) => `error forwarding port ${port} to pod ${pod.fullName}, uid ${pod.uid}: ${err.message}`;
    open(port).then(
      (target) => {
        target.on('error', (err) => fail(forwardError(err)));
        stream.pipe(target);
        target.pipe(stream);
        target.on('close', () => {
          pair.error?.end();
          pairs.delete(id);
        });
      },
      (err: Error) => fail(forwardError(err)),
    );
  });
}
