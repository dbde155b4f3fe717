import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../machinery/index.ts';
import { PodExpectations } from './pod-expectations.ts';

test('expectations: satisfied once every create and delete is observed, or once they are older than the TTL', async () => {
  const clock = new FakeClock();
  const exp = new PodExpectations(clock);
  assert.equal(exp.satisfied('ns/a'), true, 'nothing expected');
  exp.expect('ns/a', 2, ['u1']);
  assert.equal(exp.satisfied('ns/a'), false);
  exp.createObserved('ns/a');
  exp.createObserved('ns/a');
  assert.equal(exp.satisfied('ns/a'), false, 'the delete is still outstanding');
  exp.deleteObserved('ns/a', 'u1');
  assert.equal(exp.satisfied('ns/a'), true);

  exp.expect('ns/b', 1);
  await clock.step(5 * 60_000);
  assert.equal(exp.satisfied('ns/b'), false, 'not older than the TTL yet');
  await clock.step(1);
  assert.equal(exp.satisfied('ns/b'), true, 'a lost watch event does not block the owner forever');
  exp.expect('ns/c', 1);
  exp.forget('ns/c');
  assert.equal(exp.satisfied('ns/c'), true);
});
