import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { ServiceAccountTokenManager, type BoundTokenRequest } from './token-manager.ts';

const req = (uid = 'pod-uid', audience?: string): BoundTokenRequest => ({
  namespace: 'default',
  serviceAccountName: 'builder',
  audience,
  expirationSeconds: 3607,
  pod: { name: 'p', uid },
});

function setup() {
  const clock = new FakeClock();
  const asked: BoundTokenRequest[] = [];
  let fail: Error | undefined;
  const tm = new ServiceAccountTokenManager({
    clock,
    random: () => 0,
    request: async (r) => {
      if (fail) throw fail;
      asked.push(r);
      return {
        token: `t${asked.length}`,
        expirationTimestamp: new Date(clock.now() + r.expirationSeconds * 1000).toISOString(),
        expirationSeconds: r.expirationSeconds,
      };
    },
  });
  return { clock, asked, tm, failWith: (e: Error | undefined) => (fail = e) };
}

test('tokens are cached per pod and audience and renewed once 80% of the lifetime has passed', async () => {
  const { clock, asked, tm } = setup();
  assert.equal(await tm.getToken(req()), 't1');
  assert.equal(await tm.getToken(req()), 't1');
  assert.equal(await tm.getToken(req('other')), 't2', 'another pod gets its own bound token');
  assert.equal(await tm.getToken(req('pod-uid', 'vault')), 't3', 'another audience too');
  assert.equal(asked.length, 3);
  // 80% of 3607 s is 2885.6 s.
  await clock.step(2885_000);
  assert.equal(await tm.getToken(req()), 't1', 'still within 80%');
  await clock.step(1_000);
  assert.equal(await tm.getToken(req()), 't4', 'renewed past 80%');
  assert.equal(await tm.getToken(req()), 't4');
  tm.deletePodTokens('pod-uid');
  assert.equal(tm.size, 1);
});

test('a failed renewal keeps the cached token until it expires, then fails', async () => {
  const { clock, tm, failWith } = setup();
  assert.equal(await tm.getToken(req()), 't1');
  await clock.step(3000_000);
  failWith(new Error('connection refused'));
  assert.equal(await tm.getToken(req()), 't1');
  await clock.step(607_000);
  await assert.rejects(tm.getToken(req()), /failed to fetch token: connection refused/);
});
