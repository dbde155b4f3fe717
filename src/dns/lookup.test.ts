/**
 * The cluster zone's answers, table-driven over a snapshot of Services, EndpointSlices and Namespaces:
 * each row is a question and the reply CoreDNS's `kubernetes` plugin gives for it (rcode, answers,
 * additionals, SOA on negative answers).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Answer as RR, RecordType } from 'dns-packet';
import type { EndpointSlice, Service } from '../api/types.ts';
import { ClusterLookup, type LookupConfig, type LookupResult, type Upstream } from './lookup.ts';
import { ClusterIndex } from './records.ts';

function svc(ns: string, name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name, uid: `uid-${name}` }, spec };
}

function slice(ns: string, service: string, name: string, endpoints: EndpointSlice['endpoints'], ports?: EndpointSlice['ports']): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4', endpoints, ...(ports ? { ports } : {}),
  };
}

const tcp = (name: string, port: number) => ({ name, port, protocol: 'TCP' as const });

const SNAPSHOT = {
  namespaces: ['default', 'kube-system', 'other'],
  services: [
    svc('default', 'web', { type: 'ClusterIP', clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ ...tcp('http', 80) }, { ...tcp('https', 443) }] }),
    svc('default', 'noname', { type: 'ClusterIP', clusterIP: '10.43.0.21', ports: [{ port: 8080, protocol: 'TCP' }] }),
    svc('default', 'db', { clusterIP: 'None', ports: [{ ...tcp('pg', 5432) }] }),
    svc('default', 'empty-headless', { clusterIP: 'None', ports: [{ ...tcp('pg', 5432) }] }),
    svc('default', 'warm', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ ...tcp('http', 80) }] }),
    svc('default', 'bare', { clusterIP: 'None' }),
    svc('default', 'ext', { type: 'ExternalName', externalName: 'example.org' }),
    svc('default', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }),
    svc('default', 'ipname', { type: 'ExternalName', externalName: '1.2.3.4' }),
    svc('kube-system', 'kube-dns', { clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
  ],
  endpointSlices: [
    slice('default', 'web', 'web-abc', [{ addresses: ['10.42.0.5'], conditions: { ready: true } }], [tcp('http', 8080)]),
    slice('default', 'db', 'db-1', [
      { addresses: ['10.42.0.7'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.42.1.8'], conditions: {} },
      { addresses: ['10.42.1.9'], hostname: 'db-2', conditions: { ready: false } },
    ], [tcp('pg', 5432)]),
    slice('default', 'warm', 'warm-1', [
      { addresses: ['10.42.0.30'], conditions: { ready: false } },
      { addresses: ['10.42.0.31'], conditions: { ready: true } },
    ], [tcp('http', 80)]),
    slice('default', 'bare', 'bare-1', [{ addresses: ['10.42.0.40'], conditions: { ready: true } }]),
  ],
};

const CONFIG: LookupConfig = { zone: 'cluster.local', ttl: 30, nameserverIPs: ['10.43.0.10'], serial: 1700000000, synced: true };

const upstreamAsked: string[] = [];
const upstream: Upstream = async (name, type) => {
  upstreamAsked.push(`${name} ${type}`);
  if (name === 'example.org' && type === 'A') return { answers: [{ type: 'A', name: 'example.org', ttl: 60, class: 'IN', data: '93.184.216.34' }] };
  return { answers: [] };
};

function lookup(name: string, type: RecordType, cfg: Partial<LookupConfig> = {}): Promise<LookupResult> {
  return new ClusterLookup(new ClusterIndex(SNAPSHOT), { ...CONFIG, ...cfg }, upstream).lookup({ name, type });
}

/** An answer as `name TYPE data` (SRV `prio weight port target`) for compact tables. */
function show(rr: RR): string {
  if (rr.type === 'SRV') return `${rr.name} SRV ${rr.data.priority} ${rr.data.weight} ${rr.data.port} ${rr.data.target}`;
  if (rr.type === 'SOA') return `${rr.name} SOA ${rr.data.mname} ${rr.data.rname}`;
  if (rr.type === 'OPT') return `${rr.name} OPT`;
  return `${rr.name} ${rr.type} ${String(rr.data)}`;
}

function ttl(rr: RR): number | undefined {
  return rr.type === 'OPT' ? undefined : rr.ttl;
}

interface Row {
  q: string;
  type: RecordType;
  rcode: string;
  answers?: string[];
  extra?: string[];
}

