/**
 * The server's own node's kubelet serves with a certificate the cluster CA signed (CN system:node:<name>, O
 * system:nodes, its names and addresses), so a client holding only the CA from the admin kubeconfig verifies
 * the kubelet it reaches at the node's daemon endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { Node } from '../../src/api/index.ts';
import type { ServerHandle } from './helpers/server.ts';
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
