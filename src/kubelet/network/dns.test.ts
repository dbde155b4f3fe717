import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { DnsConfigurer, formPodDns, parseResolvConf, type DnsEvent, type DnsSettings } from './dns.ts';

const HOST = '# generated\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example.\noptions edns0 ndots:2\n';

function pod(spec: Partial<NonNullable<IPod['spec']>> = {}, namespace = 'shop'): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace, uid: 'u1' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  };
}

const cluster: DnsSettings = { clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', hostResolvConf: HOST };

test('parseResolvConf: nameservers accumulate, the last search wins (trailing dots dropped), options by name', () => {
  assert.deepEqual(parseResolvConf(HOST), {
    servers: ['192.0.2.53', '192.0.2.54'],
    searches: ['corp.example', 'lab.example'],
    options: ['edns0', 'ndots:2'],
  });
  assert.deepEqual(parseResolvConf('search a b\nsearch c .\noptions ndots:1\noptions ndots:3 rotate\n# nameserver 1.1.1.1\n'), {
    servers: [],
    searches: ['c'],
    options: ['ndots:3', 'rotate'],
  });
});

test('formPodDns per dnsPolicy', () => {
  const cases: { name: string; pod: IPod; settings?: DnsSettings; want: { servers: string[]; searches: string[]; options: string[] } }[] = [
    {
      name: 'ClusterFirst (the default): cluster DNS, cluster search domains then the host ones, ndots:5',
      pod: pod(),
      want: {
        servers: ['10.43.0.10'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
        options: ['ndots:5'],
      },
    },
    {
      name: 'ClusterFirst on the host network: the node resolver',
      pod: pod({ dnsPolicy: 'ClusterFirst', hostNetwork: true }),
      want: { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'ndots:2'] },
    },
    {
      name: 'ClusterFirstWithHostNet on the host network: cluster DNS',
      pod: pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }, 'default'),
      want: {
        servers: ['10.43.0.10'],
        searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
        options: ['ndots:5'],
      },
    },
    {
      name: 'Default: the node resolver',
      pod: pod({ dnsPolicy: 'Default' }),
      want: { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'ndots:2'] },
    },
    {
      name: 'None: only dnsConfig',
      pod: pod({
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
      }),
      want: { servers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example'], options: ['ndots:2', 'edns0'] },
    },
    {
      name: 'ClusterFirst + dnsConfig: servers and searches appended without duplicates, options merged (the pod wins)',
      pod: pod({
        dnsConfig: {
          nameservers: ['10.43.0.10', '1.2.3.4'],
          searches: ['cluster.local', 'my.dns.search.suffix'],
          options: [{ name: 'ndots', value: '2' }, { name: 'single-request-reopen' }],
        },
      }),
      want: {
        servers: ['10.43.0.10', '1.2.3.4'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'my.dns.search.suffix'],
        options: ['ndots:2', 'single-request-reopen'],
      },
    },
    {
      name: 'no cluster domain: the host search domains only',
      pod: pod(),
      settings: { ...cluster, clusterDomain: '' },
      want: { servers: ['10.43.0.10'], searches: ['corp.example', 'lab.example'], options: ['ndots:5'] },
    },
    {
      name: 'resolvConf "": host-DNS pods get the local resolver and search "."',
      pod: pod({ dnsPolicy: 'Default' }),
      settings: { ...cluster, hostResolvConf: undefined, nodeIPs: ['192.0.2.1'] },
      want: { servers: ['127.0.0.1'], searches: ['.'], options: [] },
    },
  ];
  for (const c of cases) {
    const { config, events } = formPodDns(c.pod, c.settings ?? cluster);
    assert.deepEqual(config, c.want, c.name);
    assert.deepEqual(events, [], c.name);
  }
});

test('ClusterFirst without clusterDNS: MissingClusterDNS on the node and the pod, then the node resolver', () => {
  const { config, events } = formPodDns(pod(), { ...cluster, clusterDNS: [] });
  assert.deepEqual(config, parseResolvConf(HOST));
  const msg =
    'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
  assert.deepEqual(events, [
    { on: 'node', reason: 'MissingClusterDNS', message: msg },
    { on: 'pod', reason: 'MissingClusterDNS', message: `pod: "web_shop(u1)". ${msg}` },
  ]);
});

test('limits: 3 nameservers, 32 search domains, 2048 characters, no domain over 253: cut with DNSConfigForming', () => {
  const many = pod({ dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'] } });
  let r = formPodDns(many, cluster);
  assert.deepEqual(r.config.servers, ['10.43.0.10', '1.1.1.1', '2.2.2.2']);
  assert.deepEqual(r.events, [
    {
      on: 'pod',
      reason: 'DNSConfigForming',
      message: 'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.43.0.10 1.1.1.1 2.2.2.2',
    },
  ]);

  // 3 cluster + 2 host + 30 = 35 domains: the first 32 stay.
  const extra = Array.from({ length: 30 }, (_, i) => `d${i}.example`);
  r = formPodDns(pod({ dnsConfig: { searches: extra } }), cluster);
  assert.equal(r.config.searches.length, 32);
  assert.equal(r.config.searches.at(-1), 'd26.example');
  assert.deepEqual(r.events.map((e: DnsEvent) => e.reason), ['DNSConfigForming']);
  assert.equal(
    r.events[0]!.message,
    `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${r.config.searches.join(' ')}`,
  );

  // 10 domains of 250 characters: too long a line; domains are dropped from the end until it fits.
  const long = Array.from({ length: 10 }, (_, i) => `${String(i).padEnd(62, 'a')}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(61)}`);
  r = formPodDns(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: long } }), cluster);
  assert.deepEqual(r.config.searches, long.slice(0, 8));
  assert.ok(r.config.searches.join(' ').length <= 2048);
  assert.equal(r.events.length, 1);

  // A host search domain over 253 characters is left out.
  const huge = 'x'.repeat(254);
  r = formPodDns(pod({ dnsPolicy: 'Default' }), { ...cluster, hostResolvConf: `nameserver 192.0.2.53\nsearch ok.example ${huge}\n` });
  assert.deepEqual(r.config.searches, ['ok.example']);
  assert.equal(r.events[0]!.reason, 'DNSConfigForming');
});

test('DnsConfigurer reads the resolv.conf file it is given and records the events', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeling-dns-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'resolv.conf');
  writeFileSync(file, 'nameserver 198.51.100.1\nsearch home.example\n');
  const recorded: DnsEvent[] = [];
  const withDns = new DnsConfigurer({ clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', resolvConf: file, record: (_p, e) => recorded.push(e) });
  assert.deepEqual(withDns.getPodDns(pod({ dnsPolicy: 'Default' })), { servers: ['198.51.100.1'], searches: ['home.example'], options: [] });
  assert.deepEqual(withDns.getPodDns(pod()).searches, ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'home.example']);
  assert.equal(recorded.length, 0);
  const without = new DnsConfigurer({ clusterDNS: [], clusterDomain: 'cluster.local', resolvConf: file, record: (_p, e) => recorded.push(e) });
  assert.deepEqual(without.getPodDns(pod()).servers, ['198.51.100.1']);
  assert.deepEqual(recorded.map((e) => `${e.on}/${e.reason}`), ['node/MissingClusterDNS', 'pod/MissingClusterDNS']);
});
