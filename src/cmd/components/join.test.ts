import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { Client } from '../../client/index.ts';
import { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { publishJoinInfo } from './join.ts';

const clusterInfoServer = (api: FakeApiServer) => {
  const cm = api.objects.get('configmaps|kube-public|cluster-info') as unknown as { data: { kubeconfig: string } };
  return (parse(cm.data.kubeconfig) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server;
};

test('cluster-info: a shared store keeps another server\'s valid one; a lone server, or another CA or token, rewrites it', async () => {
  const api = await new FakeApiServer().start();
  const client = new Client({ server: api.url, token: api.token, caData: api.ca, qps: 0 });
  const base = { client, caPem: 'CA-1', nodeToken: 'node-1', kubeletToken: 'kubelet-1' };
  const signal = new AbortController().signal;
  try {
    await publishJoinInfo({ ...base, server: 'https://127.0.0.1:1001' }, signal, true);
    assert.equal(clusterInfoServer(api), 'https://127.0.0.1:1001');
    await publishJoinInfo({ ...base, server: 'https://127.0.0.1:1002' }, signal, true);
    assert.equal(clusterInfoServer(api), 'https://127.0.0.1:1001', 'a second server on the store keeps the first one\'s');
    await publishJoinInfo({ ...base, server: 'https://127.0.0.1:1002', nodeToken: 'node-2' }, signal, true);
    assert.equal(clusterInfoServer(api), 'https://127.0.0.1:1002', 'signed with another token: rewritten');
    await publishJoinInfo({ ...base, server: 'https://127.0.0.1:1003', nodeToken: 'node-2', caPem: 'CA-2' }, signal, true);
    assert.equal(clusterInfoServer(api), 'https://127.0.0.1:1003', 'another CA: rewritten');
    await publishJoinInfo({ ...base, server: 'https://127.0.0.1:1004', nodeToken: 'node-2', caPem: 'CA-2' }, signal);
    assert.equal(clusterInfoServer(api), 'https://127.0.0.1:1004', 'a lone server puts its own URL in');
  } finally {
    client.close();
    await api.stop();
  }
});
