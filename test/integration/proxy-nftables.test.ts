/**
 * The service proxy on the real kernel: a Proxier fed by the fake API server programs nftables, and traffic
 * between network namespaces of this test's own (two endpoint "pods" and a client on a bridge of its own,
 * addresses 10.251.n.0/24, services 10.252.n.0/24) goes where the Services say. Everything it makes (netns,
 * bridge, veths, the nft table, the endpoint processes) is removed at the end.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { Client } from '../../src/client/index.ts';
import { FakeApiServer } from '../../src/client/testing/fake-apiserver.ts';
import { Proxier, spawnNft, type NftExec } from '../../src/proxy/index.ts';
import { makeService, makeSlice } from '../../src/proxy/testing/builders.ts';
import { pollUntil } from './oci-helpers.ts';
import { missingServiceProxy } from '../prerequisites.ts';

const run = promisify(execFile);

const skip = missingServiceProxy();

const id = process.pid % 100000;
const usedRoutes = skip ? '' : execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
let n = process.pid % 250;
while (usedRoutes.includes(`10.251.${n}.`)) n = (n + 1) % 250;
const net = `10.251.${n}`;
const svcNet = `10.252.${n}`;
const bridge = `kpx${id}`;
const gateway = `${net}.1`;
const pods = { a: `${net}.2`, b: `${net}.3`, c: `${net}.4` } as const;
type PodName = keyof typeof pods;
const netns = (p: PodName) => `kpx${id}-${p}`;
const nodePort = 30000 + ((process.pid * 7) % 2700);

const SLICES = 'discovery.k8s.io/endpointslices';
let api: FakeApiServer;
let client: Client;
let proxier: Proxier;
const stopProxier = new AbortController();
let running: Promise<void> | undefined;
const servers: ChildProcess[] = [];
const applied: string[] = [];

/** Answers HTTP and UDP (9001) with the pod's name and echoes TCP on 9000 (node, inside the pod's netns). */
const endpointProgram = `
const http = require('node:http'), net = require('node:net'), dgram = require('node:dgram');
http.createServer((req, res) => res.end(process.argv[1])).listen(8080);
net.createServer((s) => s.pipe(s)).listen(9000);
const udp = dgram.createSocket('udp4');
udp.on('message', (m, from) => udp.send(process.argv[1], from.port, from.address)).bind(9001);
`;

async function sh(cmd: string, args: string[]): Promise<void> {
  await run(cmd, args);
}

before(async () => {
  if (skip) return;
  await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${gateway}/24`, 'dev', bridge]);
  await sh('ip', ['link', 'set', bridge, 'up']);
  for (const p of Object.keys(pods) as PodName[]) {
    await sh('ip', ['netns', 'add', netns(p)]);
    await sh('ip', ['link', 'add', `${bridge}${p}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns(p)]);
    await sh('ip', ['link', 'set', `${bridge}${p}`, 'master', bridge, 'up']);
    // As the CNI bridge plugin's hairpinMode: with br_netfilter, a packet DNATed back to the pod that sent it
    // is bridged out of the port it came in by.
    await sh('ip', ['link', 'set', `${bridge}${p}`, 'type', 'bridge_slave', 'hairpin', 'on']);
    const inNs = ['netns', 'exec', netns(p), 'ip'];
    await sh('ip', [...inNs, 'addr', 'add', `${pods[p]}/24`, 'dev', 'eth0']);
    await sh('ip', [...inNs, 'link', 'set', 'eth0', 'up']);
    await sh('ip', [...inNs, 'link', 'set', 'lo', 'up']);
    await sh('ip', [...inNs, 'route', 'add', 'default', 'via', gateway]);
  }
  for (const p of ['a', 'b'] as const) {
    const child = spawn('ip', ['netns', 'exec', netns(p), process.execPath, '-e', endpointProgram, p], { stdio: 'ignore' });
    servers.push(child);
  }
  api = await new FakeApiServer().start();
  client = new Client({ server: api.url, token: api.token, caData: api.ca });
  const exec: NftExec = async (args, input) => {
    const r = await spawnNft(args, input);
    if (args[0] === '-f' && input) applied.push(input);
    return r;
  };
  // conntrack exits 1 when no flow matched.
  const conntrack = (args: string[]) => run('conntrack', args).then(() => {}, (err: { code?: unknown }) => {
    if (err.code !== 1) throw err;
  });
  proxier = new Proxier({ client, nodeName: `proxy-it-${process.pid}`, clusterCidr: `${net}.0/24`, serviceCidr: `${svcNet}.0/24`, minSyncPeriodMs: 0, exec, conntrack });
  running = proxier.run(stopProxier.signal);
  for (const p of ['a', 'b'] as const) await pollUntil(() => httpGet('c', `${pods[p]}:8080`).catch(() => ''), `endpoint ${p} to serve`);
});

