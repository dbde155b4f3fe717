import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { Deferred } from '../../machinery/deferred.ts';
import { PodWorkers, type PodSyncer } from './pod-workers.ts';
import { makePod } from '../kuberuntime/testing.ts';
import type { Pod } from '../kuberuntime/api.ts';

const tick = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

class ScriptedSyncer implements PodSyncer {
  log: string[] = [];
  gate: Deferred<void> | undefined;
  terminal = new Set<string>();
  failOnce = new Set<string>();
  async syncPod(pod: Pod, signal: AbortSignal) {
    this.log.push(`sync ${pod.metadata!.name} ${pod.metadata!.labels?.v ?? ''}`.trim());
    if (this.failOnce.delete(pod.metadata!.name!)) throw new Error('boom');
    if (this.gate && pod.metadata!.name === 'slow') {
      await Promise.race([
        this.gate.promise,
        new Promise((_, rej) => signal.addEventListener('abort', () => rej(signal.reason))),
      ]);
    }
    return { terminal: this.terminal.has(pod.metadata!.name!) };
  }
  async syncTerminatingPod(pod: Pod, grace: number) {
    this.log.push(`terminating ${pod.metadata!.name} ${grace}`);
  }
  async syncTerminatedPod(pod: Pod) {
    this.log.push(`terminated ${pod.metadata!.name}`);
  }
}

test('pod workers: per-pod serialization, newest update wins, pods do not wait on each other', async () => {
  const clock = new FakeClock();
  const syncer = new ScriptedSyncer();
  const workers = new PodWorkers({ syncer, clock, random: () => 0 });
  const ac = new AbortController();
  const run = workers.run(ac.signal);
  syncer.gate = new Deferred();
  const slow = makePod('slow').container('c').build();
  workers.updatePod({ type: 'create', pod: slow });
  workers.updatePod({ type: 'create', pod: makePod('fast').container('c').build() });
  await tick();
  assert.deepEqual(syncer.log.sort(), ['sync fast', 'sync slow'], 'fast synced while slow is busy');
  // Three updates while slow is busy: only the newest is synced next.
  for (const v of ['1', '2', '3'])
    workers.updatePod({ type: 'update', pod: { ...slow, metadata: { ...slow.metadata, labels: { v } } } });
  syncer.gate.resolve();
  await tick();
  assert.deepEqual(
    syncer.log.filter((l) => l.startsWith('sync slow')),
    ['sync slow', 'sync slow 3'],
  );
  // Resync after ~60 s; retry after ~10 s on error.
  syncer.log.length = 0;
  syncer.failOnce.add('fast');
  workers.wake('uid-fast');
  await tick();
  await clock.step(10_000);
  await tick();
  assert.deepEqual(syncer.log, ['sync fast', 'sync fast']);
  ac.abort();
  await run;
});

test('pod workers: kill aborts a running sync and terminates with the grace period; terminal pods finish', async () => {
  const clock = new FakeClock();
  const syncer = new ScriptedSyncer();
  const workers = new PodWorkers({ syncer, clock, random: () => 0 });
  const ac = new AbortController();
  const run = workers.run(ac.signal);
  syncer.gate = new Deferred();
  const slow = makePod('slow').container('c').build();
  workers.updatePod({ type: 'create', pod: slow });
  await tick();
  workers.updatePod({ type: 'kill', pod: slow, gracePeriodSeconds: 5 });
  await tick();
  assert.deepEqual(syncer.log, ['sync slow', 'terminating slow 5', 'terminated slow']);
  assert.equal(workers.state('uid-slow'), 'finished');
  workers.updatePod({ type: 'update', pod: slow });
  await tick();
  assert.equal(syncer.log.length, 3, 'a finished pod never runs again');

  syncer.log.length = 0;
  syncer.terminal.add('job');
  workers.updatePod({
    type: 'create',
    pod: makePod('job')
      .container('c')
      .set((p) => (p.spec!.terminationGracePeriodSeconds = 7))
      .build(),
  });
  await tick();
  assert.deepEqual(syncer.log, ['sync job', 'terminating job 7', 'terminated job']);
  workers.forget('uid-job');
  assert.equal(workers.state('uid-job'), undefined);

  // First seen while being deleted (a kubelet restart during deletion): no sync, straight to termination.
  syncer.log.length = 0;
  workers.updatePod({
    type: 'update',
    pod: makePod('gone')
      .container('c')
      .set((p) =>
        Object.assign(p.metadata!, { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 3 }),
      )
      .build(),
  });
  await tick();
  assert.deepEqual(syncer.log, ['terminating gone 3', 'terminated gone']);
  ac.abort();
  await run;
});
