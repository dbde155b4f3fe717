/** workqueue_* from a real WorkQueue: adds, depth, retries and time queued, by queue name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeClock, WorkQueue } from '../machinery/index.ts';
import { WorkQueueMetricsProvider } from './metrics.ts';

test('adds, depth, retries and queue time are reported per queue name', async () => {
  const registry = new Registry();
  const clock = new FakeClock();
  const provider = new WorkQueueMetricsProvider(registry);
  const q = new WorkQueue<string>({ clock });
  const idle = new WorkQueue<string>({ clock });
  provider.instrument(q, 'replicaset');
  provider.instrument(idle, 'job');
  q.add('a');
  q.add('a'); // merged: not an add
  q.add('b');
  let text = await registry.metrics();
  assert.match(text, /^workqueue_adds_total\{name="replicaset"\} 2$/m);
  assert.match(text, /^workqueue_adds_total\{name="job"\} 0$/m);
  assert.match(text, /^workqueue_depth\{name="replicaset"\} 2$/m);
  await clock.step(2000);
  const key = await q.get();
  q.addRateLimited(key!);
  q.done(key!);
  text = await registry.metrics();
  assert.match(text, /^workqueue_depth\{name="replicaset"\} 1$/m);
  assert.match(text, /^workqueue_retries_total\{name="replicaset"\} 1$/m);
  // Two seconds in the queue: past the 1 s bucket, inside the 10 s one.
  assert.match(text, /^workqueue_queue_duration_seconds_bucket\{le="1",name="replicaset"\} 0$/m);
  assert.match(text, /^workqueue_queue_duration_seconds_bucket\{le="10",name="replicaset"\} 1$/m);
  assert.match(text, /^workqueue_work_duration_seconds_count\{name="replicaset"\} 1$/m);
  q.shutDown();
  idle.shutDown();
});
