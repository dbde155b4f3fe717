/**
 * `kubeling agent` end to end (fake runtime: this is about joining and scheduling, not containers): a
 * server and an agent with labels and a taint, joined with the server's DIR/node-token. kubectl sees both
 * nodes Ready with the right ROLES; each node got its own /24; a pod whose nodeSelector names the agent's
 * label but does not tolerate its taint stays Pending as Unschedulable; with the toleration it lands on the
 * agent and gets an IP from the agent's /24; pods without either never land on the tainted agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INode } from 'kubernetes-models/v1/Node';
import { KUBELING_BIN, pickTestClusterCidr, startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { getJson } from './helpers/workloads.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';

/** A fake-runtime agent; `reuse` restarts on an earlier agent's data dir (`stop({ keep: true })` first). */
function startFakeAgent(server: ServerHandle, args: string[], reuse?: string): AgentHandle {
  return startAgent(server, { runtime: 'fake', args, ...(reuse ? { dataDir: reuse } : {}) });
}

function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return until(fn, what, timeoutMs);
}

/** The n-th /24 of a 10.x.0.0/16 cluster CIDR: node-ipam gives the server's node the first, agents the next. */
const nthPodCidr = (clusterCidr: string, n: number) => clusterCidr.replace(/\.0\.0\/16$/, `.${n}.0/24`);

const inCidr = (ip: string, cidr: string) => ip.startsWith(cidr.replace(/0\/24$/, ''));

