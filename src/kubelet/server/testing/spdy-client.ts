/**
 * A small SPDY/3.1 remote-command client for tests, speaking as client-go's SPDY executor does: a POST upgrade
 * with `Upgrade: SPDY/3.1` and one `X-Stream-Protocol-Version` header per offered version, then one stream per
 * channel (`streamtype` error, stdin, stdout, stderr, resize), opened in client-go's order. It sends `stdin`
 * (then half-closes it) and `sizes` on the resize stream, and returns what came back on stdout, stderr and
 * the error stream once all three have ended.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { spdy, type SpdyStream } from '../spdy.ts';

export interface SpdyExecRequest {
  host: string;
  port: number;
  /** Path and query, e.g. `/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true`. */
  path: string;
  headers?: Record<string, string>;
  /** TLS client options (ca, cert, key); the server's certificate is not verified when no ca is given. */
  tls?: { ca?: string; cert?: string; key?: string };
  protocols?: string[];
  stdin?: string;
  /** Open the stdout/stderr streams (the request's query must agree). */
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
  sizes?: { width: number; height: number }[];
}

export interface SpdyExecResult {
  /** The negotiated X-Stream-Protocol-Version. */
  protocol: string;
  stdout: string;
  stderr: string;
  /** The error stream's content: a JSON Status with v4. */
  error: string;
}

export class UpgradeRefused extends Error {
  readonly statusCode: number;
  readonly body: string;

  constructor(statusCode: number, body: string) {
    super(`upgrade refused: ${statusCode} ${body}`);
    this.statusCode = statusCode;
    this.body = body;
  }
}

function collect(stream: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('close', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('error', () => resolve(Buffer.concat(chunks).toString()));
  });
}

export function spdyExec(r: SpdyExecRequest): Promise<SpdyExecResult> {
  const protocols = r.protocols ?? ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: r.host,
      port: r.port,
      path: r.path,
      method: 'POST',
      headers: { ...r.headers, Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols },
      ca: r.tls?.ca,
      cert: r.tls?.cert,
      key: r.tls?.key,
      rejectUnauthorized: r.tls?.ca !== undefined,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString())));
    });
    req.on('upgrade', (res, socket: Duplex, head: Buffer) => {
      if (head.length) socket.unshift(head);
      const protocol = String(res.headers['x-stream-protocol-version'] ?? '');
      const conn = spdy().connection.create(socket, { protocol: 'spdy', isServer: false });
      conn.start(3.1);
      conn.on('error', (err) => reject(err ?? new Error('spdy connection error')));
      // One at a time: spdy-transport sends a SYN_STREAM when the stream is first used, and SPDY wants stream
      // ids in increasing order.
      const open = (type: string): Promise<{ stream: SpdyStream; content: Promise<string> }> =>
        new Promise((done) => {
          const stream = conn.request({ method: 'POST', path: '/', host: r.host, headers: { streamtype: type } }, (err) => {
            if (err) reject(err);
            else done({ stream, content });
          });
          // Read from the start: the server may answer and close before the stream counts as sent here.
          const content = collect(stream);
        });
      const none = { stream: undefined, content: Promise.resolve('') };
      void (async () => {
        const error = await open('error');
        error.stream.end();
        const stdin = r.stdin !== undefined ? await open('stdin') : undefined;
        const stdout = r.stdout !== false ? await open('stdout') : none;
        stdout.stream?.end();
        const stderr = r.stderr !== false && !r.tty ? await open('stderr') : none;
        stderr.stream?.end();
        const outputs = Promise.all([stdout.content, stderr.content, error.content]);
        if (r.tty && protocol !== 'channel.k8s.io' && protocol !== 'v2.channel.k8s.io') {
          const { stream: resize } = await open('resize');
          for (const s of r.sizes ?? []) resize.write(JSON.stringify({ Width: s.width, Height: s.height }) + '\n');
        }
        if (stdin) stdin.stream.end(r.stdin);
        const [out, err, status] = await outputs;
        socket.destroy();
        resolve({ protocol, stdout: out, stderr: err, error: status });
      })();
    });
    req.end();
  });
}
