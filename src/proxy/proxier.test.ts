import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../client/index.ts';
import { FakeApiServer } from '../client/testing/fake-apiserver.ts';
import { until } from '../client/testing/until.ts';
import { Deferred } from '../machinery/index.ts';
import { Proxier } from './proxier.ts';
import type { NftExec } from './nftables.ts';
import { makeService, makeSlice } from './testing/builders.ts';

let server: FakeApiServer;
before(async () => {
  server = await new FakeApiServer().start();
});
after(async () => {
  await server.stop();
});

const SLICES = 'discovery.k8s.io/endpointslices';

/** An nft that records what it is given; `gate` (when set) holds each transaction until resolved. */
function recordingNft(listing = '') {
  const calls: { args: string[]; input?: string }[] = [];
  const state: { gate?: Deferred<void>; fail?: string } = {};
  const exec: NftExec = async (args, input) => {
    calls.push({ args, ...(input !== undefined ? { input } : {}) });
    if (args[0] === '-t') return { stdout: listing };
    if (state.gate) await state.gate.promise;
    if (state.fail) throw new Error(state.fail);
    return { stdout: '' };
  };
  const transactions = () => calls.filter((c) => c.args[0] === '-f').map((c) => c.input!);
  return { exec, calls, transactions, state };
}

function start(exec: NftExec, nodeName = 'n1') {
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  const proxier = new Proxier({ client, nodeName, clusterCidr: '10.42.0.0/16', minSyncPeriodMs: 0, exec });
  const stop = new AbortController();
  const running = proxier.run(stop.signal);
  return {
    proxier,
    async stop() {
      stop.abort();
      await running;
      client.close();
    },
  };
}

