/**
 * A three-host cluster on one machine, once per `--pod-network` backend (host-gw, vxlan). Each host is a
 * network namespace this test makes, with a veth into a test bridge in the root namespace as its LAN
 * (helpers/lan.ts: 192.168.N.0/24, N from 200-249 with no address or route of the root namespace in it; the
 * bridge holds .254, the hosts .1-.3). `kubeling server --runtime oci` runs in the first (`--listen 192.168.N.1:0`),
 * `kubeling agent --runtime oci` in the others, all with real containers. The test shows:
 *
 *   - a pod on the server's host and a pod on an agent reach pods on the other hosts by pod IP, and the pod
 *     they reach sees the caller's pod IP (no masquerade between pods);
 *   - a pod reaches an HTTP server outside the cluster (the root namespace, on the bridge's address), which
 *     sees the pod's node IP as the source (masquerade); without it the reply would have no way back;
 *   - a node that leaves (agent stopped, Node deleted) has its route removed on the other hosts;
 *   - nodes stopped with no pod left remove their routes, vxlan device and nftables tables; after the test
 *     deletes the namespaces and the bridge, no link of the test is left in the root namespace.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { KUBELING_BIN, startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import { until, untilWith } from './helpers/until.ts';
import { ensureBusyboxArchive } from '../fixtures/busybox.ts';
import { missingPodNetwork } from '../prerequisites.ts';
import { unmountUnder } from '../../src/runtime/oci/mounts.ts';
import { inNs, makeLan, run } from './helpers/lan.ts';

const ROUTE_PROTO = '75';

function kubeling(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [KUBELING_BIN, ...args], { timeout: 120_000 }, (err, _out, stderr) => res({ code: err ? 1 : 0, stderr: String(stderr) }));
  });
}

/** What of kubeling's pod network (and proxy) a namespace still holds: vxlan devices, proto-75 routes, nft tables. */
function leftovers(ns: string): string[] {
  const out: string[] = [];
  const vxlan = inNs(ns, 'ip', ['-o', 'link', 'show', 'type', 'vxlan']).trim();
  if (vxlan) out.push(`vxlan: ${vxlan}`);
  const routes = inNs(ns, 'ip', ['route', 'show', 'proto', ROUTE_PROTO]).trim();
  if (routes) out.push(`routes: ${routes}`);
  const tables = inNs(ns, 'nft', ['list', 'tables']).split('\n').filter((l) => l.includes('kubeling'));
  if (tables.length) out.push(`nft: ${tables.join(', ')}`);
  return out;
}

