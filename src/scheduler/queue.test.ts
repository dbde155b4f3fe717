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

test('activeQ order: table of priorities and queue times', async () => {
  const cases: { name: string; pods: { name: string; priority?: number; at: number }[]; want: string[] }[] = [
    { name: 'same priority: first queued first', pods: [{ name: 'b', at: 2 }, { name: 'a', at: 1 }, { name: 'c', at: 3 }], want: ['a', 'b', 'c'] },
    { name: 'priority beats time', pods: [{ name: 'old', at: 1 }, { name: 'urgent', priority: 1000, at: 9 }, { name: 'mid', priority: 10, at: 5 }], want: ['urgent', 'mid', 'old'] },
    { name: 'negative priority goes last', pods: [{ name: 'neg', priority: -5, at: 1 }, { name: 'zero', at: 2 }], want: ['zero', 'neg'] },
    {
      name: 'many pods, two priorities',
      pods: Array.from({ length: 20 }, (_, i) => ({ name: `p${String(19 - i).padStart(2, '0')}`, priority: i % 2 === 0 ? 1 : 0, at: 19 - i })),
      want: [
        ...Array.from({ length: 20 }, (_, i) => i).filter((i) => (19 - i) % 2 === 0).map((i) => `p${String(i).padStart(2, '0')}`),
        ...Array.from({ length: 20 }, (_, i) => i).filter((i) => (19 - i) % 2 === 1).map((i) => `p${String(i).padStart(2, '0')}`),
      ],
    },
  ];
  for (const c of cases) {
    const clock = new FakeClock(0);
    const q = new SchedulingQueue({ clock });
    for (const p of [...c.pods].sort((a, b) => a.at - b.at)) {
      await clock.step(p.at - clock.now());
      q.add(makePod().name(p.name).uid(p.name).priority(p.priority ?? 0).obj());
    }
    assert.deepEqual(await names(q, c.pods.length), c.want, c.name);
    q.close();
  }
});

test('moving pods between activeQ, backoffQ and the pool, step by step', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  const stats = () => { const s = q.stats; return [s.active, s.backoff, s.unschedulable, s.inFlight]; };
  for (const n of ['a', 'b', 'c']) q.add(makePod().name(n).uid(n).obj());
  assert.deepEqual(stats(), [3, 0, 0, 0]);
  const a = (await q.pop())!;
  const b = (await q.pop())!;
  assert.deepEqual([a.pod.metadata!.name, b.pod.metadata!.name], ['a', 'b']);
  assert.deepEqual(stats(), [1, 0, 0, 2]);
  q.addUnschedulable(a); // a → pool
  q.addBackoff(b); // b → backoffQ for 1 s
  assert.deepEqual(stats(), [1, 1, 1, 0]);
  await clock.step(999);
  assert.deepEqual(stats(), [1, 1, 1, 0]);
  await clock.step(1);
  assert.deepEqual(stats(), [2, 0, 1, 0], 'b back in activeQ after its 1 s');
  // c was queued before b came back: it goes first.
  assert.deepEqual(await names(q, 1), ['c']);
  q.done('c');
  // A cluster event: a's 1 s back-off is over, so it goes straight to activeQ; b pops next by its timestamp.
  q.moveAllToActiveOrBackoff();
  assert.deepEqual(stats(), [2, 0, 0, 0]);
  assert.deepEqual(await names(q, 2), ['b', 'a'], 'both failed at t=0: b, back in activeQ first, goes first');
  // Deleting pods in each place empties the queue, and no timer brings them back.
  const c2 = makePod().name('c2').uid('c2').obj();
  q.add(c2);
  q.addUnschedulable((await q.pop())!);
  q.delete(makePod().name('a').uid('a').obj());
  q.delete(makePod().name('b').uid('b').obj());
  q.delete(c2);
  q.done('a');
  q.done('b');
  await clock.step(10 * 60_000);
  assert.deepEqual(stats(), [0, 0, 0, 0]);
  q.close();
});

test('one timer however many pods wait: sleepers do not grow with the pool or the backoffQ', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  for (let i = 0; i < 50; i++) q.add(makePod().name(`p${i}`).uid(`p${i}`).obj());
  for (let i = 0; i < 50; i++) {
    const info = (await q.pop())!;
    if (i % 2) q.addUnschedulable(info);
    else q.addBackoff(info);
  }
  assert.deepEqual(q.stats, { active: 0, backoff: 25, unschedulable: 25, inFlight: 0 });
  assert.equal(clock.waiting, 1);
  await clock.step(1000);
  assert.equal(q.stats.active, 25);
  assert.equal(clock.waiting, 1, 'the pool still has its one timer (5 min)');
  await clock.step(5 * 60_000);
  assert.equal(q.stats.active, 50);
  assert.equal(clock.waiting, 0);
  q.close();
});
