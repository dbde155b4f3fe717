/**
 * One query in, one reply out: the cluster zone answers what it owns (lookup.ts over the current
 * ClusterIndex), everything else goes to the node's resolvers (forward.ts). Cluster-domain names are never
 * forwarded; upstream replies are cached (cache.ts) when a cache is given. A query that cannot be decoded gets no reply when it has no header, FORMERR otherwise; a query
 * without exactly one question FORMERR; upstream failure SERVFAIL.
 */
import type { DecodedPacket, RecordType } from 'dns-packet';
import type { ReplyCache } from './cache.ts';
import { ClusterLookup, type LookupConfig } from './lookup.ts';
import type { ClusterIndex } from './records.ts';
import { decodeQuery, encodeError, encodeReply, relay } from './wire.ts';

/** How the resolver reaches upstream: forward raw queries, and ask questions of its own. */
export interface UpstreamResolver {
  forward(query: Buffer, tcp: boolean): Promise<Buffer>;
  ask(name: string, type: RecordType): Promise<DecodedPacket | undefined>;
}

export interface ResolverSource {
  /** The index as of now (rebuilt by the caller when the informers changed). */
  index(): ClusterIndex;
  config(): LookupConfig;
}

export class Resolver {
  readonly #source: ResolverSource;
  readonly #upstream: UpstreamResolver;
  readonly #cache: ReplyCache | undefined;

  constructor(source: ResolverSource, upstream: UpstreamResolver, cache?: ReplyCache) {
    this.#source = source;
    this.#upstream = upstream;
    this.#cache = cache;
  }

  /** The reply to a raw query (undefined: drop it, it is not even a DNS header). */
  async handle(raw: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    const query = decodeQuery(raw);
    if (!query) {
      if (raw.length < 12 || raw.readUInt16BE(2) & 0x8000) return undefined;
      return encodeError({ id: raw.readUInt16BE(0), flags: raw.readUInt16BE(2) & 0x0100 }, 'FORMERR');
    }
    const q = query.questions ?? [];
    if (q.length !== 1) return encodeError(query, 'FORMERR');
    const lookup = new ClusterLookup(this.#source.index(), this.#source.config(), async (name, type) => {
      const reply = await this.#upstream.ask(name, type);
      return reply ? { answers: reply.answers ?? [] } : undefined;
    });
    let result: Awaited<ReturnType<ClusterLookup['lookup']>>;
    try {
      result = await lookup.lookup({ name: q[0]!.name, type: q[0]!.type });
    } catch {
      return encodeError(query, 'SERVFAIL');
    }
    if (result !== 'forward') return encodeReply(query, result, !tcp);
    const cached = this.#cache?.get(query);
    if (cached) return relay(query, cached, !tcp);
    let reply: Buffer;
    try {
      reply = await this.#upstream.forward(raw, tcp);
    } catch {
      return encodeError(query, 'SERVFAIL');
    }
    this.#cache?.put(query, reply);
    return relay(query, reply, !tcp);
  }
}
