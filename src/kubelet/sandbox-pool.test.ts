import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../machinery/index.ts';
import { FakeRuntime } from '../runtime/fake/index.ts';
import type { ContainerRuntime, SandboxPool } from '../runtime/runtime.ts';
import { sandboxPoolManager } from './sandbox-pool.ts';

/** A pool that records its runs and ends each run when the signal aborts, as a real one drains then. */
function recordingPool() {
  const runs: { size: number; drained: boolean }[] = [];
  const pool: SandboxPool = {
    run(size, signal) {
      const run = { size, drained: false };
      runs.push(run);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve((run.drained = true) && undefined), { once: true }));
    },
  };
  return { pool, runs };
}

const logger = createLogger('sandbox-pool-test');

test('the manager runs the runtime\'s pool at the configured size until the node stops', async () => {
  const { pool, runs } = recordingPool();
  const runtime = Object.assign(new FakeRuntime(), { sandboxPool: pool }) as ContainerRuntime;
  const ac = new AbortController();
  const running = sandboxPoolManager(runtime, 3, logger).run(ac.signal);
  assert.deepEqual(runs, [{ size: 3, drained: false }]);
  ac.abort();
  await running;
  assert.deepEqual(runs, [{ size: 3, drained: true }]);
});

test('size 0, or a runtime without a pool, runs nothing and only waits to be stopped', async () => {
  const { pool, runs } = recordingPool();
  const runtime = Object.assign(new FakeRuntime(), { sandboxPool: pool }) as ContainerRuntime;
  for (const m of [sandboxPoolManager(runtime, 0, logger), sandboxPoolManager(new FakeRuntime(), 2, logger)]) {
    const ac = new AbortController();
    const running = m.run(ac.signal);
    ac.abort();
    await running;
  }
  assert.deepEqual(runs, []);
});
