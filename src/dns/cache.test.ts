/** The upstream reply cache: what is kept, for how long, TTLs counted down, keys, capacity. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import type { Answer as RR, DecodedPacket, Packet } from 'dns-packet';
import { ReplyCache } from './cache.ts';

const q = (name: string, id = 1, type: 'A' | 'AAAA' = 'A'): Packet => ({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
const soa = (ttl: number, minimum: number): RR => ({ type: 'SOA', name: 'example.org', ttl, class: 'IN', data: { mname: 'ns.example.org', rname: 'h.example.org', serial: 1, refresh: 1, retry: 1, expire: 1, minimum } });
function reply(query: Packet, rcode: number, answers: RR[], authorities: RR[] = [], flags = 0): Buffer {
  return dnsPacket.encode({ type: 'response', id: 999, flags: dnsPacket.RECURSION_AVAILABLE | rcode | flags, questions: query.questions, answers, authorities });
}
const a = (name: string, ttl: number, ip = '192.0.2.1'): RR => ({ type: 'A', name, ttl, class: 'IN', data: ip });
const ttls = (buf: Buffer) => (dnsPacket.decode(buf) as DecodedPacket).answers!.map((r) => (r.type === 'OPT' ? -1 : r.ttl));

test('a reply is served for its smallest TTL (at most 30 s), with the asker id and TTLs counted down', () => {
  let now = 1_000_000;
  const cache = new ReplyCache({ now: () => now });
  cache.put(q('example.org'), reply(q('example.org'), 0, [a('example.org', 300), a('example.org', 20, '192.0.2.2')]));
  const hit = cache.get(q('EXAMPLE.org', 42));
  assert.ok(hit);
  assert.equal(dnsPacket.decode(hit).id, 42);
  assert.equal(dnsPacket.decode(hit).questions![0]!.name, 'EXAMPLE.org', 'the question as asked');
  now += 5_500;
  assert.deepEqual(ttls(cache.get(q('example.org'))!), [295, 15]);
  now += 14_500;
  assert.equal(cache.get(q('example.org')), undefined, 'gone after 20 s');
  cache.put(q('long.example.org'), reply(q('long.example.org'), 0, [a('long.example.org', 3600)]));
  now += 29_999;
  assert.ok(cache.get(q('long.example.org')));
  now += 1;
  assert.equal(cache.get(q('long.example.org')), undefined, 'capped at 30 s');
});

test('NXDOMAIN and NODATA are kept for the SOA\'s TTL or minimum; SERVFAIL, truncated and SOA-less negatives are not', () => {
  let now = 0;
  const cache = new ReplyCache({ now: () => now });
  cache.put(q('nx.example.org'), reply(q('nx.example.org'), 3, [], [soa(60, 10)]));
  cache.put(q('nodata.example.org', 1, 'AAAA'), reply(q('nodata.example.org', 1, 'AAAA'), 0, [], [soa(5, 100)]));
  cache.put(q('fail.example.org'), reply(q('fail.example.org'), 2, []));
  cache.put(q('tc.example.org'), reply(q('tc.example.org'), 0, [a('tc.example.org', 60)], [], dnsPacket.TRUNCATED_RESPONSE));
  cache.put(q('bare.example.org'), reply(q('bare.example.org'), 3, []));
  assert.equal((dnsPacket.decode(cache.get(q('nx.example.org'))!) as DecodedPacket & { rcode: string }).rcode, 'NXDOMAIN');
  assert.ok(cache.get(q('nodata.example.org', 1, 'AAAA')));
  assert.equal(cache.get(q('nodata.example.org')), undefined, 'another type is another key');
  assert.equal(cache.get(q('fail.example.org')), undefined);
  assert.equal(cache.get(q('tc.example.org')), undefined);
  assert.equal(cache.get(q('bare.example.org')), undefined);
  now += 5_000;
  assert.equal(cache.get(q('nodata.example.org', 1, 'AAAA')), undefined);
  assert.ok(cache.get(q('nx.example.org')));
  now += 5_000;
  assert.equal(cache.get(q('nx.example.org')), undefined);
});

test('capacity: the oldest entry goes first', () => {
  const cache = new ReplyCache({ capacity: 2 });
  for (const n of ['a.example.org', 'b.example.org', 'c.example.org']) cache.put(q(n), reply(q(n), 0, [a(n, 30)]));
  assert.equal(cache.size, 2);
  assert.equal(cache.get(q('a.example.org')), undefined);
  assert.ok(cache.get(q('c.example.org')));
});
