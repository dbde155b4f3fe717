/**
 * A node's cluster DNS where pods reach it: on UDP/TCP 53 of the pod bridge's gateway, on a bridge made
 * before any pod (ensureBridge), which the CNI bridge plugin then takes as its own. A network namespace
 * wired by the real CNI plugins asks the gateway with busybox's nslookup. Uses a cluster CIDR no other
 * test process holds (pickTestClusterCidr), and removes its netns, veth and bridge.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { Client } from '../../src/client/index.ts';
import { FakeApiServer } from '../../src/client/testing/fake-apiserver.ts';
import { bridgeForPodCidr, serverNodePodCidr } from '../../src/cmd/join.ts';
import { DnsManager } from '../../src/dns/index.ts';
import { createLogger } from '../../src/machinery/index.ts';
import { CniNetwork, createNetns, deleteNetns, ensureBridge, gatewayForPodCidr, netnsPath } from '../../src/runtime/cni/index.ts';
import { pickTestClusterCidr } from '../e2e/helpers/server.ts';
import { missingRealContainers } from '../prerequisites.ts';

const run = promisify(execFile);

const skip = missingRealContainers();

const podCidr = serverNodePodCidr(pickTestClusterCidr());
const bridge = bridgeForPodCidr(podCidr);
const gw = gatewayForPodCidr(podCidr).address;
const netns = `kldns-${process.pid}`;
const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-dns-bridge-'));
const cni = new CniNetwork({ bridge, podCidr, dataDir });
const attachment = { containerId: `kldns${process.pid}`, netnsPath: netnsPath(netns), portMappings: [] };
let cniResult: unknown;
let api: FakeApiServer;
let client: Client;
const stop = new AbortController();
let running: Promise<void> | undefined;

before(async () => {
  if (skip) return;
  api = await new FakeApiServer().start();
  client = new Client({ server: api.url, token: api.token, caData: api.ca });
  api.put('namespaces', { metadata: { name: 'default' } });
  api.put('services', { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
});

after(async () => {
  stop.abort();
  await running;
  if (cniResult !== undefined) await cni.del(attachment, cniResult).catch(() => {});
  await deleteNetns(netns).catch(() => {});
  spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  rmSync(dataDir, { recursive: true, force: true });
  client?.close();
  await api?.stop();
});

test('ensureBridge makes the bridge with the gateway address, idempotently', { skip }, async () => {
  assert.equal(await ensureBridge(bridge, podCidr), gw);
  assert.equal(await ensureBridge(bridge, podCidr), gw);
  const addrs = execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(addrs.length, 1);
  assert.match(addrs[0]!, new RegExp(` inet ${gw.replaceAll('.', '\\.')}/24 `));
  assert.match(execFileSync('ip', ['-o', 'link', 'show', 'dev', bridge], { encoding: 'utf8' }), /[<,]UP[,>]/);
});

test('a pod on the bridge resolves cluster names at the gateway (UDP and TCP)', { skip }, async () => {
  let listening: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const manager = new DnsManager({
    client, nodeName: 'dns-bridge-node', listen: { host: gw, port: 53 }, clusterDomain: 'cluster.local', clusterDns: ['10.43.0.10'],
    upstreams: [], logger: createLogger('dns-test'), publishEndpoint: false,
    prepare: async () => {
      await ensureBridge(bridge, podCidr);
    },
    onListening: () => listening(),
  });
  running = manager.run(stop.signal);
  await ready;
  // The CNI bridge plugin takes the pre-made bridge and its address as its own.
  await createNetns(netns);
  const added = await cni.add(attachment);
  cniResult = added.result;
  assert.equal(added.gateway, gw);
  // Async: the DNS server answering is this very process, whose event loop must keep running.
  const inPod = (args: string[]) => run('ip', ['netns', 'exec', netns, 'busybox', ...args], { encoding: 'utf8', timeout: 10_000 });
  const { stdout } = await inPod(['nslookup', '-type=a', 'web.default.svc.cluster.local', gw]);
  assert.match(stdout, /Address:\s+10\.43\.0\.20/);
  const nx = await inPod(['nslookup', '-type=a', 'nope.default.svc.cluster.local', gw]).then(
    () => 'answered',
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  assert.match(nx, /NXDOMAIN/);
  // busybox nslookup speaks UDP; over TCP, a small node client inside the namespace asks the same.
  const query = dnsPacket.streamEncode({ type: 'query', id: 9, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }] });
  const script = `const s = require('node:net').connect(53, ${JSON.stringify(gw)}, () => s.write(Buffer.from(process.argv[1], 'hex')));
    let b = Buffer.alloc(0);
    s.on('data', (d) => { b = Buffer.concat([b, d]); if (b.length >= 2 + b.readUInt16BE(0)) { process.stdout.write(b.subarray(2).toString('hex')); process.exit(0); } });`;
  const tcp = await run('ip', ['netns', 'exec', netns, process.execPath, '-e', script, query.toString('hex')], { encoding: 'utf8', timeout: 10_000 });
  const reply = dnsPacket.decode(Buffer.from(tcp.stdout, 'hex'));
  assert.deepEqual(reply.answers?.map((a) => a.type === 'A' && a.data), ['10.43.0.20']);
});
