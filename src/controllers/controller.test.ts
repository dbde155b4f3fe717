import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Informer, type KubeObjectLike } from '../client/index.ts';
import { FakeApiServer } from '../client/testing/fake-apiserver.ts';
import { Controller } from './controller.ts';
import { poll } from '../machinery/testing/poll.ts';

test('reconciles each enqueued key after the caches sync, retrying failures with back-off', async () => {
  const server = await new FakeApiServer().start();
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  try {
    server.put('configmaps', { metadata: { name: 'a', namespace: 'c1' } });
    const informer = new Informer<KubeObjectLike>(client.resource('configmaps', 'c1'));
    const seen: string[] = [];
    let failures = 1;
    const ctl = new Controller({
      name: 'test-controller',
      informers: [informer],
      reconcile: async (key) => {
        // The cache is synced before the first reconcile.
        assert.ok(informer.get(key.replace(/#.*/, '')));
        seen.push(key);
        if (key === 'c1/a#flaky' && failures-- > 0) throw new Error('transient');
      },
    });
    informer.onAdd((o) => ctl.enqueue(`${o.metadata?.namespace}/${o.metadata?.name}`));
    ctl.enqueue('c1/a#flaky');
    const ac = new AbortController();
    const running = ctl.run(ac.signal);
    await poll(() => seen.filter((k) => k === 'c1/a#flaky').length >= 2, 'the retry of c1/a#flaky', { intervalMs: 5, timeoutMs: 2500 });
    assert.deepEqual(seen.filter((k) => k === 'c1/a#flaky').length, 2);
    assert.ok(seen.includes('c1/a'));
    assert.equal(ctl.queue.numRequeues('c1/a#flaky'), 0, 'forgotten after the success');
    ac.abort();
    await running;
  } finally {
    client.close();
    await server.stop();
  }
});

test('closes its event recorder when it stops, and returns only once the recorder has flushed', async () => {
  const server = await new FakeApiServer().start();
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  try {
    const calls: string[] = [];
    let release!: () => void;
    const flushed = new Promise<void>((resolve) => (release = resolve));
    const recorder = {
      close: () => void calls.push('close'),
      flush: async () => {
        calls.push('flush');
        await flushed;
        calls.push('flushed');
      },
    };
    const ctl = new Controller({
      name: 'test-controller',
      recorder,
      informers: [new Informer<KubeObjectLike>(client.resource('configmaps', 'c1'))],
      reconcile: async () => {},
    });
    const ac = new AbortController();
    let stopped = false;
    const running = ctl.run(ac.signal).then(() => (stopped = true));
    assert.deepEqual(calls, [], 'the recorder is left alone while the controller runs');
    ac.abort();
    await poll(() => calls.length >= 2, 'the recorder closed and flushing', { intervalMs: 5, timeoutMs: 2500 });
    assert.equal(stopped, false, 'run() waits for the flush');
    release();
    await running;
    assert.deepEqual(calls, ['close', 'flush', 'flushed']);
  } finally {
    client.close();
    await server.stop();
  }
});
