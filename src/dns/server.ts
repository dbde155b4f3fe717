/**
 * The DNS server's sockets: UDP and TCP (two-byte length prefix, several queries per connection, answered
 * in any order) on one address and port, every query handed to a `handle(raw, tcp)` function. Idle TCP
 * connections close after 10 s, as CoreDNS's read timeout does.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { isIP } from 'node:net';

export type QueryHandler = (raw: Buffer, tcp: boolean) => Promise<Buffer | undefined>;

const TCP_IDLE_MS = 10_000;

export class DnsServer {
  readonly #handle: QueryHandler;
  #udp?: Socket;
  #tcp?: Server;
  readonly #conns = new Set<TcpSocket>();
  /** The bound address and port (after listen). */
  address?: { host: string; port: number };

  constructor(handle: QueryHandler) {
    this.#handle = handle;
  }

  /** Binds UDP and TCP on host:port (port 0: a free port, the same for both). */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const udp = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => {});
    udp.on('message', (msg, rinfo) => {
      this.#handle(msg, false).then(
        (reply) => {
          if (reply) udp.send(reply, rinfo.port, rinfo.address);
        },
        () => {},
      );
    });
    const bound = udp.address().port;
    const tcp = createServer((sock) => this.#serveTcp(sock));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(bound, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    this.#udp = udp;
    this.#tcp = tcp;
    this.address = { host, port: bound };
    return this.address;
  }

  #serveTcp(sock: TcpSocket): void {
    this.#conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => this.#conns.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        this.#handle(Buffer.from(msg), true).then(
          (reply) => {
            if (!reply || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(reply.length);
            sock.write(Buffer.concat([len, reply]));
          },
          () => {},
        );
      }
    });
  }

  async close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    for (const c of this.#conns) c.destroy();
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }
}
