import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../client/index.ts';
import { FakeApiServer } from '../client/testing/fake-apiserver.ts';
import { until } from '../client/testing/until.ts';
import { createLogger } from '../machinery/index.ts';
import { nodeAnnotations } from './peers.ts';
import { PodNetwork } from './pod-network.ts';
import { FakeKernel } from './testing/fake-kernel.ts';

let server: FakeApiServer;
before(async () => {
  server = await new FakeApiServer().start();
});
after(async () => {
  await server.stop();
});

function node(name: string, podCIDR: string, annotations: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations }, spec: { podCIDR } };
}

function start(kernel: FakeKernel, backend: 'vxlan' | 'host-gw') {
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  const network = new PodNetwork({
    client, nodeName: 'n1', podCidr: '10.9.0.0/24', clusterCidr: '10.9.0.0/16', backend, nodeIp: '192.168.7.1',
    exec: kernel.exec, logger: createLogger('pod-network-test'),
  });
  const stop = new AbortController();
  const running = network.run(stop.signal);
  return {
    network,
    async stop() {
      stop.abort();
      await running;
      client.close();
    },
  };
}

const annotationsOf = (name: string) => (server.list('nodes').find((n) => n.metadata.name === name)?.metadata as { annotations?: Record<string, string> }).annotations ?? {};

test('PodNetwork vxlan: announces itself, makes the device once a node on another host runs vxlan, routes peers, drops nodes that leave', async () => {
  for (const n of server.list('nodes')) server.remove('nodes', undefined, n.metadata.name);
  server.put('nodes', node('n1', '10.9.0.0/24'));
  const kernel = new FakeKernel();
  const p = start(kernel, 'vxlan');
  try {
    await until(() => annotationsOf('n1')['kubeling.io/backend-type'] === 'vxlan', 'n1 announces its backend');
    assert.equal(annotationsOf('n1')['kubeling.io/public-ip'], '192.168.7.1');
    assert.equal(annotationsOf('n1')['kubeling.io/backend-data'], undefined, 'no device, no MAC yet');
    assert.equal(kernel.device, undefined, 'alone: no device');
    assert.deepEqual([...kernel.tables], [p.network.table], 'the masquerade table is there from the start');

    // A node on this same host (another agent on the machine): still no device, no route.
    server.put('nodes', node('n3', '10.9.3.0/24', nodeAnnotations('vxlan', '192.168.7.1')));
    const syncs = p.network.syncs;
    await until(() => p.network.syncs > syncs, 'a sync after n3');
    assert.equal(kernel.device, undefined);
    assert.equal(kernel.routes.size, 0);

    // A node on another host, before its device exists: this node makes its own and announces its MAC.
    server.put('nodes', node('n2', '10.9.2.0/24', nodeAnnotations('vxlan', '192.168.7.2')));
    await until(() => annotationsOf('n1')['kubeling.io/backend-data'], 'n1 announces its VTEP MAC');
    assert.deepEqual(JSON.parse(annotationsOf('n1')['kubeling.io/backend-data']!), { VNI: 1, VtepMAC: kernel.device!.mac });
    assert.deepEqual([...kernel.device!.addrs], ['10.9.0.0']);
    assert.equal(kernel.routes.size, 0, 'no route to n2 before its MAC is known');

    server.put('nodes', node('n2', '10.9.2.0/24', nodeAnnotations('vxlan', '192.168.7.2', '02:00:00:00:00:02')));
    await until(() => kernel.routes.has('10.9.2.0/24'), 'the route to n2');
    assert.deepEqual(kernel.routes.get('10.9.2.0/24'), { gateway: '10.9.2.0', dev: 'kubeling.vxlan' });
    assert.deepEqual([...kernel.neighbours], [['10.9.2.0', '02:00:00:00:00:02']]);
    assert.deepEqual([...kernel.fdb], ['02:00:00:00:00:02/192.168.7.2']);

    server.remove('nodes', undefined, 'n2');
    await until(() => !kernel.routes.has('10.9.2.0/24') || undefined, 'n2 route removed');
    assert.deepEqual([kernel.neighbours.size, kernel.fdb.size], [0, 0], "n2's neighbour and fdb entry go too");
  } finally {
    await p.stop();
  }
  // Stopping keeps everything (pods may still run); remove() takes it away.
  assert.ok(kernel.device && kernel.tables.size === 1);
  assert.equal(await p.network.remove(), true);
  assert.deepEqual([kernel.device, kernel.tables.size, kernel.routes.size], [undefined, 0, 0]);
  assert.equal(await p.network.remove(), false, 'nothing left the second time');
});

test('PodNetwork host-gw: a route per peer via its address; a vxlan device of this node from an earlier run goes; another node\'s device stays on remove()', async () => {
  for (const n of server.list('nodes')) server.remove('nodes', undefined, n.metadata.name);
  server.put('nodes', node('n1', '10.9.0.0/24'));
  server.put('nodes', node('n2', '10.9.2.0/24', nodeAnnotations('host-gw', '192.168.7.2')));
  const kernel = new FakeKernel();
  kernel.device = { local: '192.168.7.1', mac: '02:00:00:00:00:aa', addrs: new Set(['10.9.0.0']) };
  kernel.routes.set('10.9.5.0/24', { gateway: '192.168.7.5', dev: 'eth0' }); // a node gone while this one was down
  const p = start(kernel, 'host-gw');
  try {
    await until(() => kernel.routes.get('10.9.2.0/24')?.gateway === '192.168.7.2', 'the route to n2');
    assert.deepEqual([...kernel.routes.keys()], ['10.9.2.0/24']);
    assert.equal(kernel.device, undefined, "this node's vxlan device from an earlier run is gone");
    assert.equal(annotationsOf('n1')['kubeling.io/backend-type'], 'host-gw');
  } finally {
    await p.stop();
  }
  kernel.device = { local: '192.168.7.1', mac: '02:00:00:00:00:bb', addrs: new Set(['10.9.8.0']) };
  assert.equal(await p.network.remove(), true);
  assert.ok(kernel.device, "another node's device on this host stays");
  assert.equal(kernel.routes.size, 0);
});
