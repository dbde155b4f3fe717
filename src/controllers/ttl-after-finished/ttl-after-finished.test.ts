import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { FakeClock } from '../../machinery/index.ts';
import { jobExpiresAt, TTLAfterFinishedController } from './ttl-after-finished.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const finished = (name: string, ttl: number | undefined, type = 'Complete'): Job => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 't' },
  spec: { ttlSecondsAfterFinished: ttl, template: {} },
  status: { conditions: [{ type, status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
});

test('expiry: finish time plus the TTL; none without a TTL or before finishing', () => {
  assert.equal(jobExpiresAt(finished('a', 60)), Date.parse('2026-01-01T00:01:00Z'));
  assert.equal(jobExpiresAt(finished('a', 0, 'Failed')), Date.parse('2026-01-01T00:00:00Z'));
  assert.equal(jobExpiresAt(finished('a', undefined)), undefined);
  assert.equal(jobExpiresAt({ ...finished('a', 60), status: {} }), undefined);
});

test('deletes a finished Job once its TTL has passed on the clock, not before; keeps Jobs without a TTL', async () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:30Z'));
  server.put('batch/jobs', finished('short', 60));
  server.put('batch/jobs', finished('kept', undefined));
  const c = new TTLAfterFinishedController({ client, clock });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await until(() => c.controller.queue.length === 0 && c.jobs.list().length === 2, 'the informer synced');
    await clock.step(20_000);
    assert.ok(server.list('batch/jobs').some((j) => j.metadata.name === 'short'), 'not yet: 50 s after finishing');
    await clock.step(10_000);
    await until(() => !server.list('batch/jobs').some((j) => j.metadata.name === 'short'), 'deleted at 60 s');
    assert.ok(server.list('batch/jobs').some((j) => j.metadata.name === 'kept'));
  } finally {
    ac.abort();
    await running;
  }
});