after(async () => {
  if (skip) return;
  stopProxier.abort();
  await running;
  await proxier.removeRules().catch(() => {});
  // Gone before their netns is deleted, so the veths go with it at once.
  await Promise.all(servers.map((s) => (s.exitCode !== null || s.signalCode !== null ? undefined : new Promise((r) => s.once('exit', r).kill('SIGKILL')))));
  // The veths explicitly: a deleted netns takes its end (and so the pair) only once the kernel reaps it.
  for (const p of Object.keys(pods) as PodName[]) spawnSync('ip', ['link', 'del', `${bridge}${p}`]);
  for (const p of Object.keys(pods) as PodName[]) spawnSync('ip', ['netns', 'del', netns(p)]);
  spawnSync('ip', ['link', 'del', bridge]);
  client.close();
  await api.stop();
});

/**
 * GET http://hostport/ from inside a pod's netns, the body. Through `busybox nc` (Debian's static busybox
 * wget crashes resolving even a literal address); HTTP/1.0, so the server closes after answering.
 */
async function httpGet(from: PodName, hostport: string): Promise<string> {
  const [host, port] = hostport.split(':') as [string, string];
  const child = execFile('ip', ['netns', 'exec', netns(from), 'busybox', 'nc', '-w', '3', host, port]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin!.end('GET / HTTP/1.0\r\n\r\n');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 || !out.includes('\r\n\r\n')) throw new Error(`nc ${hostport} from ${from}: exit ${code}: ${err.trim()}`);
  return out.slice(out.indexOf('\r\n\r\n') + 4);
}

