/**
 * A node's cluster DNS over real sockets: the DnsManager reads Services, EndpointSlices and Namespaces
 * from the fake API server, listens on 127.0.0.1 (a free port of its own) and is queried with dns-packet
 * over UDP and TCP. Names outside the cluster go to a fake upstream DNS server on 127.0.0.2 (never a real
 * resolver): answered (and cached), truncated over UDP and then asked again over TCP, or never answered
 * (SERVFAIL).
 * The node's kube-dns EndpointSlice is published while it runs and removed at stop when no pod is left.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import type { Answer as RR, DecodedPacket, RecordType } from 'dns-packet';
import { Client } from '../../src/client/index.ts';
import { FakeApiServer } from '../../src/client/testing/fake-apiserver.ts';
import { until } from '../../src/client/testing/until.ts';
import { DnsManager, kubeDnsService } from '../../src/dns/index.ts';
import { createLogger } from '../../src/machinery/index.ts';

type Reply = DecodedPacket & { rcode: string };

/** A fake upstream: *example.org A, big*.example.org (too big for UDP: TC), silent.example.org never answered. */
class FakeUpstream {
  udp!: Socket;
  tcp!: Server;
  port = 0;
  readonly seen: string[] = [];

  answer(q: DecodedPacket, tcp: boolean): Buffer | undefined {
    const question = q.questions![0]!;
    this.seen.push(`${tcp ? 'tcp' : 'udp'} ${question.name} ${question.type}`);
    if (question.name === 'silent.example.org') return undefined;
    let answers: RR[] = [];
    if (question.name.endsWith('example.org') && question.type === 'A') answers = [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }];
    if (question.name.startsWith('big') && question.type === 'A') {
      answers = Array.from({ length: 40 }, (_, i) => ({ type: 'A' as const, name: question.name, ttl: 60, data: `192.0.2.${i + 1}` }));
    }
    const rcode = question.name.endsWith('example.org') ? 0 : 3;
    const full = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE | rcode, questions: q.questions, answers });
    if (tcp || full.length <= 512) return full;
    return dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.TRUNCATED_RESPONSE, questions: q.questions });
  }

  async start(): Promise<void> {
    this.udp = createSocket('udp4');
    this.udp.on('message', (msg, r) => {
      const out = this.answer(dnsPacket.decode(msg), false);
      if (out) this.udp.send(out, r.port, r.address);
    });
    await new Promise<void>((resolve) => this.udp.bind(0, '127.0.0.2', () => resolve()));
    this.port = this.udp.address().port;
    this.tcp = createServer((sock) => {
      sock.on('error', () => {});
      sock.once('data', (d) => {
        const out = this.answer(dnsPacket.decode(d.subarray(2)), true);
        if (!out) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.end(Buffer.concat([len, out]));
      });
    });
    await new Promise<void>((resolve) => this.tcp.listen(this.port, '127.0.0.2', () => resolve()));
  }

  async stop(): Promise<void> {
    this.udp.close();
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }
}

