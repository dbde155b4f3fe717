import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from '../api/index.ts';
import { Client } from '../client/index.ts';
import type { FakeApiServer } from '../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../client/testing/fake-api-for-file.ts';
import { until } from '../client/testing/until.ts';
import { Scheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing/builders.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

/** Runs a scheduler against the fake API for the duration of `body`, then stops it. */
async function withScheduler(body: () => Promise<void>): Promise<void> {
  const sched = new Scheduler({ client, queue: { initialBackoffMs: 10, maxBackoffMs: 50 } });
  const ac = new AbortController();
  const running = sched.run(ac.signal);
  try {
    await Promise.all([sched.pods.synced, sched.nodes.synced]);
    await body();
  } finally {
    ac.abort();
    await running;
  }
}

const storedPod = (ns: string, name: string) => server.list('pods').find((p) => p.metadata.namespace === ns && p.metadata.name === name) as Pod | undefined;
const eventsFor = (ns: string, name: string) =>
  server.list('events').filter((e) => e.involvedObject?.namespace === ns && e.involvedObject?.name === name) as unknown as Event[];
const clearCluster = () => {
  for (const c of ['pods', 'nodes', 'events']) for (const o of server.list(c)) server.remove(c, o.metadata.namespace, o.metadata.name);
};

test('binds a pod to the node its nodeSelector picks, with a Scheduled event', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('n1').obj());
  server.put('nodes', makeNode().name('n2').labels({ disk: 'ssd' }).obj());
  await withScheduler(async () => {
    server.put('pods', makePod().namespace('s1').name('web').nodeSelector({ disk: 'ssd' }).obj());
    const bound = await until(() => storedPod('s1', 'web')?.spec?.nodeName, 'binding');
    assert.equal(bound, 'n2');
    const ev = await until(() => eventsFor('s1', 'web').find((e) => e.reason === 'Scheduled'), 'Scheduled event');
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.message, 'Successfully assigned s1/web to n2');
    assert.equal(ev.source?.component, 'default-scheduler');
    const binding = server.requests.find((r) => r.path === '/api/v1/namespaces/s1/pods/web/binding')!;
    assert.deepEqual((binding.body as { target: unknown }).target, { apiVersion: 'v1', kind: 'Node', name: 'n2' });
  });
});

test('an unmatched nodeSelector leaves the pod Pending with the condition and event, until a node matches', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('only').obj());
  const message =
    "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
  await withScheduler(async () => {
    server.put('pods', makePod().namespace('s2').name('picky').nodeSelector({ gpu: 'true' }).obj());
    const cond = await until(() => storedPod('s2', 'picky')?.status?.conditions?.find((c) => c.type === 'PodScheduled'), 'condition');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, message);
    const ev = await until(() => eventsFor('s2', 'picky').find((e) => e.reason === 'FailedScheduling'), 'FailedScheduling event');
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, message);
    assert.equal(storedPod('s2', 'picky')?.spec?.nodeName, undefined);

    const node = server.list('nodes')[0]!;
    server.put('nodes', { ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, gpu: 'true' } } });
    assert.equal(await until(() => storedPod('s2', 'picky')?.spec?.nodeName, 'binding after label'), 'only');
  });
});

test('back-to-back pods see each other through assumed pods; the second one is short of cpu', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('small').capacity({ cpu: '1', memory: '1Gi', pods: 10 }).obj());
  await withScheduler(async () => {
    server.put('pods', makePod().namespace('s3').name('a').req({ cpu: '600m' }).obj());
    server.put('pods', makePod().namespace('s3').name('b').req({ cpu: '600m' }).obj());
    const bound = await until(() => {
      const a = storedPod('s3', 'a'), b = storedPod('s3', 'b');
      const cond = [a, b].find((p) => p?.status?.conditions?.length)?.status?.conditions?.[0];
      return (a?.spec?.nodeName || b?.spec?.nodeName) && cond ? cond : undefined;
    }, 'one bound, one rejected');
    assert.equal(bound.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    assert.equal([storedPod('s3', 'a')?.spec?.nodeName, storedPod('s3', 'b')?.spec?.nodeName].filter(Boolean).length, 1);

    // Deleting the bound pod frees the cpu: the other one is scheduled.
    const winner = storedPod('s3', 'a')?.spec?.nodeName ? 'a' : 'b';
    const loser = winner === 'a' ? 'b' : 'a';
    server.remove('pods', 's3', winner);
    assert.equal(await until(() => storedPod('s3', loser)?.spec?.nodeName, 'second binding'), 'small');
  });
});

test('tainted nodes are avoided unless tolerated; pods for other schedulers are left alone', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('tainted').taint({ key: 'dedicated', value: 'db', effect: 'NoSchedule' }).obj());
  server.put('nodes', makeNode().name('plain').obj());
  await withScheduler(async () => {
    for (let i = 0; i < 4; i++) server.put('pods', makePod().namespace('s4').name(`free-${i}`).obj());
    server.put('pods', makePod().namespace('s4').name('db').toleration({ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' })
      .nodeAffinityRequired({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['tainted'] }] }).obj());
    server.put('pods', makePod().namespace('s4').name('other').schedulerName('my-scheduler').obj());
    for (let i = 0; i < 4; i++) assert.equal(await until(() => storedPod('s4', `free-${i}`)?.spec?.nodeName, `free-${i}`), 'plain');
    assert.equal(await until(() => storedPod('s4', 'db')?.spec?.nodeName, 'db'), 'tainted');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(storedPod('s4', 'other')?.spec?.nodeName, undefined);
    assert.equal(storedPod('s4', 'other')?.status?.conditions, undefined);
  });
});

