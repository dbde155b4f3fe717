/**
 * DNS messages on the wire (dns-packet): decoding queries, encoding replies with the header bits a DNS
 * server sets (QR, the query's id, question and RD; AA for the cluster zone's own answers; the rcode in the
 * low four bits), EDNS (an OPT record answered when the query has one), and truncation for UDP: a reply
 * larger than the client's limit (512 bytes, or the EDNS size it advertised) keeps the records that fit and
 * gets the TC bit, so the client asks again over TCP (as miekg/dns's Msg.Truncate does for CoreDNS).
 */
import dnsPacket from 'dns-packet';
import type { Answer as RR, DecodedPacket, Packet } from 'dns-packet';
import type { Rcode, Reply } from './lookup.ts';

export const MIN_UDP_SIZE = 512;
/** The largest UDP payload this server sends, whatever a client advertises (the DNS flag day's 1232). */
export const MAX_UDP_SIZE = 1232;

const RCODES: Record<Rcode | 'FORMERR' | 'NOTIMP', number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

export function decodeQuery(buf: Buffer): DecodedPacket | undefined {
  try {
    const p = dnsPacket.decode(buf);
    return p.type === 'query' ? p : undefined;
  } catch {
    return undefined;
  }
}

function optOf(p: Packet): (RR & { udpPayloadSize?: number }) | undefined {
  return p.additionals?.find((a) => a.type === 'OPT') as (RR & { udpPayloadSize?: number }) | undefined;
}

/** The UDP payload size the client accepts (512 without EDNS). */
export function udpLimit(query: Packet): number {
  const opt = optOf(query);
  if (!opt) return MIN_UDP_SIZE;
  return Math.min(MAX_UDP_SIZE, Math.max(MIN_UDP_SIZE, opt.udpPayloadSize ?? MIN_UDP_SIZE));
}

function header(query: Packet, rcode: number, authoritative: boolean, recursionAvailable: boolean): Packet {
  let flags = rcode & 0xf;
  if (authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  if ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) flags |= dnsPacket.RECURSION_DESIRED;
  if (recursionAvailable) flags |= dnsPacket.RECURSION_AVAILABLE;
  if ((query.flags ?? 0) & dnsPacket.CHECKING_DISABLED) flags |= dnsPacket.CHECKING_DISABLED;
  return { type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [] };
}

/** Our OPT record for a query that had one (echoing its size within our bounds), else none. */
function optFor(query: Packet): RR[] {
  if (!optOf(query)) return [];
  return [{ type: 'OPT', name: '.', udpPayloadSize: udpLimit(query), extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as RR];
}

/** Encodes a reply to `query`; over UDP it is cut to the client's limit with TC set. */
export function encodeReply(query: Packet, reply: Reply, udp: boolean): Buffer {
  const packet: Packet = {
    ...header(query, RCODES[reply.rcode], reply.authoritative, false),
    answers: reply.answers,
    authorities: reply.authorities,
    additionals: [...reply.additionals, ...optFor(query)],
  };
  return udp ? truncate(packet, udpLimit(query)) : dnsPacket.encode(packet);
}

/** A reply carrying only an rcode (SERVFAIL when upstreams fail, FORMERR, NOTIMP). */
export function encodeError(query: Packet, rcode: 'SERVFAIL' | 'FORMERR' | 'NOTIMP' | 'REFUSED'): Buffer {
  return dnsPacket.encode({ ...header(query, RCODES[rcode], false, true), additionals: optFor(query) });
}

/**
 * The packet encoded within `limit` bytes: additional records (but the OPT) go first, then answers and
 * authorities from the end; TC is set when an answer or authority record had to go.
 */
export function truncate(packet: Packet, limit: number): Buffer {
  const whole = dnsPacket.encode(packet);
  if (whole.length <= limit) return whole;
  const opt = (packet.additionals ?? []).filter((a) => a.type === 'OPT');
  const p: Packet = { ...packet, additionals: opt, answers: [...(packet.answers ?? [])], authorities: [...(packet.authorities ?? [])] };
  let cut = false;
  while (dnsPacket.encodingLength(p) > limit) {
    if (p.authorities!.length > 0) p.authorities!.pop();
    else if (p.answers!.length > 0) p.answers!.pop();
    else break;
    cut = true;
  }
  if (cut) p.flags = (p.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE;
  return dnsPacket.encode(p);
}

/** An upstream's reply relayed to the client: its own id restored, cut to the client's UDP limit. */
export function relay(query: Packet, upstreamReply: Buffer, udp: boolean): Buffer {
  const out = Buffer.from(upstreamReply);
  out.writeUInt16BE(query.id ?? 0, 0);
  if (!udp || out.length <= udpLimit(query)) return out;
  return truncate(dnsPacket.decode(out), udpLimit(query));
}
