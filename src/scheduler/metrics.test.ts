/** The scheduler's metrics: attempts by result and profile, and the scheduling SLI once a pod is bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { Pod } from '../api/index.ts';
import { Client } from '../client/index.ts';
import type { FakeApiServer } from '../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../client/testing/fake-api-for-file.ts';
import { until } from '../client/testing/until.ts';
import { poll } from '../machinery/testing/poll.ts';
import { Scheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing/builders.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

test('an unschedulable attempt, then a scheduled one with the SLI labelled by attempts', async () => {
  const registry = new Registry();
  const sched = new Scheduler({ client, metrics: registry, queue: { initialBackoffMs: 10, maxBackoffMs: 50 } });
  const ac = new AbortController();
  const running = sched.run(ac.signal);
  const stored = () => server.list('pods').find((p) => p.metadata.name === 'picky') as Pod | undefined;
  try {
    server.put('nodes', makeNode().name('n1').obj());
    await Promise.all([sched.pods.synced, sched.nodes.synced]);
    server.put('pods', makePod().namespace('m').name('picky').nodeSelector({ gpu: 'true' }).obj());
    await until(() => stored()?.status?.conditions?.find((c) => c.type === 'PodScheduled'), 'PodScheduled=False');
    const node = server.list('nodes')[0]!;
    server.put('nodes', { ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, gpu: 'true' } } });
    await until(() => stored()?.spec?.nodeName, 'bound after the label');
    const text = await poll(async () => {
      const t = await registry.metrics();
      return /scheduler_schedule_attempts_total\{result="scheduled"/.test(t) ? t : undefined;
    }, 'the scheduled attempt counted');
    assert.match(text, /^scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} [1-9]\d*$/m);
    assert.match(text, /^scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 1$/m);
    assert.doesNotMatch(text, /result="error"/);
    // Bound on a later attempt than the first: the SLI sample carries that attempt count.
    const sli = /^scheduler_pod_scheduling_sli_duration_seconds_count\{attempts="(\d+)"\} 1$/m.exec(text);
    assert.ok(sli, text);
    assert.ok(Number(sli[1]) >= 2, `attempts ${sli[1]}`);
    assert.match(text, /^scheduler_pod_scheduling_sli_duration_seconds_bucket\{le="0.01",attempts="\d+"\} [01]$/m);
  } finally {
    ac.abort();
    await running;
  }
});