function podYaml(name: string, extra: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "echo hello from ${name}; sleep 3600"]
${extra}`;
}

test('an agent joins with the node token; labels, taints, roles and pod CIDRs', async (t) => {
  // A cluster CIDR of this test's own (not the default 10.42.0.0/16), so parallel servers never share one.
  const clusterCidr = pickTestClusterCidr();
  const server = await startServer({ runtime: 'fake', clusterCidr });
  t.after(() => server.stop());
  assert.equal(server.clusterCidr, clusterCidr);
  const serverCidr = nthPodCidr(clusterCidr, 0);
  const agentCidrWanted = nthPodCidr(clusterCidr, 1);
  const agentName = `agent-${process.pid}`;

  // Bad input first: one line, exit 2, nothing joined.
  const bad = spawn(
    process.execPath,
    [KUBELING_BIN, 'agent', '--server', server.url, '--register-with-taints', 'x=y:Sometimes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let badErr = '';
  bad.stderr!.setEncoding('utf8').on('data', (d: string) => (badErr += d));
  const [badCode] = (await once(bad, 'exit')) as [number | null];
  assert.equal(badCode, 2);
  assert.match(badErr, /^kubeling agent: invalid value for --register-with-taints: "x=y:Sometimes"/);

  // A wrong token is refused before anything is registered: the agent reads cluster-info anonymously and
  // finds its signature does not match, so the token never goes to a server it has not verified.
  const wrong = startFakeAgent(server, ['--token', 'not-the-token', '--node-name', 'intruder']);
  const [wrongCode] = (await once(wrong.process, 'exit')) as [number | null];
  await wrong.stop();
  assert.equal(wrongCode, 1, wrong.stderr());
  assert.match(wrong.stderr(), /kubeling agent: cluster-info signature does not match the token/);
  assert.doesNotMatch(wrong.stderr(), /sending the token before the server is verified/);

  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agent = startFakeAgent(server, [
    '--token',
    token,
    '--node-name',
    agentName,
    '--node-labels',
    'disk=ssd,zone=b',
    '--register-with-taints',
    'dedicated=gpu:NoSchedule',
  ]);
  t.after(() => agent.stop());
  const readyLine = await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) =>
    assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`),
  );
  const agentCidr = /podCIDR=(\S+)/.exec(readyLine)?.[1];
  assert.equal(agentCidr, agentCidrWanted, readyLine);
  assert.ok(existsSync(join(agent.dataDir, 'pki', 'ca.crt')), 'the agent pins the CA it discovered');
  assert.equal(readFileSync(join(agent.dataDir, 'pki', 'ca.crt'), 'utf8').trim(), server.caPem.trim());

  // Both nodes Ready in kubectl, with the control-plane role only on the server's node.
  const table = await poll('both nodes Ready', async () => {
    const r = await server.kubectl(['get', 'nodes']);
    const rows = r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/));
    return rows.length === 2 && rows.every((row) => row[1] === 'Ready') ? rows : undefined;
  });
  const serverRow = table.find((r) => r[0] !== agentName)!;
  const agentRow = table.find((r) => r[0] === agentName)!;
  assert.equal(serverRow[2], 'control-plane');
  assert.equal(agentRow[2], '<none>');
  const nodes = (await getJson<{ items: INode[] }>(server, ['nodes']))!.items;
  const serverNode = nodes.find((n) => n.metadata?.name !== agentName)!;
  const agentNode = nodes.find((n) => n.metadata?.name === agentName)!;
  assert.equal(serverNode.spec?.podCIDR, serverCidr);
  assert.equal(agentNode.spec?.podCIDR, agentCidrWanted);
  assert.equal(agentNode.metadata?.labels?.disk, 'ssd');
  assert.equal(agentNode.metadata?.labels?.zone, 'b');
  assert.equal(agentNode.metadata?.labels?.['kubernetes.io/hostname'], agentName);
  // The node lifecycle controller's node.kubernetes.io/ taints come and go with the node's conditions (a kubelet
  // registers NotReady); the registered one stays.
  assert.deepEqual(agentNode.spec?.taints?.filter((x) => !x.key.startsWith('node.kubernetes.io/')), [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
  assert.equal(agentNode.status?.nodeInfo?.containerRuntimeVersion, 'fake://0.1.0');
  const serverNodeName = serverNode.metadata!.name!;

  // nodeSelector matches only the agent, which is tainted: unschedulable.
  const apply = async (yaml: string) => {
    const r = await server.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  await apply(podYaml('picky', '  nodeSelector:\n    disk: ssd\n'));
  const unschedulable = await poll('picky Unschedulable', async () => {
    const p = await getJson<IPod>(server, ['pod', 'picky']);
    const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
    return c?.status === 'False' && c.reason === 'Unschedulable' ? c : undefined;
  });
  assert.match(unschedulable.message ?? '', /0\/2 nodes are available/);
  assert.match(unschedulable.message ?? '', /untolerated taint.*dedicated: gpu/);

  // With the toleration it lands on the agent, runs there and gets an IP from the agent's /24.
  await apply(
    podYaml(
      'gpu-job',
      '  nodeSelector:\n    disk: ssd\n  tolerations:\n  - key: dedicated\n    operator: Equal\n    value: gpu\n    effect: NoSchedule\n',
    ),
  );
  const onAgent = await poll('gpu-job Running', async () => {
    const p = await getJson<IPod>(server, ['pod', 'gpu-job']);
    return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
  });
  assert.equal(onAgent.spec?.nodeName, agentName);
  assert.ok(inCidr(onAgent.status!.podIP!, agentCidr), `pod IP ${onAgent.status!.podIP} not in ${agentCidr}`);
  // kubectl logs goes API server → the agent's kubelet, which accepts the kubelet client token it joined with.
  const logs = await poll('gpu-job logs', async () => {
    const l = await server.kubectl(['logs', 'gpu-job']);
    return l.code === 0 && l.stdout.includes('hello') ? l.stdout : undefined;
  });
  assert.equal(logs.trim(), 'hello from gpu-job');

  // Pods that neither select nor tolerate the agent go to the server's node, and get its /24.
  for (const n of [1, 2, 3]) await apply(podYaml(`plain-${n}`, ''));
  for (const n of [1, 2, 3]) {
    const p = await poll(`plain-${n} Running`, async () => {
      const pod = await getJson<IPod>(server, ['pod', `plain-${n}`]);
      return pod?.status?.phase === 'Running' && pod.status.podIP ? pod : undefined;
    });
    assert.equal(p.spec?.nodeName, serverNodeName, `plain-${n} must not land on the tainted agent`);
    assert.ok(inCidr(p.status!.podIP!, serverCidr), `pod IP ${p.status!.podIP} not in ${serverCidr}`);
  }
  const stillPending = await getJson<IPod>(server, ['pod', 'picky']);
  assert.equal(stillPending?.spec?.nodeName, undefined);

  // The agent stops cleanly on SIGTERM, and a restart on the same data dir rejoins: it checks the server
  // against the CA it pinned, keeps its Node and pod CIDR.
  const r = await server.kubectl(['delete', 'pod', '--all', '--wait=false']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await agent.stop({ keep: true }), 0, agent.stderr().slice(-3000));
  const again = startFakeAgent(server, ['--token', token, '--node-name', agentName], agent.dataDir);
  t.after(() => again.stop());
  const line2 = await waitForOutput(again.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) =>
    assert.fail(`${err.message}\nagent log:\n${again.stderr()}`),
  );
  assert.ok(line2.includes(` podCIDR=${agentCidrWanted} `), line2);
  assert.doesNotMatch(again.stderr(), /trust on first use/);
  assert.equal(await again.stop(), 0, again.stderr().slice(-3000));
});