test('with no nodes at all the pod reports a SchedulerError and is bound once a node registers', async () => {
  clearCluster();
  await withScheduler(async () => {
    server.put('pods', makePod().namespace('s5').name('early').obj());
    const cond = await until(() => storedPod('s5', 'early')?.status?.conditions?.[0], 'condition');
    assert.equal(cond.reason, 'SchedulerError');
    assert.equal(cond.message, 'no nodes available to schedule pods');
    server.put('nodes', makeNode().name('late').obj());
    assert.equal(await until(() => storedPod('s5', 'early')?.spec?.nodeName, 'binding'), 'late');
  });
});

test('a pod with scheduling gates waits until the gates are removed', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('n').obj());
  await withScheduler(async () => {
    const gated = { ...makePod().namespace('s6').name('gated').obj() };
    gated.spec!.schedulingGates = [{ name: 'example.com/wait' }];
    const stored = server.put('pods', gated);
    server.put('pods', makePod().namespace('s6').name('free').obj());
    await until(() => storedPod('s6', 'free')?.spec?.nodeName, 'ungated pod bound');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(storedPod('s6', 'gated')?.spec?.nodeName, undefined);
    server.put('pods', { ...stored, spec: { ...stored.spec, schedulingGates: [] } });
    assert.equal(await until(() => storedPod('s6', 'gated')?.spec?.nodeName, 'binding after the gates went'), 'n');
  });
});

test('required anti-affinity spreads back-to-back replicas one per node; the extra one says why', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('h1').obj());
  server.put('nodes', makeNode().name('h2').obj());
  await withScheduler(async () => {
    for (let i = 0; i < 3; i++) {
      server.put('pods', makePod().namespace('s7').name(`r${i}`).labels({ app: 'r' }).podAffinity({ app: 'r' }, 'kubernetes.io/hostname', { anti: true }).obj());
    }
    const cond = await until(() => ['r0', 'r1', 'r2'].map((n) => storedPod('s7', n)?.status?.conditions?.[0]).find(Boolean), 'one rejected');
    assert.equal(
      cond.message,
      "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
    );
    const nodes = ['r0', 'r1', 'r2'].map((n) => storedPod('s7', n)?.spec?.nodeName).filter(Boolean).sort();
    assert.deepEqual(nodes, ['h1', 'h2']);
  });
});

test('preemption: a high-priority pod evicts lower-priority victims, is nominated, and binds once they are gone', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('full').capacity({ cpu: '2', memory: '8Gi', pods: '110' }).obj());
  server.put('pods', makePod().namespace('pre').name('low-a').node('full').priority(1).req({ cpu: '1' }).obj());
  server.put('pods', makePod().namespace('pre').name('low-b').node('full').priority(1).req({ cpu: '1' }).obj());
  await withScheduler(async () => {
    const hi = makePod().namespace('pre').name('hi').priority(1000).req({ cpu: '1' }).obj();
    server.put('pods', hi);
    const nominated = await until(() => storedPod('pre', 'hi')?.status?.nominatedNodeName, 'nominatedNodeName');
    assert.equal(nominated, 'full');
    // One victim is enough; it got the DisruptionTarget condition before it was deleted, and a Preempted event.
    const patch = await until(() => server.requests.find((r) => r.method === 'PATCH' && /pods\/low-[ab]\/status$/.test(r.path)), 'victim status patch');
    const cond = (patch.body as { status: Pod['status'] }).status!.conditions!.find((c) => c.type === 'DisruptionTarget')!;
    assert.deepEqual([cond.status, cond.reason, cond.message], ['True', 'PreemptionByScheduler', 'default-scheduler: preempting to accommodate a higher priority pod']);
    const victim = patch.path.includes('low-a') ? 'low-a' : 'low-b';
    const ev = await until(() => eventsFor('pre', victim).find((e) => e.reason === 'Preempted'), 'Preempted event');
    assert.equal(ev.message, `Preempted by pod ${hi.metadata!.uid} on node full`);
    const bound = await until(() => storedPod('pre', 'hi')?.spec?.nodeName, 'binding after preemption');
    assert.equal(bound, 'full');
    assert.ok(storedPod('pre', victim) === undefined || storedPod('pre', victim)!.metadata?.deletionTimestamp, 'the victim is gone');
    const survivor = victim === 'low-a' ? 'low-b' : 'low-a';
    assert.equal(storedPod('pre', survivor)?.metadata?.deletionTimestamp, undefined, 'only one victim');
  });
});

test('preemptionPolicy Never does not preempt', async () => {
  clearCluster();
  server.put('nodes', makeNode().name('full').capacity({ cpu: '1', memory: '8Gi', pods: '110' }).obj());
  server.put('pods', makePod().namespace('pn').name('low').node('full').priority(1).req({ cpu: '1' }).obj());
  await withScheduler(async () => {
    const p = makePod().namespace('pn').name('polite').priority(1000).req({ cpu: '1' }).obj();
    p.spec!.preemptionPolicy = 'Never';
    server.put('pods', p);
    const cond = await until(() => storedPod('pn', 'polite')?.status?.conditions?.find((c) => c.type === 'PodScheduled'), 'condition');
    assert.equal(cond.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
    assert.equal(storedPod('pn', 'polite')?.status?.nominatedNodeName, undefined);
    assert.ok(storedPod('pn', 'low'), 'no victim');
  });
});
