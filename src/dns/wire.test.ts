/** The wire side of replies: header bits, rcodes, EDNS, UDP truncation and relayed upstream replies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import type { Answer as RR, DecodedPacket, Packet } from 'dns-packet';
import { decodeQuery, encodeError, encodeReply, relay, udpLimit } from './wire.ts';
import type { Reply } from './lookup.ts';

const query = (extra: Partial<Packet> = {}): Packet =>
  dnsPacket.decode(dnsPacket.encode({ type: 'query', id: 4321, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'Web.default.svc.cluster.local', type: 'A', class: 'IN' }], ...extra }));

const soa: RR = { type: 'SOA', name: 'cluster.local', ttl: 30, class: 'IN', data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 } };

function manyA(n: number): RR[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'A' as const, name: 'Web.default.svc.cluster.local', ttl: 30, class: 'IN' as const, data: `10.42.${i >> 8}.${i & 255}` }));
}

test('a reply echoes id, question and RD, sets QR and AA, and carries the rcode', () => {
  const reply: Reply = { rcode: 'NXDOMAIN', authoritative: true, answers: [], authorities: [soa], additionals: [] };
  const p = dnsPacket.decode(encodeReply(query(), reply, true)) as DecodedPacket & { rcode: string };
  assert.equal(p.id, 4321);
  assert.equal(p.type, 'response');
  assert.equal(p.flag_aa, true);
  assert.equal(p.flag_rd, true);
  assert.equal(p.flag_ra, false);
  assert.equal(p.flag_tc, false);
  assert.equal(p.rcode, 'NXDOMAIN');
  assert.deepEqual(p.questions, [{ name: 'Web.default.svc.cluster.local', type: 'A', class: 'IN' }]);
  assert.equal(p.authorities?.[0]?.type, 'SOA');
  assert.equal(p.additionals?.length, 0, 'no OPT without EDNS in the query');
});

test('UDP replies over 512 bytes keep what fits and set TC; TCP replies are whole', () => {
  const reply: Reply = { rcode: 'NOERROR', authoritative: true, answers: manyA(60), authorities: [], additionals: [] };
  const udp = encodeReply(query(), reply, true);
  const p = dnsPacket.decode(udp);
  assert.ok(udp.length <= 512);
  assert.equal(p.flag_tc, true);
  assert.ok(p.answers!.length > 0 && p.answers!.length < 60);
  const tcp = dnsPacket.decode(encodeReply(query(), reply, false));
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers!.length, 60);
});

test('EDNS: the advertised size (capped at 1232) is the UDP limit, and the reply has an OPT', () => {
  const q = query({ additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as RR] });
  assert.equal(udpLimit(q), 1232);
  assert.equal(udpLimit(query()), 512);
  const reply: Reply = { rcode: 'NOERROR', authoritative: true, answers: manyA(20), authorities: [], additionals: [] };
  const buf = encodeReply(q, reply, true);
  const p = dnsPacket.decode(buf);
  assert.ok(buf.length <= 1232 && buf.length > 512);
  assert.equal(p.flag_tc, false, '20 A records (no name compression: ~46 bytes each) fit in 1232 bytes');
  assert.equal(p.additionals?.filter((a) => a.type === 'OPT').length, 1);
});

test('errors: SERVFAIL keeps id and question, sets RA', () => {
  const p = dnsPacket.decode(encodeError(query(), 'SERVFAIL')) as DecodedPacket & { rcode: string };
  assert.equal(p.rcode, 'SERVFAIL');
  assert.equal(p.id, 4321);
  assert.equal(p.flag_ra, true);
  assert.equal(p.questions?.[0]?.name, 'Web.default.svc.cluster.local');
});

test('relay restores the client id and truncates an oversized upstream reply for UDP', () => {
  const upstream = dnsPacket.encode({ type: 'response', id: 999, flags: dnsPacket.RECURSION_AVAILABLE, questions: query().questions, answers: manyA(60) });
  const out = dnsPacket.decode(relay(query(), upstream, true));
  assert.equal(out.id, 4321);
  assert.equal(out.flag_tc, true);
  assert.equal(out.flag_ra, true);
  const whole = dnsPacket.decode(relay(query(), upstream, false));
  assert.equal(whole.answers!.length, 60);
});

test('decodeQuery rejects garbage and responses', () => {
  assert.equal(decodeQuery(Buffer.from([1, 2, 3])), undefined);
  assert.equal(decodeQuery(dnsPacket.encode({ type: 'response', id: 1, questions: [] })), undefined);
  assert.equal(decodeQuery(dnsPacket.encode(query()))?.id, 4321);
});
