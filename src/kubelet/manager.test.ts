import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deferred, createLogger } from '../machinery/index.ts';
import { ManagerGroup, manager, untilAborted } from './manager.ts';

/** A logger that records error lines (pino's API: obj, msg). */
function recordingLogger() {
  const errors: string[] = [];
  const warnings: string[] = [];
  const base = createLogger('manager-test');
  const logger = Object.assign(Object.create(base) as typeof base, {
    error: (_obj: unknown, msg: string) => void errors.push(msg),
    warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? String(_obj)),
  });
  return { logger, errors, warnings };
}

test('each step starts only once the managers before it are ready', async () => {
  const { logger } = recordingLogger();
  const ac = new AbortController();
  const group = new ManagerGroup({ signal: ac.signal, logger });
  const order: string[] = [];
  const registered = new Deferred<void>();
  const first = group.start(
    manager(
      'node',
      async (s) => {
        order.push('node runs');
        await untilAborted(s);
      },
      { ready: () => registered.promise },
    ),
  );
  const second = first.then(() =>
    group.start(
      manager('pleg', async (s) => {
        order.push('pleg runs');
        await untilAborted(s);
      }),
    ),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['node runs'], 'pleg waits for the node to be ready');
  registered.resolve();
  assert.equal(await first, true);
  assert.equal(await second, true);
  assert.deepEqual(order, ['node runs', 'pleg runs']);
  ac.abort();
  assert.equal(await group.stop(), true);
});

test('stop aborts every run, waits for them, then closes in reverse start order', async () => {
  const { logger, errors } = recordingLogger();
  const ac = new AbortController();
  const group = new ManagerGroup({ signal: ac.signal, logger });
  const events: string[] = [];
  const loop = (name: string) =>
    manager(
      name,
      async (s) => {
        await untilAborted(s);
        events.push(`${name} stopped`);
      },
      {
        close: async () => {
          events.push(`${name} closed`);
        },
      },
    );
  await group.start(loop('events'), loop('server'));
  await group.start(loop('workers'));
  assert.equal(await group.stop(), true, 'stop() alone stops the group');
  assert.deepEqual(events.slice(0, 3).sort(), ['events stopped', 'server stopped', 'workers stopped']);
  assert.deepEqual(events.slice(3), ['workers closed', 'server closed', 'events closed']);
  assert.deepEqual(errors, [], 'a run that ends because the group stopped is no failure');
});

test('a failing manager is logged with its name; one that fails before it is ready fails start()', async () => {
  const { logger, errors } = recordingLogger();
  const ac = new AbortController();
  const group = new ManagerGroup({ signal: ac.signal, logger });
  const never = new Deferred<void>();
  await assert.rejects(
    group.start(
      manager(
        'kubelet server',
        async () => {
          throw new Error('listen EADDRINUSE');
        },
        { ready: () => never.promise },
      ),
    ),
    /EADDRINUSE/,
  );
  assert.equal(await group.start(manager('volume manager', async () => Promise.reject(new Error('boom')))), true);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(errors, ['kubelet server stopped', 'volume manager stopped']);
  await group.stop();
});

test('start() resolves false when the group is stopped before its managers are ready', async () => {
  const { logger } = recordingLogger();
  const ac = new AbortController();
  const group = new ManagerGroup({ signal: ac.signal, logger });
  const never = new Deferred<void>();
  const started = group.start(manager('node', untilAborted, { ready: () => never.promise }));
  ac.abort();
  assert.equal(await started, false);
  assert.equal(await group.start(manager('pleg', untilAborted)), false, 'later steps see the stop too');
  assert.equal(await group.stop(), true);
});

test('stop() gives up on a run that does not stop, and still closes', async () => {
  const { logger } = recordingLogger();
  const group = new ManagerGroup({ signal: new AbortController().signal, logger, stopTimeoutMs: 10 });
  const stuck = new Deferred<void>();
  let closed = false;
  await group.start(
    manager('stuck', () => stuck.promise, {
      close: async () => {
        closed = true;
      },
    }),
  );
  assert.equal(await group.stop(), false);
  assert.equal(closed, true);
  stuck.resolve();
});
