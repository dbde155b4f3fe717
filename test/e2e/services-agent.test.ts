/**
 * Services on a `kubeling agent --runtime oci` node (the server's own node is fake and tainted, so every pod
 * runs on the agent), driven by the real kubectl: the agent's proxy and cluster DNS serve its pods as the
 * server's do. A client pod on the agent reaches the Deployment behind Service `web` by name (the agent's
 * DNS through the kube-dns cluster IP, internalTrafficPolicy Local: its own kube-dns-<node> endpoint), lists
 * pods through the `kubernetes` Service with its token, and the NodePort answers on the node's address. When
 * the agent stops with no pod left its table and DNS slice go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { INode } from 'kubernetes-models/v1/Node';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { tableName } from '../../src/proxy/index.ts';
import { KUBECTL, KUBELING_BIN, pickTestClusterCidr, startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import { until } from './helpers/until.ts';
import { hostnameWebYaml } from './helpers/services.ts';
import { podSandboxIds, ready } from './pod-helpers.ts';
import { ensureBusyboxArchive } from '../fixtures/busybox.ts';
import { missingRealContainers, missingServiceProxy } from '../prerequisites.ts';

const run = promisify(execFile);
const why = missingRealContainers() ?? missingServiceProxy();

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}

async function json<T>(server: ServerHandle, args: string[]): Promise<T> {
  const r = await server.kubectl([...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

test('Services on an oci agent: by name through its DNS, the kubernetes Service, NodePort; its rules go with its last pod', { skip: why, timeout: 600_000 }, async (t) => {
  const server = await startServer({ runtime: 'fake', clusterCidr: pickTestClusterCidr(), args: ['--node-taint', 'e2e.kubeling.io/fake=:NoSchedule'] });
  let agent: AgentHandle | undefined;
  // The agent's bridge (its /24 of this test's cluster CIDR, made by it): deleted at the end.
  const made: { bridge?: string } = {};
  t.after(async () => {
    await server.kubectl(['delete', 'deployments', '--all']);
    await server.kubectl(['delete', 'pods', '--all', '--grace-period=1'], { timeoutMs: 120_000 });
    await agent?.stop();
    await server.stop();
    if (made.bridge) await run('ip', ['link', 'del', made.bridge]).catch(() => undefined);
  });
  const name = `svc-agent-${process.pid}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-agent-svc-'));
  execFileSync(process.execPath, [KUBELING_BIN, 'image', 'import', await ensureBusyboxArchive(), '--data-dir', dataDir], { stdio: 'pipe' });
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  agent = startAgent(server, { runtime: 'oci', dataDir, args: ['--token', token, '--node-name', name], stopTimeoutMs: 30_000 });
  const line = await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 90_000);
  const podCidr = /podCIDR=(\S+)/.exec(line)![1]!;
  made.bridge = /bridge=(\S+)/.exec(line)![1]!;
  const table = tableName(name, podCidr);

  const apply = async (manifest: string) => {
    const r = await server.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
  };
  await apply(`${hostnameWebYaml('web', 2)}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
    volumeMounts: [{name: kubectl, mountPath: /opt/kubectl, readOnly: true}]
  volumes:
  - name: kubectl
    hostPath: {path: ${dirname(KUBECTL)}, type: Directory}
`);
  const names = await until(async () => {
    const pods = (await json<{ items: IPod[] }>(server, ['get', 'pods'])).items;
    const web = pods.filter((p) => p.metadata!.labels?.app === 'web' && ready(p));
    const client = pods.find((p) => p.metadata!.name === 'client');
    return web.length === 2 && client && ready(client) && pods.every((p) => p.spec!.nodeName === name) && new Set(web.map((p) => p.metadata!.name!));
  }, 'two web pods and the client ready on the agent', 180_000);

  // The client asks the agent's DNS (its resolv.conf names the kube-dns cluster IP) and reaches web.
  const body = await until(async () => {
    const r = await server.kubectl(['exec', 'client', '--', 'sh', '-c', 'timeout 5 wget -qO- http://web.default.svc.cluster.local/']);
    return r.code === 0 && r.stdout.trim();
  }, 'web by name from the client on the agent', 60_000);
  assert.ok(names.has(body), body);
  const slice = await json<{ endpoints: { addresses: string[]; nodeName: string }[] }>(server, ['get', 'endpointslice', '-n', 'kube-system', `kube-dns-${name}`]);
  assert.deepEqual(slice.endpoints.map((e) => [e.addresses[0], e.nodeName]), [[podCidr.replace(/0\/24$/, '1'), name]]);

  // With RBAC the pod's service account may do nothing beyond discovery: grant it read access, as a user would.
  const grant = await server.kubectl(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=default:default']);
  assert.equal(grant.code, 0, grant.stderr);
  const list = await server.kubectl(['exec', 'client', '--', '/opt/kubectl/kubectl', 'get', 'pods', '-o', 'name']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^pod\/client$/m);

  const svc = await json<IService>(server, ['get', 'svc', 'web']);
  const node = await json<INode>(server, ['get', 'node', name]);
  const address = node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
  const answer = await until(async () => (await httpGet(`http://${address}:${svc.spec!.ports![0]!.nodePort}/`)).trim(), 'the NodePort on the agent');
  assert.ok(names.has(answer), answer);
  assert.match((await run('nft', ['list', 'table', 'ip', table])).stdout, new RegExp(svc.spec!.clusterIP!.replace(/\./g, '\\.')));

  // No pod left on the agent: stopping it removes its table and its DNS slice.
  const d = await server.kubectl(['delete', 'deployment', 'web']);
  assert.equal(d.code, 0, d.stderr);
  await until(async () => (await server.kubectl(['get', 'replicasets', '-o', 'name'])).stdout.trim() === '', 'the ReplicaSet gone');
  const p = await server.kubectl(['delete', 'pods', '--all', '--grace-period=1'], { timeoutMs: 120_000 });
  assert.equal(p.code, 0, p.stderr);
  await until(async () => (await server.kubectl(['get', 'pods', '-o', 'name'])).stdout.trim() === '', 'no pods');
  await until(async () => podSandboxIds(dataDir).length === 0, 'no pod sandbox left on the agent');
  const stopping = agent;
  agent = undefined;
  assert.equal(await stopping.stop(), 0, stopping.stderr().slice(-3000));
  assert.doesNotMatch((await run('nft', ['list', 'tables'])).stdout, new RegExp(`table ip ${table}\\b`));
  await until(async () => (await server.kubectl(['get', 'endpointslice', '-n', 'kube-system', `kube-dns-${name}`])).code !== 0, `kube-dns-${name} gone`);
});
