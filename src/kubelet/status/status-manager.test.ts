import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { StatusManager } from './status-manager.ts';
import { MemoryPodStatusWriter } from './testing.ts';
import { makePod } from '../kuberuntime/testing.ts';
import type { Pod } from '../kuberuntime/api.ts';

const tick = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

test('StatusManager writes changed statuses once, repairs drift periodically, never un-terminates', async () => {
  const clock = new FakeClock();
  const writer = new MemoryPodStatusWriter();
  const pod = makePod('a').container('c').build();
  writer.add(pod);
  const sm = new StatusManager({ writer, clock, syncPeriodMs: 10_000 });
  const ac = new AbortController();
  const loop = sm.run(ac.signal);

  sm.setPodStatus(pod, { phase: 'Pending' });
  sm.setPodStatus(pod, { phase: 'Running' });
  await tick();
  assert.deepEqual([writer.get(pod)?.status?.phase, writer.writes], ['Running', 1], 'rings coalesce; the newest wins');
  sm.setPodStatus(pod, { phase: 'Running' });
  await tick();
  assert.equal(writer.writes, 1, 'unchanged status is not written');
  assert.ok(sm.isSynced(pod.metadata!.uid!));

  // Someone else changed the status on the server: the periodic pass repairs it.
  writer.get(pod)!.status = { phase: 'Pending' };
  await clock.step(10_000);
  await tick();
  assert.deepEqual([writer.get(pod)?.status?.phase, writer.writes], ['Running', 2]);

  // A failed write is retried (the API server down: the patch and the read after it both fail).
  writer.failNext = new Error('connection refused');
  const get = writer.getPod.bind(writer);
  writer.getPod = async () => {
    writer.getPod = get;
    throw new Error('connection refused');
  };
  sm.setPodStatus(pod, { phase: 'Succeeded' });
  await tick();
  assert.equal(writer.get(pod)?.status?.phase, 'Running');
  await clock.step(10_000);
  await tick();
  assert.equal(writer.get(pod)?.status?.phase, 'Succeeded');
  sm.setPodStatus(pod, { phase: 'Running', message: 'x' });
  assert.equal(sm.getPodStatus(pod.metadata!.uid!)?.phase, 'Succeeded', 'terminal phase kept');

  // Conditions owned by others survive our writes.
  const b = makePod('b').container('c').build();
  writer.add({ ...b, status: { conditions: [{ type: 'DisruptionTarget', status: 'True' }] } });
  sm.setPodStatus(b, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
  await tick();
  assert.deepEqual(
    writer.get(b)?.status?.conditions?.map((c) => c.type),
    ['Ready', 'DisruptionTarget'],
  );

  // A static pod's status is written to its mirror pod (config.mirror names the static pod's uid).
  const staticPod = makePod('etcd-node1', 'hash123').container('etcd').build();
  writer.add({ ...staticPod, metadata: { ...staticPod.metadata, uid: 'mirror-uid', annotations: { 'kubernetes.io/config.mirror': 'hash123' } } });
  sm.setPodStatus(staticPod, { phase: 'Running' });
  await tick();
  assert.equal(writer.get(staticPod)?.status?.phase, 'Running');

  // A pod gone from the server is forgotten.
  writer.pods.clear();
  sm.setPodStatus(b, { phase: 'Failed' });
  await tick();
  assert.equal(sm.getPodStatus(b.metadata!.uid!), undefined);
  ac.abort();
  await loop;
});

test('flushed(uid) resolves once the status set so far is written', async () => {
  const clock = new FakeClock();
  const writer = new MemoryPodStatusWriter();
  const sm = new StatusManager({ writer, clock });
  const pod = makePod('f').container('c').build();
  writer.add(pod);
  sm.setPodStatus(pod, { phase: 'Running' });
  let done = false;
  const flushed = sm.flushed('uid-f').then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'nothing written yet');
  await sm.syncBatch(false);
  await flushed;
  assert.equal(writer.get(pod)?.status?.phase, 'Running');
  await sm.flushed('uid-f'); // already written: at once
});

