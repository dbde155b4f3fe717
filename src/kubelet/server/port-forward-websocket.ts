/**
 * Port-forward over a WebSocket with Kubernetes' channel protocol (`v4.channel.k8s.io`), as upstream's kubelet
 * serves it (streaming/portforward/websocket.go) and `@kubernetes/client-node`'s `PortForward` speaks it. The
 * ports come in the query (`port=80,8080`: the API server turns the pods/portforward `ports` into it); port i
 * gets channel 2i for data (both ways) and 2i+1 for errors (server to client). The server opens every port at
 * once and writes each channel's port number first (two bytes, little-endian), then pipes: a binary message's
 * first byte is its channel, the rest its payload. A port that fails gets upstream's text on its error channel;
 * the socket closes once every port's connection has ended. (kubectl uses SPDY instead: port-forward.ts.)
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export const portForwardProtocols = ['v4.channel.k8s.io'] as const;

/** A request the kubelet answers with 400 (upstream's messages). */
export class PortForwardRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortForwardRequestError';
  }
}

/** The ports of a WebSocket port-forward request: every `port` value, each a comma-separated list of 1–65535. */
export function portsOf(query: URLSearchParams): number[] {
  const values = query.getAll('port');
  if (values.length === 0) throw new PortForwardRequestError('query parameter "port" is required');
  const ports: number[] = [];
  for (const value of values) {
    for (const p of value.split(',')) {
      const port = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!Number.isInteger(port) || port > 65535) throw new PortForwardRequestError(`unable to parse "${value}" as a port`);
      if (port < 1) throw new PortForwardRequestError(`port "${value}" must be > 0`);
      ports.push(port);
    }
  }
  return ports;
}

/**
 * The protocol to answer with for the client's `Sec-WebSocket-Protocol` offer: none offered is the plain
 * binary protocol (''); otherwise the first supported one, or a 400 naming what is supported.
 */
export function negotiatePortForwardProtocol(offer: string | undefined): string {
  const offered = (offer ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (offered.length === 0) return '';
  const chosen = offered.find((p) => (portForwardProtocols as readonly string[]).includes(p));
  if (chosen === undefined)
    throw new PortForwardRequestError(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${portForwardProtocols.join(' ')}]`);
  return chosen;
}

function portPrefixed(channel: number, port: number): Buffer {
  return Buffer.from([channel, port & 0xff, port >> 8]);
}

/**
 * Serves one upgraded WebSocket: opens `ports` with `open` and pipes them to their channels until each ends.
 * `pod` names the pod in the error text (`error forwarding port P to pod NAME_NAMESPACE, uid UID: ...`).
 */
export function serveWebSocketPortForward(
  ws: WebSocket,
  ports: number[],
  open: (port: number) => Promise<Duplex>,
  pod: { fullName: string; uid: string },
): void {
  let remaining = ports.length;
  const targets: (Duplex | undefined)[] = [];
  // What the client sends before its port's connection is up goes there once it is.
  const pending: Buffer[][] = ports.map(() => []);
  const done = () => {
    if (--remaining === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length < 1) return;
    const channel = data[0]!;
    if (channel % 2 !== 0 || channel / 2 >= ports.length) return; // error channels are the server's to write
    const i = channel / 2;
    const payload = data.subarray(1);
    const target = targets[i];
    if (target) target.write(payload);
    else pending[i]!.push(payload);
  });
  ws.on('close', () => {
    for (const t of targets) t?.destroy();
  });
  ports.forEach((port, i) => {
    const dataChannel = 2 * i;
    const errorChannel = 2 * i + 1;
    ws.send(portPrefixed(dataChannel, port));
    ws.send(portPrefixed(errorChannel, port));
    let finished = false;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      if (err && ws.readyState === ws.OPEN) {
        ws.send(Buffer.concat([Buffer.from([errorChannel]), Buffer.from(`error forwarding port ${port} to pod ${pod.fullName}, uid ${pod.uid}: ${err.message}`)]));
      }
      done();
    };
    open(port).then(
      (target) => {
        if (ws.readyState !== ws.OPEN) return void target.destroy();
        targets[i] = target;
        for (const chunk of pending[i]!.splice(0)) target.write(chunk);
        target.on('data', (chunk: Buffer) => {
          if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([dataChannel]), chunk]));
        });
        target.on('error', (err) => finish(err));
        target.on('end', () => finish());
        target.on('close', () => finish());
      },
      (err: Error) => finish(err),
    );
  });
}