const ROWS: Row[] = [
  // ClusterIP Services
  { q: 'web.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['web.default.svc.cluster.local A 10.43.0.20'] },
  { q: 'web.default.svc.cluster.local', type: 'AAAA', rcode: 'NOERROR', answers: [] },
  { q: 'WEB.Default.SVC.cluster.LOCAL', type: 'A', rcode: 'NOERROR', answers: ['WEB.Default.SVC.cluster.LOCAL A 10.43.0.20'] },
  { q: 'nope.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  { q: 'web.nons.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  { q: 'web.default.svc.cluster.local', type: 'MX', rcode: 'NOERROR', answers: [] },
  { q: 'web.default.svc.cluster.local', type: 'TXT', rcode: 'NOERROR', answers: [] },
  { q: 'nope.default.svc.cluster.local', type: 'TXT', rcode: 'NXDOMAIN' },
  { q: 'web.default.svc.cluster.local', type: 'CNAME', rcode: 'NOERROR', answers: [] },
  { q: 'web.default.svc.cluster.local', type: 'HINFO', rcode: 'NOERROR', answers: [] },
  { q: 'nope.default.svc.cluster.local', type: 'HINFO', rcode: 'NXDOMAIN' },
  // SRV on a ClusterIP Service: one per named port, weight shared out, target's A in the additional section
  {
    q: '_http._tcp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR',
    answers: ['_http._tcp.web.default.svc.cluster.local SRV 0 100 80 web.default.svc.cluster.local'],
    extra: ['web.default.svc.cluster.local A 10.43.0.20'],
  },
  {
    q: 'web.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR',
    answers: ['web.default.svc.cluster.local SRV 0 50 80 web.default.svc.cluster.local', 'web.default.svc.cluster.local SRV 0 50 443 web.default.svc.cluster.local'],
    extra: ['web.default.svc.cluster.local A 10.43.0.20'],
  },
  { q: '_http._udp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN' },
  { q: '_grpc._tcp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN' },
  { q: '_http._tcp.web.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['_http._tcp.web.default.svc.cluster.local A 10.43.0.20'] },
  { q: '_dns._udp.kube-dns.kube-system.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: ['_dns._udp.kube-dns.kube-system.svc.cluster.local SRV 0 100 53 kube-dns.kube-system.svc.cluster.local'], extra: ['kube-dns.kube-system.svc.cluster.local A 10.43.0.10'] },
  // an endpoint name under a ClusterIP Service still resolves to that endpoint
  { q: '10-42-0-5.web.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10-42-0-5.web.default.svc.cluster.local A 10.42.0.5'] },
  // headless: ready endpoints only (unset counts as ready), hostnames, dashed IPs, SRV per endpoint
  { q: 'db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['db.default.svc.cluster.local A 10.42.0.7', 'db.default.svc.cluster.local A 10.42.1.8'] },
  { q: 'db-0.db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['db-0.db.default.svc.cluster.local A 10.42.0.7'] },
  { q: '10-42-1-8.db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10-42-1-8.db.default.svc.cluster.local A 10.42.1.8'] },
  { q: 'db-2.db.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  {
    q: '_pg._tcp.db.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR',
    answers: [
      '_pg._tcp.db.default.svc.cluster.local SRV 0 50 5432 db-0.db.default.svc.cluster.local',
      '_pg._tcp.db.default.svc.cluster.local SRV 0 50 5432 10-42-1-8.db.default.svc.cluster.local',
    ],
    extra: ['db-0.db.default.svc.cluster.local A 10.42.0.7', '10-42-1-8.db.default.svc.cluster.local A 10.42.1.8'],
  },
  { q: 'empty-headless.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  // publishNotReadyAddresses: not-ready endpoints are answered too
  { q: 'warm.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['warm.default.svc.cluster.local A 10.42.0.30', 'warm.default.svc.cluster.local A 10.42.0.31'] },
  // a headless Service without ports: addresses, but no SRV
  { q: 'bare.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['bare.default.svc.cluster.local A 10.42.0.40'] },
  { q: 'bare.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: [] },
  // ExternalName: CNAME, and the target's addresses from upstream; an in-zone target is chased locally
  { q: 'ext.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['ext.default.svc.cluster.local CNAME example.org', 'example.org A 93.184.216.34'] },
  { q: 'ext.default.svc.cluster.local', type: 'CNAME', rcode: 'NOERROR', answers: ['ext.default.svc.cluster.local CNAME example.org'] },
  { q: 'ext.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: [] },
  { q: 'alias.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['alias.default.svc.cluster.local CNAME web.default.svc.cluster.local', 'web.default.svc.cluster.local A 10.43.0.20'] },
  { q: 'alias.default.svc.cluster.local', type: 'AAAA', rcode: 'NOERROR', answers: [] },
  { q: 'ipname.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  // pods ("pods insecure"): the address in the name, in a namespace that exists
  { q: '10-42-0-9.default.pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10-42-0-9.default.pod.cluster.local A 10.42.0.9'] },
  { q: '10-42-0-9.default.pod.cluster.local', type: 'AAAA', rcode: 'NOERROR', answers: [] },
  { q: '10-42-0-9.nons.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  { q: 'not-an-ip.default.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  // the zone's structure: namespaces exist (NODATA), other names do not (NXDOMAIN)
  { q: 'default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: [] },
  { q: 'nons.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  { q: 'svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: [] },
  { q: 'pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: [] },
  { q: 'cluster.local', type: 'A', rcode: 'NOERROR', answers: [] },
  { q: 'foo.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  { q: 'a.b.c.web.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
  { q: 'cluster.local', type: 'SOA', rcode: 'NOERROR', answers: ['cluster.local SOA ns.dns.cluster.local hostmaster.cluster.local'] },
  { q: 'web.default.svc.cluster.local', type: 'SOA', rcode: 'NOERROR', answers: [] },
  { q: 'cluster.local', type: 'NS', rcode: 'NOERROR', answers: ['cluster.local NS ns.dns.cluster.local'], extra: ['ns.dns.cluster.local A 10.43.0.10'] },
  { q: 'ns.dns.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['ns.dns.cluster.local A 10.43.0.10'] },
  { q: 'dns-version.cluster.local', type: 'TXT', rcode: 'NOERROR', answers: ['dns-version.cluster.local TXT 1.1.0'] },
  { q: 'cluster.local', type: 'AXFR', rcode: 'REFUSED' },
  // reverse: ClusterIPs and endpoint addresses
  { q: '20.0.43.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['20.0.43.10.in-addr.arpa PTR web.default.svc.cluster.local'] },
  { q: '7.0.42.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['7.0.42.10.in-addr.arpa PTR db-0.db.default.svc.cluster.local'] },
  { q: '8.1.42.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['8.1.42.10.in-addr.arpa PTR 10-42-1-8.db.default.svc.cluster.local'] },
];

describe('cluster zone lookups (CoreDNS kubernetes plugin semantics)', () => {
  for (const row of ROWS) {
    test(`${row.q} ${row.type} -> ${row.rcode}${row.answers?.length ? ` (${row.answers.length})` : ''}`, async () => {
      const r = await lookup(row.q, row.type);
      assert.notEqual(r, 'forward');
      if (r === 'forward') return;
      assert.equal(r.rcode, row.rcode);
      if (row.answers) assert.deepEqual(r.answers.map(show), row.answers);
      if (row.extra) assert.deepEqual(r.additionals.map(show), row.extra);
      if (r.rcode === 'REFUSED') return;
      assert.equal(r.authoritative, true);
      // Negative answers (NXDOMAIN and NODATA) carry the zone's SOA, in the question's spelling.
      if (r.answers.length === 0) {
        const zone = row.q.slice(row.q.length - 'cluster.local'.length);
        assert.deepEqual(r.authorities.map(show), [`${zone} SOA ns.dns.${zone} hostmaster.${zone}`]);
        assert.equal(ttl(r.authorities[0]!), 30);
      } else {
        assert.ok(r.answers.every((a) => ttl(a) === (row.type === 'TXT' ? 28800 : a.name.toLowerCase() === 'example.org' ? 60 : 30)));
      }
    });
  }

  test('names outside the zone, and reverse names of no cluster address, are forwarded', async () => {
    assert.equal(await lookup('example.org', 'A'), 'forward');
    assert.equal(await lookup('cluster.local.example.org', 'A'), 'forward');
    assert.equal(await lookup('1.1.168.192.in-addr.arpa', 'PTR'), 'forward');
    assert.equal(await lookup('20.0.43.10.in-addr.arpa', 'A'), 'forward');
  });

  test('a trailing dot and a different cluster domain', async () => {
    const r = await lookup('web.default.svc.corp.example.', 'A', { zone: 'corp.example' });
    assert.notEqual(r, 'forward');
    if (r !== 'forward') assert.deepEqual(r.answers.map(show), ['web.default.svc.corp.example A 10.43.0.20']);
    assert.equal(await lookup('web.default.svc.cluster.local', 'A', { zone: 'corp.example' }), 'forward');
  });

  test('before the informers have synced, a name error is SERVFAIL (CoreDNS), answers still answer', async () => {
    const r = await lookup('nope.default.svc.cluster.local', 'A', { synced: false });
    assert.equal(r !== 'forward' && r.rcode, 'SERVFAIL');
    const ok = await lookup('web.default.svc.cluster.local', 'A', { synced: false });
    assert.equal(ok !== 'forward' && ok.rcode, 'NOERROR');
  });

  test('an ExternalName whose target upstream cannot resolve answers no CNAME (NODATA)', async () => {
    const failing = new ClusterLookup(new ClusterIndex(SNAPSHOT), CONFIG, async () => undefined);
    const r = await failing.lookup({ name: 'ext.default.svc.cluster.local', type: 'A' });
    assert.equal(r !== 'forward' && r.rcode, 'NOERROR');
    assert.deepEqual(r !== 'forward' && r.answers, []);
  });

  test('the SOA serial is the configured one and its minimum the TTL', async () => {
    const r = await lookup('cluster.local', 'SOA', { serial: 42, ttl: 5 });
    assert.ok(r !== 'forward');
    const soa = r.answers[0]!;
    assert.ok(soa.type === 'SOA');
    assert.equal(soa.data.serial, 42);
    assert.equal(soa.data.minimum, 5);
    assert.equal(soa.ttl, 5);
  });
});