function queryUdp(port: number, name: string, type: RecordType): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP reply for ${name} ${type}`));
    }, 5000);
    s.on('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(dnsPacket.decode(msg) as Reply);
    });
    s.send(dnsPacket.encode({ type: 'query', id: 77, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] }), port, '127.0.0.1');
  });
}

function queryTcp(port: number, name: string, type: RecordType): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('connect', () => sock.write(dnsPacket.streamEncode({ type: 'query', id: 78, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] })));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.destroy();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as Reply);
      }
    });
  });
}

/** Asks again every 10 ms until the reply is NOERROR with answers (the informers are another loop). */
async function answered(ask: () => Promise<Reply>, what: string): Promise<Reply> {
  for (let i = 0; i < 500; i++) {
    const r = await ask();
    if (r.rcode === 'NOERROR' && (r.answers?.length ?? 0) > 0) return r;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const data = (r: Reply) => (r.answers ?? []).map((a) => `${a.type} ${a.type === 'OPT' ? '' : String(a.data)}`);

describe('cluster DNS over UDP and TCP', () => {
  let api: FakeApiServer;
  let client: Client;
  let upstream: FakeUpstream;
  let port = 0;
  const stop = new AbortController();
  let running: Promise<void>;

  before(async () => {
    api = await new FakeApiServer().start();
    client = new Client({ server: api.url, token: api.token, caData: api.ca });
    upstream = new FakeUpstream();
    await upstream.start();
    for (const ns of ['default', 'kube-system']) api.put('namespaces', { metadata: { name: ns } });
    api.put('services', { ...kubeDnsService('10.43.0.10'), metadata: { ...kubeDnsService('10.43.0.10').metadata, uid: 'kube-dns-uid' } });
    api.put('services', { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    api.put('services', { metadata: { namespace: 'default', name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } });
    api.put('services', { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.org' } });
    api.put('discovery.k8s.io/endpointslices', {
      metadata: { namespace: 'default', name: 'db-x', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.42.0.7'], hostname: 'db-0', conditions: { ready: true } }, { addresses: ['10.42.0.8'], conditions: { ready: false } }],
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    });
    let listening: (p: number) => void;
    const ready = new Promise<number>((resolve) => (listening = resolve));
    const manager = new DnsManager({
      client,
      nodeName: 'node-a',
      listen: { host: '127.0.0.1', port: 0 },
      clusterDomain: 'cluster.local',
      clusterDns: ['10.43.0.10'],
      upstreams: [{ host: '127.0.0.2', port: upstream.port }],
      forwardTimeoutMs: 300,
      logger: createLogger('dns-test'),
      onListening: (a) => listening(a.port),
    });
    running = manager.run(stop.signal);
    port = await ready;
  });

  after(async () => {
    stop.abort();
    await running;
    await upstream?.stop();
    client?.close();
    await api?.stop();
  });

  test('cluster names over UDP and TCP, echoing the question and its case', async () => {
    const udp = await answered(() => queryUdp(port, 'Web.Default.svc.cluster.local', 'A'), 'web answered');
    assert.equal(udp.id, 77);
    assert.equal(udp.flag_aa, true);
    assert.deepEqual(data(udp), ['A 10.43.0.20']);
    assert.equal(udp.answers![0]!.name, 'Web.Default.svc.cluster.local');
    const tcp = await queryTcp(port, 'web.default.svc.cluster.local', 'A');
    assert.equal(tcp.id, 78);
    assert.deepEqual(data(tcp), ['A 10.43.0.20']);
  });

  test('headless (ready endpoints only), SRV with additional records, NXDOMAIN and NODATA with SOA', async () => {
    assert.deepEqual(data(await answered(() => queryUdp(port, 'db.default.svc.cluster.local', 'A'), 'db answered')), ['A 10.42.0.7']);
    const srv = await queryUdp(port, '_pg._tcp.db.default.svc.cluster.local', 'SRV');
    assert.deepEqual(srv.answers!.map((a) => a.type === 'SRV' && a.data.target), ['db-0.db.default.svc.cluster.local']);
    assert.deepEqual(srv.additionals!.map((a) => a.type === 'A' && a.data), ['10.42.0.7']);
    const nx = await queryUdp(port, 'missing.default.svc.cluster.local', 'A');
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.authorities![0]!.type, 'SOA');
    const nodata = await queryTcp(port, 'web.default.svc.cluster.local', 'AAAA');
    assert.equal(nodata.rcode, 'NOERROR');
    assert.deepEqual(nodata.answers, []);
    assert.equal(nodata.authorities![0]!.type, 'SOA');
  });

  test('a change in the API is answered at once (the index follows the informers)', async () => {
    api.put('services', { metadata: { namespace: 'default', name: 'late' }, spec: { clusterIP: '10.43.0.33', ports: [{ port: 80, protocol: 'TCP' }] } });
    const r = await answered(() => queryUdp(port, 'late.default.svc.cluster.local', 'A'), 'late service answered');
    assert.deepEqual(data(r), ['A 10.43.0.33']);
  });

  test('other names are forwarded upstream; cluster names never are', async () => {
    const before = upstream.seen.length;
    const r = await queryUdp(port, 'example.org', 'A');
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.id, 77);
    assert.deepEqual(data(r), ['A 192.0.2.1']);
    assert.equal(r.flag_aa, false);
    await queryUdp(port, 'nothing.default.svc.cluster.local', 'A');
    await queryUdp(port, 'nothing.cluster.local', 'MX');
    assert.deepEqual(upstream.seen.slice(before), ['udp example.org A']);
  });

  test('ExternalName: CNAME plus the target resolved upstream', async () => {
    const r = await queryUdp(port, 'ext.default.svc.cluster.local', 'A');
    assert.deepEqual(data(r), ['CNAME example.org', 'A 192.0.2.1']);
  });

  test('a truncated upstream UDP reply is asked again over TCP; the client gets TC over UDP and all over TCP', async () => {
    const before = upstream.seen.length;
    const udp = await queryUdp(port, 'big.example.org', 'A');
    assert.equal(udp.flag_tc, true);
    assert.deepEqual(upstream.seen.slice(before), ['udp big.example.org A', 'tcp big.example.org A']);
    const tcp = await queryTcp(port, 'big.example.org', 'A');
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers!.length, 40, 'the whole reply over TCP (from the cache)');
    const mark = upstream.seen.length;
    const direct = await queryTcp(port, 'big-tcp.example.org', 'A');
    assert.equal(direct.answers!.length, 40);
    assert.deepEqual(upstream.seen.slice(mark), ['tcp big-tcp.example.org A'], 'a TCP client is forwarded over TCP');
  });

  test('forwarded replies are cached (CoreDNS cache 30): a repeat is answered without asking upstream', async () => {
    const mark = upstream.seen.length;
    const first = await queryUdp(port, 'cached.example.org', 'A');
    const again = await queryUdp(port, 'Cached.Example.org', 'A');
    assert.equal(first.rcode, 'NOERROR');
    assert.deepEqual(data(again), data(first));
    assert.equal(again.questions![0]!.name, 'Cached.Example.org');
    assert.deepEqual(upstream.seen.slice(mark), ['udp cached.example.org A']);
  });

  test('SERVFAIL when the upstream does not answer', async () => {
    const r = await queryUdp(port, 'silent.example.org', 'A');
    assert.equal(r.rcode, 'SERVFAIL');
    assert.equal(r.id, 77);
  });

  test("the node's kube-dns EndpointSlice is published, owned by the Service", async () => {
    const slice = await until(() => api.list('discovery.k8s.io/endpointslices').find((s) => s.metadata.name === 'kube-dns-node-a'), 'node slice');
    assert.equal(slice.metadata.namespace, 'kube-system');
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
    assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'node-dns.kubeling.io');
    assert.equal(slice.metadata.ownerReferences[0].uid, 'kube-dns-uid');
    assert.deepEqual(slice.endpoints, [{ addresses: ['127.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' }]);
    assert.deepEqual(slice.ports.map((p: { name: string; protocol: string }) => `${p.name}/${p.protocol}`), ['dns/UDP', 'dns-tcp/TCP']);
    // Put back after a deletion.
    api.remove('discovery.k8s.io/endpointslices', 'kube-system', 'kube-dns-node-a');
    await until(() => api.list('discovery.k8s.io/endpointslices').find((s) => s.metadata.name === 'kube-dns-node-a'), 'node slice recreated');
  });

  test('the slice follows its Service: no owner while it is gone, the new one once it is back, one write each', async () => {
    const sliceWrites = () => api.requests.filter((r) => r.method !== 'GET' && r.path.includes('/endpointslices')).length;
    const owner = () => api.list('discovery.k8s.io/endpointslices').find((s) => s.metadata.name === 'kube-dns-node-a')?.metadata.ownerReferences?.[0]?.uid ?? 'none';
    await until(() => owner() === 'kube-dns-uid', 'owned by the Service');
    const before = sliceWrites();
    api.remove('services', 'kube-system', 'kube-dns');
    await until(() => owner() === 'none', 'owner dropped');
    api.put('services', { ...kubeDnsService('10.43.0.10'), metadata: { ...kubeDnsService('10.43.0.10').metadata, uid: 'kube-dns-uid-2' } });
    await until(() => owner() === 'kube-dns-uid-2', 'owned by the new Service');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sliceWrites() - before, 2, 'one update per change, no write loop');
  });
});

describe('stopping a node DNS', () => {
  async function runAndStop(pods: object[]): Promise<string[]> {
    const api = await new FakeApiServer().start();
    const client = new Client({ server: api.url, token: api.token, caData: api.ca });
    try {
      api.put('namespaces', { metadata: { name: 'kube-system' } });
      for (const p of pods) api.put('pods', p);
      const stop = new AbortController();
      const manager = new DnsManager({
        client, nodeName: 'node-b', listen: { host: '127.0.0.1', port: 0 }, clusterDomain: 'cluster.local',
        clusterDns: ['10.43.0.10'], upstreams: [], logger: createLogger('dns-test'),
      });
      const running = manager.run(stop.signal);
      await until(() => api.list('discovery.k8s.io/endpointslices').length === 1, 'node slice');
      stop.abort();
      await running;
      return api.list('discovery.k8s.io/endpointslices').map((s) => s.metadata.name as string);
    } finally {
      client.close();
      await api.stop();
    }
  }

  test('removes the node slice when no pod is left on the node', async () => {
    assert.deepEqual(await runAndStop([{ metadata: { namespace: 'default', name: 'elsewhere' }, spec: { nodeName: 'node-c' } }]), []);
  });

  test('keeps it while pods remain bound to the node', async () => {
    assert.deepEqual(await runAndStop([{ metadata: { namespace: 'default', name: 'here' }, spec: { nodeName: 'node-b' } }]), ['kube-dns-node-b']);
  });
});
