import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../client/index.ts';
import { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { until } from '../../client/testing/until.ts';
import { createLogger } from '../../machinery/index.ts';
import type { Component, ComponentContext } from './component.ts';
import { withLeaderElection } from './leader-elected.ts';

function recording(name: string, log: string[]): Component {
  return {
    name,
    async run(ctx) {
      log.push(`start ${name}`);
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      log.push(`stop ${name}`);
    },
  };
}

test('components with a Lease are grouped under it, run while it is held, and stop when the server stops', async () => {
  const api = await new FakeApiServer().start();
  const client = new Client({ server: api.url, token: api.token, caData: api.ca, qps: 0 });
  const log: string[] = [];
  const wrapped = withLeaderElection(['node', 'scheduler', 'controller-manager', 'node-ipam', 'join'].map((n) => recording(n, log)));
  assert.deepEqual(wrapped.map((c) => c.name), ['node', 'kube-scheduler', 'kube-controller-manager', 'join']);
  const stop = new AbortController();
  const ctx = { client, logger: createLogger('test'), signal: stop.signal } as unknown as ComponentContext;
  const kcm = wrapped.find((c) => c.name === 'kube-controller-manager')!.run(ctx);
  try {
    await until(() => log.includes('start controller-manager') && log.includes('start node-ipam'), 'both members to run');
    const lease = api.objects.get('coordination.k8s.io/leases|kube-system|kube-controller-manager') as { spec?: { holderIdentity?: string } };
    assert.match(lease.spec?.holderIdentity ?? '', /^[^_]+_[0-9a-f-]{36}$/);
    assert.equal(api.objects.has('coordination.k8s.io/leases|kube-system|kube-scheduler'), false);
  } finally {
    stop.abort();
    await kcm;
    client.close();
    await api.stop();
  }
  assert.deepEqual(log.filter((l) => l.startsWith('stop')).sort(), ['stop controller-manager', 'stop node-ipam']);
});
