/**
 * A cache of upstream replies, as the `cache 30` of kubeadm's and k3s's Corefile: a reply is kept for the
 * smallest TTL of its records (for NXDOMAIN and NODATA, the SOA's, RFC 2308), at most 30 s, and served with
 * its TTLs counted down. Only whole NOERROR and NXDOMAIN replies are kept (never SERVFAIL, never
 * truncated). At most `capacity` entries; the oldest goes first. Keyed by question name (case-folded),
 * type and class, and the DO and CD bits, which change what an upstream answers.
 */
import dnsPacket from 'dns-packet';
import type { Answer as RR, DecodedPacket, Packet } from 'dns-packet';

export interface CacheOptions {
  /** Longest time a reply is kept, in seconds (CoreDNS `cache 30`). */
  maxTtl?: number;
  capacity?: number;
  now?: () => number;
}

interface Entry {
  reply: DecodedPacket;
  stored: number;
  expires: number;
}

function ttlOf(rr: RR): number | undefined {
  return rr.type === 'OPT' ? undefined : rr.ttl;
}

function doBit(p: Packet): boolean {
  const opt = p.additionals?.find((a) => a.type === 'OPT') as { flag_do?: boolean } | undefined;
  return opt?.flag_do === true;
}

export class ReplyCache {
  readonly #maxTtl: number;
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: CacheOptions = {}) {
    this.#maxTtl = opts.maxTtl ?? 30;
    this.#capacity = opts.capacity ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  #key(query: Packet): string | undefined {
    const q = query.questions?.[0];
    if (!q || query.questions!.length !== 1) return undefined;
    const cd = ((query.flags ?? 0) & dnsPacket.CHECKING_DISABLED) !== 0;
    return `${q.name.toLowerCase()}|${q.type}|${q.class ?? 'IN'}|${doBit(query) ? 1 : 0}|${cd ? 1 : 0}`;
  }

  /** The cached reply to this query (its id, TTLs counted down), or undefined. */
  get(query: Packet): Buffer | undefined {
    const key = this.#key(query);
    if (!key) return undefined;
    const e = this.#entries.get(key);
    if (!e) return undefined;
    const now = this.#now();
    if (now >= e.expires) {
      this.#entries.delete(key);
      return undefined;
    }
    const elapsed = Math.floor((now - e.stored) / 1000);
    const age = (rrs: RR[] | undefined) =>
      (rrs ?? []).map((rr) => (rr.type === 'OPT' ? rr : { ...rr, ttl: Math.max(0, (rr.ttl ?? 0) - elapsed) }));
    return dnsPacket.encode({
      ...e.reply,
      id: query.id ?? 0,
      questions: query.questions,
      answers: age(e.reply.answers),
      authorities: age(e.reply.authorities),
      additionals: age(e.reply.additionals),
    });
  }

  /** Keeps an upstream reply to this query, when it may be kept. */
  put(query: Packet, raw: Buffer): void {
    const key = this.#key(query);
    if (!key) return;
    let reply: DecodedPacket & { rcode?: string };
    try {
      reply = dnsPacket.decode(raw) as DecodedPacket & { rcode?: string };
    } catch {
      return;
    }
    if (reply.flag_tc || (reply.rcode !== 'NOERROR' && reply.rcode !== 'NXDOMAIN')) return;
    let ttl: number;
    const answers = (reply.answers ?? []).map(ttlOf).filter((t): t is number => t !== undefined);
    if (reply.rcode === 'NOERROR' && answers.length > 0) ttl = Math.min(...answers);
    else {
      // Negative answers live as long as the SOA says (min of its TTL and its minimum field).
      const soa = reply.authorities?.find((a) => a.type === 'SOA');
      if (!soa || soa.type !== 'SOA') return;
      ttl = Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0);
    }
    ttl = Math.min(ttl, this.#maxTtl);
    if (ttl <= 0) return;
    if (this.#entries.size >= this.#capacity && !this.#entries.has(key)) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    const now = this.#now();
    this.#entries.delete(key);
    this.#entries.set(key, { reply, stored: now, expires: now + ttl * 1000 });
  }
}