/** GET from the host itself (its own network namespace), a new connection each time (no keep-alive). */
function hostGet(hostport: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`http://${hostport}/`, { agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${hostport}: timeout`))).on('error', reject).end();
  });
}

/** Until the rules applied last mention `text`. */
async function applied_(text: string): Promise<void> {
  await pollUntil(() => applied.at(-1)?.includes(text), `rules with ${text}`);
}

async function answers(get: () => Promise<string>, tries = 60): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < tries && seen.size < 2; i++) seen.add(await get());
  return seen;
}

const twoEndpoints = (service: string, port: number) => makeSlice(service, [{ ip: pods.a }, { ip: pods.b }], [{ port }]);

test('ClusterIP: from another pod and from the node, connections reach both endpoints', { skip }, async () => {
  api.put('services', makeService('web', { clusterIP: `${svcNet}.10`, ports: [{ port: 80 }] }));
  api.put(SLICES, twoEndpoints('web', 8080));
  await applied_(`dnat to ${pods.b}:8080`);
  assert.deepEqual([...(await answers(() => httpGet('c', `${svcNet}.10:80`)))].sort(), ['a', 'b']);
  assert.deepEqual([...(await answers(() => hostGet(`${svcNet}.10:80`)))].sort(), ['a', 'b']);
});

test('NodePort: the node\'s address and port reach both endpoints, from a pod and from the node', { skip }, async () => {
  api.put('services', makeService('np', { type: 'NodePort', clusterIP: `${svcNet}.11`, ports: [{ port: 80, nodePort }] }));
  api.put(SLICES, twoEndpoints('np', 8080));
  await applied_(`tcp . ${nodePort} : goto external-`);
  assert.deepEqual([...(await answers(() => httpGet('c', `${gateway}:${nodePort}`)))].sort(), ['a', 'b']);
  assert.deepEqual([...(await answers(() => hostGet(`${gateway}:${nodePort}`)))].sort(), ['a', 'b']);
});

test('sessionAffinity ClientIP: one client keeps its endpoint', { skip }, async () => {
  api.put('services', makeService('sticky', { clusterIP: `${svcNet}.12`, ports: [{ port: 80 }], sessionAffinity: 'ClientIP' }));
  api.put(SLICES, twoEndpoints('sticky', 8080));
  await applied_(`ip saddr @affinity-`);
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) seen.add(await httpGet('c', `${svcNet}.12:80`));
  assert.equal(seen.size, 1, `answers from ${[...seen].join(', ')}`);
});

test('hairpin: a pod reaches itself through its Service', { skip }, async () => {
  api.put('services', makeService('solo', { clusterIP: `${svcNet}.13`, ports: [{ port: 80 }] }));
  api.put(SLICES, makeSlice('solo', [{ ip: pods.a }], [{ port: 8080 }]));
  await applied_(`${svcNet}.13 . tcp . 80 : goto service-`);
  assert.equal(await httpGet('a', `${svcNet}.13:80`), 'a');
});

test('a Service without endpoints is rejected at once, from a pod and from the node', { skip }, async () => {
  api.put('services', makeService('empty', { clusterIP: `${svcNet}.14`, ports: [{ port: 80 }] }));
  await applied_(`${svcNet}.14 . tcp . 80 : goto reject-chain`);
  await assert.rejects(httpGet('c', `${svcNet}.14:80`), /Connection refused/);

  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    const s = connect({ host: `${svcNet}.14`, port: 80, timeout: 3000 });
    s.on('error', resolve).on('timeout', () => resolve(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  });
  assert.equal(err.code, 'ECONNREFUSED');
});

test('an established connection survives re-syncs and a restarted proxy; a deleted Service leaves no rule', { skip }, async () => {
  api.put('services', makeService('echo', { clusterIP: `${svcNet}.15`, ports: [{ port: 9000 }] }));
  api.put(SLICES, makeSlice('echo', [{ ip: pods.a }], [{ port: 9000 }]));
  await applied_(`dnat to ${pods.a}:9000`);
  const sock: Socket = connect({ host: `${svcNet}.15`, port: 9000 });
  const echo = async (text: string) => {
    const got = new Promise<string>((resolve) => sock.once('data', (d) => resolve(d.toString())));
    sock.write(text);
    return got;
  };
  try {
    assert.equal(await echo('one'), 'one');
    // A second proxier for the same node (a restarted server) rewrites the whole table in one transaction.
    const restarted = new Proxier({ client, nodeName: `proxy-it-${process.pid}`, clusterCidr: `${net}.0/24`, serviceCidr: `${svcNet}.0/24` });
    await Promise.all([restarted.services.run(AbortSignal.timeout(2000)).catch(() => {}), restarted.slices.run(AbortSignal.timeout(2000)).catch(() => {}), (async () => {
      await Promise.all([restarted.services.synced, restarted.slices.synced]);
      await restarted.sync();
    })()]);
    assert.equal(await echo('two'), 'two');

    api.remove('services', 'default', 'echo');
    api.remove(SLICES, 'default', 'echo-abcde');
    // Applied as a partial transaction: its map elements and chains are deleted, nothing else rewritten.
    await pollUntil(async () => {
      const { stdout } = await run('nft', ['list', 'table', 'ip', proxier.table]);
      return !stdout.includes(`${svcNet}.15`) && !stdout.includes('default/echo/');
    }, 'no rule, chain or element of the deleted Service');
    assert.doesNotMatch(applied.at(-1)!, /flush table/);
  } finally {
    sock.destroy();
  }
});

test('UDP: a client that keeps sending moves to the new endpoint once the old one is removed (stale flows deleted)', { skip }, async () => {
  api.put('services', makeService('udp', { clusterIP: `${svcNet}.16`, ports: [{ port: 53, protocol: 'UDP' }] }));
  api.put(SLICES, makeSlice('udp', [{ ip: pods.a }], [{ port: 9001, protocol: 'UDP' }]));
  await applied_(`dnat to ${pods.a}:9001`);
  // One socket, so one flow: its source address and port stay the same for every datagram.
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, resolve));
  const ask = () => new Promise<string>((resolve) => {
    const timer = setTimeout(() => (sock.removeAllListeners('message'), resolve('')), 1000);
    sock.once('message', (m) => (clearTimeout(timer), resolve(m.toString())));
    sock.send('who', 53, `${svcNet}.16`);
  });
  try {
    assert.equal(await pollUntil(ask, 'an answer over UDP'), 'a');
    // Endpoint a stays up and would keep answering this flow if its conntrack entry survived.
    api.put(SLICES, makeSlice('udp', [{ ip: pods.b }], [{ port: 9001, protocol: 'UDP' }]));
    await applied_(`dnat to ${pods.b}:9001`);
    await pollUntil(async () => (await ask()) === 'b', 'the flow to move to endpoint b', 5000);
  } finally {
    sock.close();
  }
});

test('removeRules: no table remains', { skip }, async () => {
  assert.match((await run('nft', ['list', 'tables'])).stdout, new RegExp(`table ip ${proxier.table}\\b`));
  stopProxier.abort();
  await running;
  assert.equal(await proxier.removeRules(), true);
  assert.doesNotMatch((await run('nft', ['list', 'tables'])).stdout, new RegExp(`table ip ${proxier.table}\\b`));
});
