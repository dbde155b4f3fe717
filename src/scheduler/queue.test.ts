import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../machinery/index.ts';
import { SchedulingQueue } from './queue.ts';
import { makePod } from './testing/builders.ts';

const names = async (q: SchedulingQueue, n: number) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await q.pop())!.pod.metadata!.name!);
  return out;
};

test('pops by priority, then by queue time', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  q.add(makePod().name('low-old').priority(0).obj());
  await clock.step(1);
  q.add(makePod().name('high').priority(100).obj());
  await clock.step(1);
  q.add(makePod().name('low-new').priority(0).obj());
  assert.deepEqual(await names(q, 3), ['high', 'low-old', 'low-new']);
  q.close();
});

test('pop waits for a pod; close wakes it with undefined', async () => {
  const q = new SchedulingQueue({ clock: new FakeClock(0) });
  const popped = q.pop();
  q.add(makePod().name('late').obj());
  assert.equal((await popped)!.pod.metadata!.name, 'late');
  const waiting = q.pop();
  q.close();
  assert.equal(await waiting, undefined);
});

test('an unschedulable pod waits for a cluster event, then for what is left of its back-off', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  q.add(makePod().name('p').uid('p').obj());
  const info = (await q.pop())!;
  assert.equal(info.attempts, 1);
  q.addUnschedulable(info);
  assert.deepEqual(q.stats, { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
  await clock.step(5000);
  assert.equal(q.stats.unschedulable, 1, 'no event: stays put');

  q.moveAllToActiveOrBackoff();
  assert.equal(q.stats.active, 1, 'back-off of 1 s already over: straight to activeQ');
  const again = (await q.pop())!;
  assert.equal(again.attempts, 2);
  q.addUnschedulable(again);
  q.moveAllToActiveOrBackoff();
  assert.equal(q.stats.backoff, 1, 'second failure: 2 s back-off still running');
  await clock.step(1999);
  assert.equal(q.stats.backoff, 1);
  await clock.step(1);
  assert.equal(q.stats.active, 1);
  q.close();
});

test('back-off doubles from 1 s and stops at 10 s', () => {
  const q = new SchedulingQueue({ clock: new FakeClock(0) });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffMs(a)), [1000, 2000, 4000, 8000, 10000, 10000]);
  q.close();
});

test('an event during the attempt sends the failed pod to the backoffQ, not the pool', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  q.add(makePod().name('p').uid('p').obj());
  const info = (await q.pop())!;
  q.moveAllToActiveOrBackoff(); // e.g. a node was added while we filtered
  q.addUnschedulable(info);
  assert.deepEqual(q.stats, { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  await clock.step(1000);
  assert.equal(q.stats.active, 1);
  q.close();
});

test('errors retry after back-off; pods in the pool go back after 5 minutes without events', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  q.add(makePod().name('err').uid('err').obj());
  q.addBackoff((await q.pop())!);
  assert.equal(q.stats.backoff, 1);
  await clock.step(1000);
  assert.equal(q.stats.active, 1);
  const err = (await q.pop())!;
  q.done('err');

  q.add(makePod().name('stuck').uid('stuck').obj());
  q.addUnschedulable((await q.pop())!);
  await clock.step(5 * 60_000 - 1);
  assert.equal(q.stats.unschedulable, 1);
  await clock.step(1);
  assert.equal(q.stats.active, 1);
  assert.equal(err.attempts, 2);
  q.close();
});

test('updates of waiting pods requeue them; deleted pods leave every queue', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  q.add(makePod().name('u').uid('u').obj());
  q.addUnschedulable((await q.pop())!);
  await clock.step(1000);
  q.update(makePod().name('u').uid('u').labels({ changed: 'yes' }).obj());
  const next = (await q.pop())!;
  assert.equal(next.pod.metadata?.labels?.changed, 'yes');

  // Deleted while being scheduled: the failure does not bring it back.
  q.delete(next.pod);
  q.addUnschedulable(next);
  q.add(makePod().name('gone').uid('gone').obj());
  q.delete(makePod().name('gone').uid('gone').obj());
  assert.deepEqual(q.stats, { active: 0, backoff: 0, unschedulable: 0, inFlight: 0 });
  q.close();
});
