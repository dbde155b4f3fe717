/**
 * Forwarding to the node's resolvers, as CoreDNS's `forward . /etc/resolv.conf`: the nameservers of the
 * host's resolv.conf, asked in order until one answers. A query goes over UDP from one shared socket (each
 * query gets a fresh random id, and a reply counts only from the upstream asked, with that id and the same
 * question); a truncated UDP reply is asked again over TCP, and a client that came over TCP is forwarded
 * over TCP. When every upstream fails or times out the caller answers SERVFAIL.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, RecordType } from 'dns-packet';

export interface Upstream {
  host: string;
  port: number;
}

/** The `nameserver` lines of a resolv.conf (glibc's default, 127.0.0.1, when there are none). */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push({ host: m[1]!.replace(/%.*$/, ''), port: 53 });
  }
  return out.length ? out : [{ host: '127.0.0.1', port: 53 }];
}

export async function readResolvConf(path = '/etc/resolv.conf'): Promise<Upstream[]> {
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch {
    return parseResolvConf('');
  }
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** How long one upstream gets before the next is asked (CoreDNS's forward: 2 s dial, 2 s read). */
  timeoutMs?: number;
}

interface Pending {
  upstream: Upstream;
  question: string;
  resolve: (buf: Buffer) => void;
}

export class ForwardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardError';
  }
}

function questionKey(p: Packet): string {
  const q = p.questions?.[0];
  return q ? `${q.name.toLowerCase()}|${q.type}|${q.class ?? 'IN'}` : '';
}

export class Forwarder {
  readonly upstreams: Upstream[];
  readonly #timeoutMs: number;
  #sockets = new Map<4 | 6, Socket>();
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  constructor(opts: ForwarderOptions) {
    this.upstreams = opts.upstreams;
    this.#timeoutMs = opts.timeoutMs ?? 2000;
  }

  /** The upstream reply to a query (the query's own id), trying each upstream in turn. */
  async forward(query: Buffer, tcp: boolean): Promise<Buffer> {
    const packet = dnsPacket.decode(query);
    let lastErr: unknown;
    for (const upstream of this.upstreams) {
      try {
        if (!tcp) {
          const reply = await this.#udp(upstream, packet);
          if (!(dnsPacket.decode(reply) as DecodedPacket).flag_tc) return reply;
        }
        return await this.#tcp(upstream, query);
      } catch (err) {
        lastErr = err;
      }
    }
    throw new ForwardError(`no upstream answered: ${(lastErr as Error | undefined)?.message ?? 'no upstream'}`);
  }

  /** A question of our own (an ExternalName's target); undefined when no upstream answers. */
  async ask(name: string, type: RecordType): Promise<DecodedPacket | undefined> {
    const query = dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
    try {
      return dnsPacket.decode(await this.forward(query, false));
    } catch {
      return undefined;
    }
  }

  #socket(family: 4 | 6): Socket {
    let s = this.#sockets.get(family);
    if (s) return s;
    s = createSocket(family === 4 ? 'udp4' : 'udp6');
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      const p = this.#pending.get(msg.readUInt16BE(0));
      if (!p || p.upstream.port !== rinfo.port || p.upstream.host !== rinfo.address) return;
      let decoded: Packet;
      try {
        decoded = dnsPacket.decode(msg);
      } catch {
        return;
      }
      if (questionKey(decoded) !== p.question) return;
      p.resolve(msg);
    });
    s.on('error', () => {});
    s.unref();
    this.#sockets.set(family, s);
    return s;
  }

  #udp(upstream: Upstream, packet: Packet): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new ForwardError('forwarder closed'));
    let id = randomInt(0x10000);
    while (this.#pending.has(id)) id = randomInt(0x10000);
    const out = dnsPacket.encode({ ...packet, id });
    const originalId = packet.id ?? 0;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ForwardError(`${upstream.host}:${upstream.port}: timed out`));
      }, this.#timeoutMs);
      this.#pending.set(id, {
        upstream,
        question: questionKey(packet),
        resolve: (buf) => {
          clearTimeout(timer);
          this.#pending.delete(id);
          const reply = Buffer.from(buf);
          reply.writeUInt16BE(originalId, 0);
          resolve(reply);
        },
      });
      this.#socket(upstream.host.includes(':') ? 6 : 4).send(out, upstream.port, upstream.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err);
      });
    });
  }

  #tcp(upstream: Upstream, query: Buffer): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const sock = connect({ host: upstream.host, port: upstream.port });
      const chunks: Buffer[] = [];
      let size = 0;
      const timer = setTimeout(() => sock.destroy(new ForwardError(`${upstream.host}:${upstream.port}: timed out over TCP`)), this.#timeoutMs);
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (d) => {
        chunks.push(d);
        size += d.length;
        const all = Buffer.concat(chunks, size);
        if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) {
          clearTimeout(timer);
          sock.destroy();
          resolve(all.subarray(2, 2 + all.readUInt16BE(0)));
        }
      });
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.on('close', () => {
        clearTimeout(timer);
        reject(new ForwardError(`${upstream.host}:${upstream.port}: closed without a reply`));
      });
    });
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#sockets.values()) s.close();
    this.#sockets.clear();
  }
}