const staticPod = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "3600"]
`;

test('--cluster-cidr, --pod-manifest-path (server and agent) and --tls-san', async (t) => {
  const manifests = mkdtempSync(join(tmpdir(), 'kubeling-static-e2e-'));
  t.after(() => rmSync(manifests, { recursive: true, force: true }));
  writeFileSync(join(manifests, 'server-static.yaml'), staticPod('server-static'));
  const server = await startServer({
    runtime: 'fake',
    clusterCidr: '10.77.0.0/16',
    args: ['--pod-manifest-path', manifests, '--tls-san', 'kubeling.example.test', '--tls-san=192.0.2.77'],
  });
  t.after(() => server.stop());
  assert.equal(server.clusterCidr, '10.77.0.0/16');

  // The serving certificate names the --tls-san values besides loopback.
  const san = new X509Certificate(readFileSync(join(server.dataDir, 'pki', 'server.crt'))).subjectAltName ?? '';
  for (const want of ['DNS:kubeling.example.test', 'IP Address:192.0.2.77', 'IP Address:127.0.0.1']) assert.ok(san.includes(want), san);

  const agentManifests = mkdtempSync(join(tmpdir(), 'kubeling-static-agent-e2e-'));
  t.after(() => rmSync(agentManifests, { recursive: true, force: true }));
  writeFileSync(join(agentManifests, 'agent-static.yaml'), staticPod('agent-static'));
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agentName = `static-agent-${process.pid}`;
  const agent = startFakeAgent(server, ['--token', token, '--node-name', agentName, '--pod-manifest-path', agentManifests]);
  t.after(() => agent.stop());
  const readyLine = await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) =>
    assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`),
  );
  // node-ipam cuts /24s from the cluster CIDR: the server's node has the first, the agent the next.
  assert.match(readyLine, /podCIDR=10\.77\.1\.0\/24/);
  const nodes = await poll('both nodes with pod CIDRs', async () => {
    const items = (await getJson<{ items: INode[] }>(server, ['nodes']))?.items ?? [];
    return items.length === 2 && items.every((n) => n.spec?.podCIDR) ? items : undefined;
  });
  const serverNode = nodes.find((n) => n.metadata?.name !== agentName)!;
  assert.equal(serverNode.spec?.podCIDR, '10.77.0.0/24');

  // Static pods from each --pod-manifest-path run on their node, shown as mirror pods `<name>-<node>`, with
  // IPs from that node's /24.
  for (const [name, node, cidr] of [
    ['server-static', serverNode.metadata!.name!, '10.77.0.0/24'],
    ['agent-static', agentName, '10.77.1.0/24'],
  ] as const) {
    const mirror = await poll(`${name} mirror pod Running`, async () => {
      const p = await getJson<IPod>(server, ['pod', `${name}-${node}`]);
      return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    assert.equal(mirror.spec?.nodeName, node);
    assert.ok(inCidr(mirror.status!.podIP!, cidr), `${name}: pod IP ${mirror.status!.podIP} not in ${cidr}`);
  }
});