function podYaml(name: string, node: string, command: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 2
  nodeSelector:
    kubernetes.io/hostname: ${node}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", ${JSON.stringify(command)}]
`;
}

/** Answers `/cgi-bin/ip` with the caller's address as the pod sees it. */
const WEB = "trap 'exit 0' TERM; mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho \"$REMOTE_ADDR\"\\n' > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && httpd -f -p 8080 -h /www & wait";

async function podIp(server: ServerHandle, name: string, detail: () => string): Promise<string> {
  let pod: IPod | undefined;
  await untilWith(
    async () => {
      const r = await server.kubectl(['get', 'pod', name, '-o', 'json']);
      pod = r.code === 0 ? (JSON.parse(r.stdout) as IPod) : undefined;
      return pod?.status?.phase === 'Running' && pod.status.podIP;
    },
    `${name} Running`,
    { timeoutMs: 120_000, intervalMs: 500, detail: () => `${JSON.stringify(pod?.status)}\n${detail()}` },
  );
  return pod!.status!.podIP!;
}

/** `wget -qO- URL` inside pod `name`, retried until it answers (peers' routes may still be on their way). */
async function fetchFrom(server: ServerHandle, name: string, url: string, what: string): Promise<string> {
  return until(async () => {
    // busybox's own `timeout`: its wget -T crashes (Debian's busybox-static 1.35).
    const r = await server.kubectl(['exec', name, '--', 'timeout', '5', 'wget', '-qO-', url]);
    if (r.code !== 0) throw new Error(`${r.stderr}${r.stdout}`);
    // busybox httpd gives CGI scripts IPv4 callers as `[::ffff:a.b.c.d]`.
    return r.stdout.trim().replace(/^\[::ffff:(.*)\]$/, '$1');
  }, what, 60_000);
}

async function threeHosts(t: TestContext, backend: 'host-gw' | 'vxlan'): Promise<void> {
  const why = missingPodNetwork();
  if (why) {
    t.skip(why);
    return;
  }
  const archive = await ensureBusyboxArchive();
  const tag = `${(process.pid % 46656).toString(36)}${backend === 'vxlan' ? 'x' : 'g'}`;
  const lan = makeLan(tag, 3);
  const addr = (i: number) => `192.168.${lan.n}.${i + 1}`;
  const names = [0, 1, 2].map((i) => `h${i}-${tag}`);
  const dirs: string[] = [];
  const agents: AgentHandle[] = [];
  let server: ServerHandle | undefined;
  const outside: Server = createServer((req, res) => res.end(req.socket.remoteAddress ?? ''));
  t.after(async () => {
    outside.close();
    // Pods keep their hosts' namespaces alive (conmon runs in them): delete them before anything stops.
    if (server) await server.kubectl(['delete', 'pod', '--all', '--timeout=90s']).catch(() => {});
    for (const a of agents) await a.stop().catch(() => {});
    await server?.stop().catch(() => {});
    lan.remove();
    for (const d of dirs) {
      unmountUnder(d);
      rmSync(d, { recursive: true, force: true });
    }
  });

  const serverDir = mkdtempSync(join(tmpdir(), 'kubeling-e2e-podnet-'));
  dirs.push(serverDir);
  const imported = await kubeling(['image', 'import', archive, '--data-dir', serverDir]);
  assert.equal(imported.code, 0, imported.stderr);
  server = await startServer({
    runtime: 'oci',
    dataDir: serverDir,
    netns: lan.namespaces[0],
    args: ['--listen', `${addr(0)}:0`, '--node-name', names[0]!, '--pod-network', backend],
    readyTimeoutMs: 120_000,
    stopTimeoutMs: 30_000,
  });
  const token = readFileSync(join(serverDir, 'node-token'), 'utf8').trim();
  for (const i of [1, 2]) {
    const dataDir = mkdtempSync(join(tmpdir(), `kubeling-e2e-podnet-${i}-`));
    dirs.push(dataDir);
    const im = await kubeling(['image', 'import', archive, '--data-dir', dataDir]);
    assert.equal(im.code, 0, im.stderr);
    const agent = startAgent(server, { runtime: 'oci', dataDir, netns: lan.namespaces[i], args: ['--token', token, '--node-name', names[i]!], stopTimeoutMs: 30_000 });
    agents.push(agent);
    await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 120_000).catch((err: Error) => assert.fail(`${err.message}\n${agent.stderr().slice(-3000)}`));
  }
  const logs = () => `server:\n${server!.stderr().slice(-2000)}\n${agents.map((a, i) => `agent ${i + 1}:\n${a.stderr().slice(-2000)}`).join('\n')}`;

  // Each node reports its LAN address as its InternalIP and announces the backend.
  await untilWith(async () => {
    const r = await server!.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.addresses[?(@.type=="InternalIP")].address}/{.metadata.annotations.kubeling\\.io/backend-type} {end}']);
    const got = r.stdout.trim().split(' ').sort().join(' ');
    return got === names.map((n, i) => `${n}=${addr(i)}/${backend}`).join(' ') && got;
  }, 'every node with its InternalIP and backend', { timeoutMs: 60_000, detail: logs });

  for (const [i, name] of [[0, 'client'], [1, 'web-1'], [2, 'web-2']] as const) {
    const r = await server.kubectl(['apply', '-f', '-'], { input: podYaml(name, names[i]!, name === 'client' ? "trap 'exit 0' TERM; sleep 3600 & wait" : WEB) });
    assert.equal(r.code, 0, r.stderr);
  }
  const clientIp = await podIp(server, 'client', logs);
  const web1 = await podIp(server, 'web-1', logs);
  const web2 = await podIp(server, 'web-2', logs);

  // Across hosts by pod IP, and the callee sees the caller's pod IP.
  assert.equal(await fetchFrom(server, 'client', `http://${web1}:8080/cgi-bin/ip`, `client (server host) -> web-1 (${backend})`), clientIp);
  assert.equal(await fetchFrom(server, 'client', `http://${web2}:8080/cgi-bin/ip`, `client (server host) -> web-2 (${backend})`), clientIp);
  assert.equal(await fetchFrom(server, 'web-1', `http://${web2}:8080/cgi-bin/ip`, `web-1 -> web-2 (${backend})`), web1);

  // Outside the cluster: an HTTP server in the root namespace sees the node's address.
  await new Promise<void>((resolve) => outside.listen(0, `192.168.${lan.n}.254`, resolve));
  const port = (outside.address() as { port: number }).port;
  assert.equal(await fetchFrom(server, 'web-2', `http://192.168.${lan.n}.254:${port}/`, 'web-2 -> outside'), addr(2));

  // The backend's state on a host: a vxlan device (VNI 1, port 8472) or none, and a route per peer.
  const routes1 = inNs(lan.namespaces[1]!, 'ip', ['route', 'show', 'proto', ROUTE_PROTO]);
  const vxlan1 = inNs(lan.namespaces[1]!, 'ip', ['-d', 'link', 'show', 'type', 'vxlan']);
  if (backend === 'vxlan') {
    assert.match(vxlan1, /kubeling\.vxlan.*mtu 1450/s);
    assert.match(vxlan1, /vxlan id 1 local 192\.168\.\d+\.2 .*dstport 8472 nolearning/s);
    assert.match(routes1, /dev kubeling\.vxlan onlink/);
    // Pods leave room for the overlay's header, as flannel sets their MTU.
    const mtu = await server.kubectl(['exec', 'web-1', '--', 'cat', '/sys/class/net/eth0/mtu']);
    assert.equal(mtu.stdout.trim(), '1450', mtu.stderr);
  } else {
    assert.equal(vxlan1.trim(), '');
    assert.match(routes1, new RegExp(`via ${addr(2).replace(/\./g, '\\.')} dev eth0`));
  }

  // Node 2 leaves: its pods go, its agent stops (taking its own routes with it), its Node is deleted.
  const cidr2 = JSON.parse((await server.kubectl(['get', 'node', names[2]!, '-o', 'json'])).stdout).spec.podCIDR as string;
  assert.match(routes1, new RegExp(`^${cidr2.replace(/\./g, '\\.')} `, 'm'));
  const del = await server.kubectl(['delete', 'pod', 'web-2', '--timeout=90s']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(await agents[1]!.stop({ keep: true }), 0, agents[1]!.stderr().slice(-3000));
  assert.deepEqual(leftovers(lan.namespaces[2]!), [], 'a node stopped with no pod left removes its pod network');
  assert.equal((await server.kubectl(['delete', 'node', names[2]!])).code, 0);
  for (const i of [0, 1]) {
    await until(async () => !inNs(lan.namespaces[i]!, 'ip', ['route', 'show', 'proto', ROUTE_PROTO]).includes(cidr2) || undefined, `host ${i} drops the route to ${cidr2}`, 30_000);
  }
  if (backend === 'vxlan') assert.doesNotMatch(inNs(lan.namespaces[1]!, 'bridge', ['fdb', 'show', 'dev', 'kubeling.vxlan']), new RegExp(`dst ${addr(2).replace(/\./g, '\\.')} `), 'its fdb entry goes too');

  // Everything else stops with no pod left: nothing of ours stays in any host.
  const delAll = await server.kubectl(['delete', 'pod', '--all', '--timeout=90s']);
  assert.equal(delAll.code, 0, delAll.stderr);
  assert.equal(await agents[0]!.stop({ keep: true }), 0, agents[0]!.stderr().slice(-3000));
  const serverLog = server.stderr();
  assert.equal(await server.stop(), 0, serverLog.slice(-3000));
  server = undefined;
  for (const ns of lan.namespaces) assert.deepEqual(leftovers(ns), [], `${ns} is clean`);

  lan.remove();
  for (const ns of lan.namespaces) assert.equal(existsSync(`/run/netns/${ns}`), false);
  // The kernel destroys a deleted namespace (and with it the veths' other ends) asynchronously.
  await until(async () => !run('ip', ['-o', 'link', 'show']).includes(`kpn${tag}`) || undefined, 'no link of the test left in the root namespace', 60_000);
}

test('pod network host-gw: three hosts, pods reach pods across hosts, masquerade out, routes of a leaving node go, nothing left', { timeout: 600_000 }, (t) => threeHosts(t, 'host-gw'));

test('pod network vxlan: three hosts, pods reach pods across hosts, masquerade out, routes of a leaving node go, nothing left', { timeout: 600_000 }, (t) => threeHosts(t, 'vxlan'));