test('status writes are uid-guarded patches: a writer racing between our GET and PATCH keeps its fields', async () => {
  const writer = new MemoryPodStatusWriter();
  const sm = new StatusManager({ writer, clock: new FakeClock() });
  const pod = makePod('race').container('c').build();
  writer.add({ ...pod, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } });
  const get = writer.getPod.bind(writer);
  writer.getPod = async (ns, name) => {
    const read = await get(ns, name);
    // The scheduler and a controller write after our read, before our patch.
    const stored = writer.pods.get(`${ns}/${name}`)!;
    stored.status = { ...stored.status, nominatedNodeName: 'n2', conditions: [...stored.status!.conditions!, { type: 'DisruptionTarget', status: 'True' }] };
    return read;
  };
  sm.setPodStatus(pod, { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] });
  await sm.syncBatch(false);
  const after = writer.get(pod)!.status!;
  assert.equal(after.phase, 'Running');
  assert.equal(after.nominatedNodeName, 'n2');
  assert.deepEqual(after.conditions?.map((c) => c.type), ['PodScheduled', 'Ready', 'DisruptionTarget']);
  assert.deepEqual(writer.patches.at(-1)?.metadata, { uid: pod.metadata!.uid });
  assert.equal(writer.patches.at(-1)?.status?.nominatedNodeName, undefined, 'fields we do not own are not in the patch');

  // The pod was deleted and recreated under the same name after our GET: the uid precondition refuses the write.
  writer.getPod = get;
  const errors: unknown[] = [];
  const sm2 = new StatusManager({ writer, clock: new FakeClock(), onError: (err) => errors.push(err) });
  const replaced = makePod('race').container('c').build();
  writer.getPod = async (ns, name) => {
    const read = await get(ns, name);
    writer.pods.get(`${ns}/${name}`)!.metadata!.uid = 'someone-else';
    return read;
  };
  sm2.setPodStatus(replaced, { phase: 'Failed' });
  await sm2.syncBatch(false);
  assert.match(String(errors[0]), /metadata\.uid: Invalid value/);
  assert.equal(writer.get(pod)!.status!.phase, 'Running');
});

test('StatusManager writes several pods at once (concurrency), each pod once per pass', async () => {
  for (const concurrency of [1, 3]) {
    const writer = new MemoryPodStatusWriter();
    const pods = ['a', 'b', 'c', 'd'].map((n) => makePod(n).container('c').build());
    for (const p of pods) writer.add(p);
    let inFlight = 0;
    let most = 0;
    const getPod = writer.getPod.bind(writer);
    writer.getPod = async (ns, name) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return getPod(ns, name);
    };
    const sm = new StatusManager({ writer, clock: new FakeClock(), concurrency });
    for (const p of pods) sm.setPodStatus(p, { phase: 'Running' });
    await sm.syncBatch(false);
    assert.equal(most, concurrency, `at most ${concurrency} in flight`);
    assert.equal(writer.writes, 4, 'every pod written once');
    for (const p of pods) assert.ok(sm.isSynced(p.metadata!.uid!));
  }
});

