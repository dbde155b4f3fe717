import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../../machinery/index.ts';
import { Client } from '../client.ts';
import { FakeApiServer } from '../testing/fake-apiserver.ts';
import { until } from '../testing/until.ts';
import { LeaderElector, microTime, type Lease } from './leader-election.ts';

/** A candidate whose component runs until its leading signal aborts, recording when it led. */
function candidate(api: FakeApiServer, identity: string, clock: FakeClock) {
  const state = { leading: false, starts: 0, stops: 0, stopsAt: [] as number[] };
  const client = new Client({ server: api.url, token: api.token, caData: api.ca, qps: 0 });
  const elector = new LeaderElector({
    client, namespace: 'kube-system', name: 'kube-scheduler', identity, clock, random: () => 0,
    async onStartedLeading(signal) {
      state.leading = true;
      state.starts++;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      state.leading = false;
      state.stops++;
      state.stopsAt.push(clock.now());
    },
  });
  const stop = new AbortController();
  const running = elector.run(stop.signal);
  return { elector, state, stop: async () => { stop.abort(); await running; client.close(); } };
}

describe('leader election on a Lease', () => {
  let api: FakeApiServer;
  const lease = () => api.objects.get('coordination.k8s.io/leases|kube-system|kube-scheduler') as Lease | undefined;
  beforeEach(async () => {
    api = await new FakeApiServer().start();
  });
  afterEach(async () => {
    await api.stop();
  });

  /** Steps `clock` in `ms` steps, each once `sleepers` loops sleep on it, until `done` holds; returns the time. */
  async function advanceUntil(clock: FakeClock, sleepers: number, done: () => boolean, ms = 1000, maxMs = 120_000): Promise<number> {
    const start = clock.now();
    for (;;) {
      await until(() => done() || clock.waiting >= sleepers, `${sleepers} loops asleep`);
      if (done()) return clock.now();
      assert.ok(clock.now() - start <= maxMs, 'condition did not hold in time');
      await clock.step(ms);
    }
  }

  it('lets exactly one of two candidates lead and keeps renewing its Lease', async () => {
    const clock = new FakeClock();
    const a = candidate(api, 'host_a', clock);
    const b = candidate(api, 'host_b', clock);
    try {
      await advanceUntil(clock, 2, () => (a.state.leading || b.state.leading) && lease() !== undefined);
      await until(() => clock.waiting >= 2, 'both loops asleep');
      assert.equal(Number(a.state.leading) + Number(b.state.leading), 1);
      const leader = a.state.leading ? a : b;
      const first = lease()!;
      assert.equal(first.spec?.holderIdentity, leader.elector.identity);
      assert.equal(first.spec?.leaseDurationSeconds, 15);
      assert.equal(first.spec?.leaseTransitions, 0);
      assert.match(first.spec!.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.equal(first.spec?.acquireTime, first.spec?.renewTime);
      // A minute on: still the one leader, the Lease renewed, acquireTime kept.
      const t0 = clock.now();
      await advanceUntil(clock, 2, () => clock.now() >= t0 + 60_000, 2000);
      await until(() => lease()!.spec!.renewTime! >= microTime(t0 + 58_000), 'a recent renew');
      assert.equal(Number(a.state.leading) + Number(b.state.leading), 1);
      assert.equal(leader.state.starts, 1);
      assert.equal(lease()!.spec?.holderIdentity, leader.elector.identity);
      assert.equal(lease()!.spec?.acquireTime, first.spec?.acquireTime);
      assert.equal(lease()!.spec?.leaseTransitions, 0);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('hands the Lease to another candidate once the leader stopped renewing for the lease duration', async () => {
    // The leader's clock never moves after it leads: a stalled (or killed) process that no longer renews.
    const frozen = new FakeClock();
    const a = candidate(api, 'host_a', frozen);
    await until(() => a.state.leading && frozen.waiting >= 1, 'a to lead');
    const clock = new FakeClock();
    const b = candidate(api, 'host_b', clock);
    try {
      await until(() => clock.waiting >= 1, 'b to sleep');
      const seenAt = clock.now();
      assert.equal(b.state.leading, false);
      const tookOver = await advanceUntil(clock, 1, () => b.state.leading);
      assert.ok(tookOver >= seenAt + 15_000, `took over at +${tookOver - seenAt} ms, before the lease expired`);
      assert.ok(tookOver <= seenAt + 15_000 + 2000, `took over at +${tookOver - seenAt} ms, later than one retry after expiry`);
      assert.equal(lease()!.spec?.holderIdentity, 'host_b');
      assert.equal(lease()!.spec?.leaseTransitions, 1);
      assert.equal(lease()!.spec?.acquireTime, microTime(tookOver));
      // The old leader wakes up: its renews fail (the Lease is b's and fresh), so it steps down within the
      // renew deadline and does not take the Lease back.
      assert.equal(a.state.leading, true);
      const woke = frozen.now();
      await advanceUntil(frozen, 1, () => !a.state.leading, 2000);
      assert.ok(a.state.stopsAt[0]! >= woke + 10_000 && a.state.stopsAt[0]! <= woke + 14_000, `stepped down at +${a.state.stopsAt[0]! - woke} ms`);
      assert.equal(lease()!.spec?.holderIdentity, 'host_b');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('steps down when no renew succeeds within the renew deadline, and leads again once it can', async () => {
    const clock = new FakeClock();
    const a = candidate(api, 'host_a', clock);
    try {
      await until(() => a.state.leading && clock.waiting >= 1, 'a to lead');
      const lastRenew = clock.now();
      for (let i = 0; i < 100; i++) api.failNext.push({ method: 'PUT', pathIncludes: '/leases/', code: 500, reason: 'InternalError' });
      // Renews fail from lastRenew+2 s; the deadline is 10 s after that attempt started.
      await advanceUntil(clock, 1, () => clock.now() >= lastRenew + 10_000);
      assert.equal(a.state.leading, true, 'stepped down before the renew deadline');
      await advanceUntil(clock, 1, () => !a.state.leading);
      assert.ok(a.state.stopsAt[0]! >= lastRenew + 12_000 && a.state.stopsAt[0]! <= lastRenew + 13_000, `stepped down at +${a.state.stopsAt[0]! - lastRenew} ms`);
      api.failNext.length = 0;
      await advanceUntil(clock, 1, () => a.state.leading);
      assert.equal(a.state.starts, 2);
    } finally {
      await a.stop();
    }
  });

  it('starts a component that ends by itself again only after a retry period', async () => {
    const clock = new FakeClock();
    const client = new Client({ server: api.url, token: api.token, caData: api.ca, qps: 0 });
    let starts = 0;
    const elector = new LeaderElector({
      client, namespace: 'kube-system', name: 'kube-scheduler', identity: 'host_a', clock, random: () => 0,
      onStartedLeading: async () => {
        starts++;
      },
    });
    const stop = new AbortController();
    const running = elector.run(stop.signal);
    try {
      await until(() => starts === 1 && clock.waiting >= 1, 'the first start');
      await until(() => clock.waiting >= 1, 'the loop asleep');
      assert.equal(starts, 1, 'started again without waiting');
      const t0 = clock.now();
      await advanceUntil(clock, 1, () => clock.now() >= t0 + 10_000);
      assert.ok(starts >= 3 && starts <= 6, `${starts} starts in 10 s`);
    } finally {
      stop.abort();
      await running;
      client.close();
    }
  });

  it('releases the Lease on stop so a waiting candidate need not wait out the lease duration', async () => {
    const clock = new FakeClock();
    const a = candidate(api, 'host_a', clock);
    await until(() => a.state.leading && clock.waiting >= 1, 'a to lead');
    const b = candidate(api, 'host_b', clock);
    try {
      await until(() => clock.waiting >= 2, 'b to sleep');
      await a.stop();
      assert.equal(a.state.stops, 1);
      assert.equal(lease()!.spec?.holderIdentity ?? '', '');
      assert.equal(lease()!.spec?.leaseDurationSeconds, 1);
      const releasedAt = clock.now();
      const tookOver = await advanceUntil(clock, 1, () => b.state.leading);
      assert.ok(tookOver < releasedAt + 15_000);
      assert.equal(lease()!.spec?.holderIdentity, 'host_b');
      assert.equal(lease()!.spec?.leaseTransitions, 1);
    } finally {
      await b.stop();
    }
  });
});