test('Proxier: syncs from Services and EndpointSlices, again on every change; the table stays when it stops', async () => {
  server.put('services', makeService('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] }));
  server.put(SLICES, makeSlice('web', [{ ip: '10.42.0.3' }], [{ port: 8080 }]));
  const nft = recordingNft();
  const p = start(nft.exec);
  try {
    await until(() => nft.transactions().some((t) => t.includes('dnat to 10.42.0.3:8080')), 'the first sync');
    // The first sync read what an earlier process left in the table.
    assert.deepEqual(nft.calls[0]!.args, ['-t', 'list', 'table', 'ip', p.proxier.table]);

    server.put(SLICES, makeSlice('web', [{ ip: '10.42.0.3' }, { ip: '10.42.0.4' }], [{ port: 8080 }]));
    await until(() => nft.transactions().at(-1)!.includes('numgen random mod 2'), 'a sync with the new endpoint');
    // Later syncs change only what differs: the Service's chain and the new endpoint's.
    const partial = nft.transactions().at(-1)!;
    assert.doesNotMatch(partial, /flush table/);
    assert.match(partial, /^add chain ip \S+ endpoint-[A-Z2-7]{8}-default\/web\/tcp\/__10\.42\.0\.4\/8080$/m);
    assert.match(partial, /^flush chain ip \S+ service-[A-Z2-7]{8}-default\/web\/tcp\/$/m);
    assert.equal(p.proxier.lastSync!.kind, 'partial');

    server.remove('services', 'default', 'web');
    await until(() => nft.transactions().at(-1)!.includes('delete element'), 'a sync without the Service');
    // What the previous sync declared and this one does not is deleted in the same transaction.
    const removal = nft.transactions().at(-1)!;
    assert.match(removal, /^delete element ip \S+ service-ips \{ 10\.43\.0\.5 \. tcp \. 80 \}$/m);
    assert.match(removal, /^delete chain ip kubeling-\w+ service-[A-Z2-7]{8}-default\/web\/tcp\/$/m);
    assert.match(removal, /^delete chain ip kubeling-\w+ endpoint-[A-Z2-7]{8}-default\/web\/tcp\/__10\.42\.0\.3\/8080$/m);
  } finally {
    await p.stop();
    server.remove(SLICES, 'default', 'web-abcde');
  }
  assert.ok(!nft.transactions().some((t) => t.includes('delete table')), 'stopping leaves the table');
});

test('Proxier: changes made while a sync is applied coalesce into one more sync with the latest state', async () => {
  server.put('services', makeService('burst', { clusterIP: '10.43.0.7', ports: [{ port: 80 }] }));
  const nft = recordingNft();
  nft.state.gate = new Deferred<void>();
  const p = start(nft.exec);
  try {
    await until(() => nft.transactions().length === 1, 'the first sync to start');
    for (let i = 1; i <= 10; i++) server.put(SLICES, makeSlice('burst', [{ ip: `10.42.0.${i}` }], [{ port: 8080 }]));
    await until(() => p.proxier.slices.get('default/burst-abcde')?.endpoints?.[0]?.addresses[0] === '10.42.0.10', 'the informer to see the last change');
    const gate = nft.state.gate;
    delete nft.state.gate;
    gate.resolve();
    await until(() => nft.transactions().length === 2 && p.proxier.syncs === 2, 'the second sync');
    assert.match(nft.transactions()[1]!, /dnat to 10\.42\.0\.10:8080/);
    // Give a third (unwanted) sync every chance to happen: the ten changes rang once.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(nft.transactions().length, 2);
  } finally {
    await p.stop();
    server.remove('services', 'default', 'burst');
    server.remove(SLICES, 'default', 'burst-abcde');
  }
});

test('Proxier: a failed transaction is retried, after reading the table back', async () => {
  server.put('services', makeService('retry', { clusterIP: '10.43.0.8', ports: [{ port: 80 }] }));
  const nft = recordingNft('table ip x {\n\tchain service-OLD00000-default/old/tcp/ {\n\t}\n}\n');
  nft.state.fail = 'Error: Could not process rule: No buffer space available';
  const p = start(nft.exec);
  try {
    await until(() => nft.transactions().length === 1, 'the first attempt');
    delete nft.state.fail;
    await until(() => p.proxier.syncs === 1, 'a successful retry', 2000);
    const lists = nft.calls.filter((c) => c.args[0] === '-t').length;
    assert.equal(lists, 2, 'listed before each attempt');
    assert.match(nft.transactions().at(-1)!, /^delete chain ip \S+ service-OLD00000-default\/old\/tcp\/$/m);
  } finally {
    await p.stop();
    server.remove('services', 'default', 'retry');
  }
});

test('Proxier: with nothing changed no transaction is sent, until the sync period asks for a full one', async () => {
  server.put('services', makeService('quiet', { clusterIP: '10.43.0.9', ports: [{ port: 80 }] }));
  const nft = recordingNft();
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  const proxier = new Proxier({ client, nodeName: 'n1', clusterCidr: '10.42.0.0/16', minSyncPeriodMs: 0, syncPeriodMs: 150, exec: nft.exec });
  const stop = new AbortController();
  const running = proxier.run(stop.signal);
  try {
    await until(() => nft.transactions().length === 2, 'a second (periodic) transaction');
    assert.ok(nft.transactions().every((t) => t.includes('flush table')), 'both full');
    await proxier.sync();
    assert.equal(proxier.lastSync!.kind, 'unchanged');
    assert.equal(nft.transactions().length, 2);
  } finally {
    stop.abort();
    await running;
    client.close();
    server.remove('services', 'default', 'quiet');
  }
});

test('Proxier.removeRules: deletes the node\'s table when there is one', async () => {
  const nft = recordingNft('table ip x {\n}\n');
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  const proxier = new Proxier({ client, nodeName: 'n9', clusterCidr: '10.42.0.0/16', exec: nft.exec });
  assert.equal(await proxier.removeRules(), true);
  assert.deepEqual(nft.transactions(), [`delete table ip ${proxier.table}\n`]);
  client.close();
});