test('a pod written before is patched from what the server returned, without a GET; a failed write reads afresh', async () => {
  const clock = new FakeClock();
  const writer = new MemoryPodStatusWriter();
  const pod = makePod('base').container('c').build();
  writer.add({ ...pod, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } });
  const sm = new StatusManager({ writer, clock });
  const uid = pod.metadata!.uid!;

  sm.setPodStatus(pod, { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] });
  await sm.syncBatch(false);
  assert.deepEqual([writer.gets, writer.writes], [1, 1], 'the first write reads the pod');

  // Another writer adds a condition after our write: a patch from our older base still keeps it.
  writer.get(pod)!.status!.conditions!.push({ type: 'DisruptionTarget', status: 'True' });
  sm.setPodStatus(pod, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
  await sm.syncBatch(false);
  assert.deepEqual([writer.gets, writer.writes], [1, 2], 'the second write is one PATCH');
  assert.equal(writer.get(pod)?.status?.phase, 'Running');
  assert.deepEqual(
    writer.get(pod)?.status?.conditions?.map((c) => `${c.type}=${c.status}`),
    ['Ready=True', 'PodScheduled=True', 'DisruptionTarget=True'],
  );

  writer.failNext = new Error('connection refused');
  sm.setPodStatus(pod, { phase: 'Running', message: 'a' });
  await sm.syncBatch(false);
  assert.deepEqual([writer.gets, writer.writes], [2, 3], 'a patch from the kept base that fails is retried at once from a GET');
  assert.equal(writer.get(pod)?.status?.message, 'a');

  writer.failNext = new Error('connection refused');
  const get = writer.getPod.bind(writer);
  writer.getPod = async () => {
    throw new Error('connection refused');
  };
  sm.setPodStatus(pod, { phase: 'Running', message: 'b' });
  await sm.syncBatch(false);
  assert.equal(sm.isSynced(uid), false);
  writer.getPod = get;
  await sm.syncBatch(false);
  assert.deepEqual([writer.gets, writer.writes], [3, 4], 'after a failed write the pod is read again');
  assert.equal(writer.get(pod)?.status?.message, 'b');

  // The periodic pass always reads: a status changed behind our back is repaired.
  writer.get(pod)!.status!.message = 'changed by hand';
  await sm.syncBatch(true);
  assert.equal(writer.gets, 4);
  assert.equal(writer.get(pod)?.status?.message, 'b');
});

test('a slow write holds back only its own pod: others are written meanwhile, and its next status follows it', async () => {
  const clock = new FakeClock();
  const writer = new MemoryPodStatusWriter();
  const slow = makePod('slow').container('c').build();
  const quick = makePod('quick').container('c').build();
  writer.add(slow);
  writer.add(quick);
  const patch = writer.patchPodStatus.bind(writer);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let inFlight = 0;
  let most = 0;
  writer.patchPodStatus = async (ns, name, p) => {
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      if (name === 'slow' && p.status?.phase === 'Pending') await held;
      return await patch(ns, name, p);
    } finally {
      inFlight--;
    }
  };
  const sm = new StatusManager({ writer, clock });
  const ac = new AbortController();
  const loop = sm.run(ac.signal);

  sm.setPodStatus(slow, { phase: 'Pending' });
  await tick();
  sm.setPodStatus(quick, { phase: 'Running' });
  sm.setPodStatus(slow, { phase: 'Running' });
  await tick();
  assert.equal(writer.get(quick)?.status?.phase, 'Running', 'written while the slow pod waits');
  assert.equal(writer.get(slow)?.status?.phase, undefined);

  release();
  await tick();
  await tick();
  assert.equal(writer.get(slow)?.status?.phase, 'Running', 'its newer status follows its first write');
  assert.equal(most, 2, 'one write per pod at a time');
  assert.deepEqual(writer.patches.filter((p) => p.metadata.uid === slow.metadata!.uid).map((p) => p.status?.phase), ['Pending', 'Running']);
  ac.abort();
  await loop;
});

test("a pod from the API server is its own first write's base: no GET; a static pod's (no resourceVersion) reads its mirror", async () => {
  const writer = new MemoryPodStatusWriter();
  const sm = new StatusManager({ writer, clock: new FakeClock() });
  const built = makePod('watched').container('c').build();
  const pod: Pod = {
    ...built,
    metadata: { ...built.metadata, resourceVersion: '7' },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
  };
  writer.add(pod);
  sm.setPodStatus(pod, { phase: 'Pending', conditions: [{ type: 'Initialized', status: 'True' }] });
  await sm.syncBatch(false);
  assert.deepEqual([writer.gets, writer.writes], [0, 1]);
  assert.deepEqual(writer.get(pod)?.status?.conditions?.map((c) => c.type), ['Initialized', 'PodScheduled']);

  const staticPod = makePod('etcd-n1', 'hash9').container('etcd').build();
  writer.add({ ...staticPod, metadata: { ...staticPod.metadata, uid: 'mirror', annotations: { 'kubernetes.io/config.mirror': 'hash9' } } });
  sm.setPodStatus(staticPod, { phase: 'Running' });
  await sm.syncBatch(false);
  assert.deepEqual([writer.gets, writer.writes], [1, 2]);
  assert.equal(writer.get(staticPod)?.status?.phase, 'Running');
});
