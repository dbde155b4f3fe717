/**
 * Node identity end to end (fake runtime: this is about credentials and authorization): an agent joins with
 * the node token, gets its own client certificate through a CertificateSigningRequest and keeps it in
 * DIR/kubelet.kubeconfig, which the real kubectl uses as `system:node:<name>`. With it, the Node authorizer
 * lets the node read a secret a pod on it mounts and nothing else; NodeRestriction keeps it off other nodes'
 * pods and Node objects and off restricted labels of its own. The node token alone only joins. `kubectl get
 * csr`, `kubectl certificate approve|deny` and a client certificate from the kube-apiserver-client signer
 * used through `--client-certificate/--client-key` complete the picture; a restarted agent reuses its
 * certificate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pickTestClusterCidr, startServer, waitForOutput } from './helpers/server.ts';
import { startAgent } from './helpers/agent.ts';
import { until } from './helpers/until.ts';
import { makeCsr } from '../../src/machinery/index.ts';

function podYaml(name: string, nodeName: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: ${nodeName}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "3600"]
${extra}`;
}

test('a node acts as system:node:<name>: its kubeconfig, the Node authorizer and NodeRestriction', async (t) => {
  const server = await startServer({ runtime: 'fake', clusterCidr: pickTestClusterCidr() });
  t.after(() => server.stop());
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agentName = `nodeauth-${process.pid}`;
  let agent = startAgent(server, { runtime: 'fake', args: ['--token', token, '--node-name', agentName], label: 'nodeauth' });
  t.after(() => agent.stop());
  await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) => assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`));

  // The agent's own kubeconfig, private, and kubectl with it is the node.
  const nodeKubeconfig = join(agent.dataDir, 'kubelet.kubeconfig');
  assert.equal(statSync(nodeKubeconfig).mode & 0o777, 0o600);
  const asNode = (args: string[], input?: string) => server.kubectl(['--kubeconfig', nodeKubeconfig, ...args], input === undefined ? {} : { input });
  const whoami = await asNode(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
  assert.equal(whoami.code, 0, whoami.stderr);
  assert.equal(whoami.stdout, `system:node:${agentName} ["system:nodes","system:authenticated"]`);
  const nodes = await asNode(['get', 'node', agentName, '-o', 'name']);
  assert.equal(nodes.stdout.trim(), `node/${agentName}`, nodes.stderr);

  // The join request: made by the bootstrap identity, approved and issued, in kubectl's columns.
  const csrs = await server.kubectl(['get', 'csr']);
  assert.equal(csrs.code, 0, csrs.stderr);
  assert.match(csrs.stdout, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
  assert.match(csrs.stdout, /\nnode-csr-\S+\s+\S+\s+kubernetes\.io\/kube-apiserver-client-kubelet\s+system:node-bootstrap\s+<none>\s+Approved,Issued\n/);

  // A secret a pod on the node mounts is readable; one no pod on it uses is not.
  const serverNode = (await server.kubectl(['get', 'nodes', '-l', 'node-role.kubernetes.io/control-plane', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
  assert.ok(serverNode);
  // The server's own node is a node like any other: its kubelet runs with a certificate the server signed.
  const serverWhoami = await server.kubectl(['--kubeconfig', join(server.dataDir, 'kubelet.kubeconfig'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  assert.equal(serverWhoami.stdout, `system:node:${serverNode}`, serverWhoami.stderr);
  for (const s of ['mounted', 'unused']) assert.equal((await server.kubectl(['create', 'secret', 'generic', s, '--from-literal=k=v'])).code, 0);
  const applied = await server.kubectl(['apply', '-f', '-'], {
    input: `${podYaml('on-agent', agentName, `  volumes:\n  - name: s\n    secret:\n      secretName: mounted\n`)}---\n${podYaml('on-server', serverNode)}`,
  });
  assert.equal(applied.code, 0, applied.stderr);
  await until(async () => (await asNode(['get', 'secret', 'mounted', '-o', 'name'])).code === 0 || undefined, 'the node reads the mounted secret', 30_000);
  const unused = await asNode(['get', 'secret', 'unused']);
  assert.notEqual(unused.code, 0);
  assert.equal(unused.stderr.trim(), `Error from server (Forbidden): secrets "unused" is forbidden: User "system:node:${agentName}" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node '${agentName}' and this object`);

  // NodeRestriction: not another node's pod, not another Node, not a restricted label on its own.
  // (A node may not read pods/status, so `kubectl patch --subresource` cannot be used, as upstream: a raw PUT.)
  const other = JSON.parse((await server.kubectl(['get', 'pod', 'on-server', '-o', 'json'])).stdout) as { status?: Record<string, unknown> };
  other.status = { ...other.status, message: 'hijacked' };
  const otherPodStatus = await asNode(['replace', '--raw', '/api/v1/namespaces/default/pods/on-server/status', '-f', '-'], JSON.stringify(other));
  assert.notEqual(otherPodStatus.code, 0);
  assert.equal(otherPodStatus.stderr.trim(), `Error from server (Forbidden): pods "on-server" is forbidden: node "${agentName}" can only update pod status for pods with spec.nodeName set to itself`);
  const otherPod = await asNode(['label', 'pod', 'on-server', 'owned=yes']);
  assert.notEqual(otherPod.code, 0);
  assert.match(otherPod.stderr, new RegExp(`pods "on-server" is forbidden: User "system:node:${agentName}" cannot patch resource "pods" in API group "" in the namespace "default"`));
  const otherNode = await asNode(['annotate', 'node', serverNode, 'owned=yes']);
  assert.notEqual(otherNode.code, 0);
  assert.equal(otherNode.stderr.trim(), `Error from server (Forbidden): nodes "${serverNode}" is forbidden: node "${agentName}" is not allowed to modify node "${serverNode}"`);
  const restricted = await asNode(['label', 'node', agentName, 'node-restriction.kubernetes.io/x=y']);
  assert.notEqual(restricted.code, 0);
  assert.equal(restricted.stderr.trim(), `Error from server (Forbidden): nodes "${agentName}" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x`);
  const own = await asNode(['label', 'node', agentName, 'team=a']);
  assert.equal(own.code, 0, own.stderr);

  // The node token alone only joins.
  const caFile = join(server.dataDir, 'pki', 'ca.crt');
  const asToken = await server.kubectl(['--kubeconfig', '/dev/null', '--server', server.url, '--certificate-authority', caFile, '--token', token, 'get', 'pods']);
  assert.notEqual(asToken.code, 0);
  assert.equal(asToken.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "system:node-bootstrap" cannot list resource "pods" in API group "" in the namespace "default"');

  // A user's client certificate: requested, approved with kubectl, issued, used by kubectl; a denied one is not issued.
  const dir = agent.dataDir;
  const { csrPem, keyPem } = await makeCsr('jane', ['dev', 'ops']);
  writeFileSync(join(dir, 'jane.key'), keyPem, { mode: 0o600 });
  const csrYaml = (name: string) => `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${name}
spec:
  request: ${Buffer.from(csrPem).toString('base64')}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: ["client auth"]
`;
  assert.equal((await server.kubectl(['apply', '-f', '-'], { input: `${csrYaml('jane')}---\n${csrYaml('mallory')}` })).code, 0);
  const pending = await server.kubectl(['get', 'csr', 'jane', '--no-headers']);
  assert.match(pending.stdout, /^jane\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+system:admin\s+24h\s+Pending\n$/);
  const approve = await server.kubectl(['certificate', 'approve', 'jane']);
  assert.equal(approve.stdout.trim(), 'certificatesigningrequest.certificates.k8s.io/jane approved', approve.stderr);
  const deny = await server.kubectl(['certificate', 'deny', 'mallory']);
  assert.equal(deny.stdout.trim(), 'certificatesigningrequest.certificates.k8s.io/mallory denied', deny.stderr);
  const certB64 = await until(async () => (await server.kubectl(['get', 'csr', 'jane', '-o', 'jsonpath={.status.certificate}'])).stdout || undefined, 'the certificate is issued', 30_000);
  writeFileSync(join(dir, 'jane.crt'), Buffer.from(certB64, 'base64'));
  const jane = await server.kubectl(['--kubeconfig', '/dev/null', '--server', server.url, '--certificate-authority', caFile,
    '--client-certificate', join(dir, 'jane.crt'), '--client-key', join(dir, 'jane.key'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
  assert.equal(jane.stdout, 'jane ["dev","ops","system:authenticated"]', jane.stderr);
  const mallory = await server.kubectl(['get', 'csr', 'mallory', '--no-headers']);
  assert.match(mallory.stdout, /\sDenied\n$/);
  assert.equal((await server.kubectl(['get', 'csr', 'mallory', '-o', 'jsonpath={.status.certificate}'])).stdout, '');

  // A restart reuses the node's certificate: no new request.
  const before = readFileSync(nodeKubeconfig, 'utf8');
  const countCsrs = async () => (await server.kubectl(['get', 'csr', '-o', 'name'])).stdout.split('\n').filter((l) => l.includes('node-csr-')).length;
  const csrCount = await countCsrs();
  await agent.stop({ keep: true });
  agent = startAgent(server, { runtime: 'fake', args: ['--token', token, '--node-name', agentName], dataDir: agent.dataDir });
  await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) => assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`));
  assert.equal(readFileSync(nodeKubeconfig, 'utf8'), before);
  assert.equal(await countCsrs(), csrCount);
});
