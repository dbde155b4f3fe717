/**
 * The server's own node's kubelet serves with a certificate the cluster CA signed (CN system:node:<name>, O
 * system:nodes, its names and addresses), so a client holding only the CA from the admin kubeconfig verifies
 * the kubelet it reaches at the node's daemon endpoint. An agent's kubelet gets one too, through a
 * kubernetes.io/kubelet-serving CertificateSigningRequest it sends as the node, which the server's approver
 * approves (its SANs are the node's own) and signs; the agent keeps it across restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateSigningRequest, Node } from '../../src/api/index.ts';
import { startAgent } from './helpers/agent.ts';
import { waitForOutput, type ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';
import { getJson } from './helpers/workloads.ts';

let server: ServerHandle;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server } = s));

test('the local kubelet\'s serving certificate verifies against the cluster CA', async () => {
  const node = await until(async () => {
    const list = await getJson<{ items: Node[] }>(server, ['nodes']);
    const n = list?.items[0];
    return n?.status?.daemonEndpoints?.kubeletEndpoint?.Port ? n : undefined;
  }, 'the node to report its kubelet port');
  const port = node.status!.daemonEndpoints!.kubeletEndpoint!.Port;
  const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: server.caPem, rejectUnauthorized: true }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
  assert.equal(peer.subject.CN, `system:node:${node.metadata!.name}`);
  assert.equal(peer.subject.O, 'system:nodes');
  assert.match(peer.subjectaltname ?? '', new RegExp(`DNS:${node.metadata!.name}`));
  // The API server still reaches it (it does not verify kubelets, as upstream without --kubelet-certificate-authority).
  const raw = await server.kubectl(['get', '--raw', `/api/v1/nodes/${node.metadata!.name}/proxy/stats/summary`]);
  assert.equal(raw.code, 0, raw.stderr);
});

test('an agent\'s kubelet serves a certificate the cluster CA signed through an approved kubelet-serving CSR, kept across restarts', async (t) => {
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const name = `serving-${process.pid}`;
  const start = (dataDir?: string) => startAgent(server, { runtime: 'fake', args: ['--token', token, '--node-name', name], label: 'serving', ...(dataDir ? { dataDir } : {}) });
  let agent = start();
  t.after(() => agent.stop());
  await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) => assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`));
  const node = await until(async () => {
    const n = await getJson<Node>(server, ['node', name]);
    return n?.status?.daemonEndpoints?.kubeletEndpoint?.Port ? n : undefined;
  }, 'the agent\'s node to report its kubelet port');
  const first = await servedCertificate(node.status!.daemonEndpoints!.kubeletEndpoint!.Port, name);
  assert.equal(first.subject.CN, `system:node:${name}`);
  assert.equal(first.subject.O, 'system:nodes');
  const ip = node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
  assert.deepEqual(first.subjectaltname?.split(', ').sort(), [`DNS:${name}`, `IP Address:${ip}`].sort());

  // It came through a kubelet-serving request from the node itself, which the server approved.
  const servingCsrs = async () => (await getJson<{ items: CertificateSigningRequest[] }>(server, ['csr']))!.items
    .filter((c) => c.spec?.signerName === 'kubernetes.io/kubelet-serving' && c.spec.username === `system:node:${name}`);
  const csrs = await servingCsrs();
  assert.equal(csrs.length, 1);
  const approved = csrs[0]!.status?.conditions?.find((c) => c.type === 'Approved');
  assert.equal(approved?.reason, 'AutoApproved');
  assert.deepEqual([...csrs[0]!.spec!.usages!].sort(), ['digital signature', 'key encipherment', 'server auth']);

  // A restart on the same data dir serves the same certificate and asks for none.
  await agent.stop({ keep: true });
  agent = start(agent.dataDir);
  await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) => assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`));
  const port = (await until(async () => {
    const n = await getJson<Node>(server, ['node', name]);
    const p = n?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    // The restarted kubelet may have taken another port: wait until it answers.
    return p && (await servedCertificate(p, name).then(() => true, () => false)) ? p : undefined;
  }, 'the restarted agent\'s kubelet to serve'));
  const again = await servedCertificate(port, name);
  assert.equal(again.fingerprint256, first.fingerprint256);
  assert.equal((await servingCsrs()).length, 1);
});

/** The certificate a kubelet presents, verified against the cluster CA for `servername`. */
function servedCertificate(port: number, servername: string): Promise<tls.PeerCertificate> {
  return new Promise<tls.PeerCertificate>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: server.caPem, servername, rejectUnauthorized: true }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}
