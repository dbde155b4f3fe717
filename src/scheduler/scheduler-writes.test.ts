/**
 * What the scheduler writes for pods it cannot place, and that it stops writing when told to stop:
 * PodScheduled=False patches are bounded in concurrency and skipped when nothing changed, and after the
 * run's signal aborts no request reaches the API server.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from '../api/index.ts';
import { Client, type KubeObjectLike, type ResourceClient, type ResourceRef } from '../client/index.ts';
import type { ResourceInfo } from '../api/index.ts';
import { FakeApiServer } from '../client/testing/fake-apiserver.ts';
import { until as untilPolled } from '../client/testing/until.ts';
import { Scheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing/builders.ts';

/** A client whose status patches take a little while and are counted, to see how many overlap. */
class SlowStatusClient extends Client {
  inFlight = 0;
  maxInFlight = 0;
  statusPatches = 0;
  bindsInFlight = 0;
  maxBindsInFlight = 0;
  override resource<T extends KubeObjectLike = KubeObjectLike>(
    resource: ResourceRef | ResourceInfo | string,
    namespace?: string,
  ): ResourceClient<T> {
    const r = super.resource<T>(resource, namespace);
    const patchStatus = r.patchStatus.bind(r);
    r.patchStatus = async (...args: Parameters<typeof patchStatus>) => {
      this.statusPatches++;
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      try {
        await sleep(5);
        return await patchStatus(...args);
      } finally {
        this.inFlight--;
      }
    };
    const subresource = r.subresource.bind(r);
    r.subresource = (name: string) => {
      const sub = subresource(name);
      if (name !== 'binding') return sub;
      const create = sub.create.bind(sub);
      sub.create = async (...args: Parameters<typeof create>) => {
        this.maxBindsInFlight = Math.max(this.maxBindsInFlight, ++this.bindsInFlight);
        try {
          await sleep(5);
          return await create(...args);
        } finally {
          this.bindsInFlight--;
        }
      };
      return sub;
    };
    return r;
  }
}

let server: FakeApiServer;
before(async () => {
  server = await new FakeApiServer().start();
});
after(() => server.stop());

/** Up to 2000 polls: these tests push dozens of pods through slowed-down writes. */
const until = <T>(get: () => T | undefined | false, what: string) => untilPolled(get, what, 2000);

/** Runs `sched` until the test ends (then stops it and closes its client); resolves once its caches synced. */
async function runUntilTestEnds(t: TestContext, sched: Scheduler, client: Client): Promise<void> {
  const ac = new AbortController();
  const running = sched.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await running;
    client.close();
  });
  await Promise.all([sched.pods.synced, sched.nodes.synced]);
}

const clearCluster = () => {
  for (const c of ['pods', 'nodes', 'events'])
    for (const o of server.list(c)) server.remove(c, o.metadata.namespace, o.metadata.name);
};
const conditionOf = (name: string) =>
  (server.list('pods').find((p) => p.metadata.name === name) as Pod | undefined)?.status?.conditions?.find(
    (c) => c.type === 'PodScheduled',
  );

test('PodScheduled=False writes: at most maxConditionWrites at once, none when reason and message are unchanged', async (t) => {
  clearCluster();
  const client = new SlowStatusClient({ server: server.url, token: server.token, caData: server.ca, qps: 0 });
  const sched = new Scheduler({ client, maxConditionWrites: 3, queue: { initialBackoffMs: 10, maxBackoffMs: 20 } });
  await runUntilTestEnds(t, sched, client);
  server.put('nodes', makeNode().name('n1').labels({ zone: 'a' }).obj());
  await until(() => sched.nodes.list().length === 1, 'the node in the cache');
  const names = Array.from({ length: 30 }, (_, i) => `picky-${i}`);
  for (const n of names)
    server.put('pods', makePod().namespace('w1').name(n).uid(n).nodeSelector({ gpu: 'true' }).obj());
  await until(() => names.every((n) => conditionOf(n)?.reason === 'Unschedulable'), 'every pod marked Unschedulable');
  assert.ok(client.maxInFlight <= 3, `${client.maxInFlight} status patches at once`);
  assert.ok(client.maxInFlight >= 2, 'the writes did overlap');
  await until(() => sched.queue.stats.unschedulable === names.length, 'all pods in the pool');
  const written = client.statusPatches;
  assert.equal(written, names.length);

  // A node change that does not help: every pod is tried again, fails with the same message: no writes.
  server.put('nodes', makeNode().name('n1').labels({ zone: 'b' }).obj());
  await until(
    () =>
      sched.queue.stats.unschedulable === names.length &&
      sched.queue.stats.active === 0 &&
      sched.queue.stats.backoff === 0 &&
      sched.queue.stats.inFlight === 0,
    'pods back in the pool',
  );
  await sleep(100);
  assert.equal(client.statusPatches, written, 'same reason and message: no patch');
});

test('after the signal aborts, the scheduler sends no more requests (events and conditions included)', async () => {
  clearCluster();
  // A slow client (QPS 20, burst 5): the 40 failing pods leave events and condition writes queued.
  const client = new Client({ server: server.url, token: server.token, caData: server.ca, qps: 20, burst: 5 });
  const sched = new Scheduler({ client });
  const ac = new AbortController();
  const running = sched.run(ac.signal);
  await Promise.all([sched.pods.synced, sched.nodes.synced]);
  for (let i = 0; i < 40; i++) server.put('pods', makePod().namespace('w2').name(`p${i}`).uid(`w2-p${i}`).obj());
  await until(() => server.list('events').some((e) => e.metadata.namespace === 'w2'), 'a first event');
  ac.abort();
  const atAbort = server.requests.length;
  await running;
  const atReturn = server.requests.length;
  await sleep(1500);
  client.close();
  // Requests already on the wire at abort may still land; none may start after run() returned.
  assert.equal(server.requests.length, atReturn, 'requests after run() returned');
  assert.ok(atReturn - atAbort <= 2, `${atReturn - atAbort} requests between abort and return`);
  const written = server.list('events').filter((e) => e.metadata.namespace === 'w2').length;
  assert.ok(written < 40, `${written} events written: the backlog was dropped, not drained`);
});

test('bindings: at most maxBindings in flight; every pod is bound', async (t) => {
  clearCluster();
  const client = new SlowStatusClient({ server: server.url, token: server.token, caData: server.ca, qps: 0 });
  const sched = new Scheduler({ client, maxBindings: 4 });
  await runUntilTestEnds(t, sched, client);
  server.put('nodes', makeNode().name('big').capacity({ cpu: '100', memory: '100Gi', pods: 200 }).obj());
  await until(() => sched.nodes.list().length === 1, 'the node in the cache');
  const names = Array.from({ length: 40 }, (_, i) => `b-${i}`);
  for (const n of names) server.put('pods', makePod().namespace('w3').name(n).uid(n).obj());
  await until(
    () => names.every((n) => server.list('pods').find((p) => p.metadata.name === n)?.spec?.nodeName === 'big'),
    'every pod bound',
  );
  assert.ok(client.maxBindsInFlight <= 4, `${client.maxBindsInFlight} bindings at once`);
  assert.ok(client.maxBindsInFlight >= 2, 'the bindings did overlap');
});
