/**
 * The polling wait of the unit tests that drive informers, controllers and the scheduler against the fake API
 * server: what they wait for happens in another async loop, so they look again every 5 ms.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves with the first truthy value `get` returns, polling every 5 ms; fails the test with
 * "timed out waiting for <what>" after `maxPolls` polls (1000 by default, some 5 s or more).
 */
export async function until<T>(get: () => T | undefined | null | false, what: string, maxPolls = 1000): Promise<T> {
  for (let i = 0; i < maxPolls; i++) {
    const v = get();
    if (v) return v;
    await sleep(5);
  }
  assert.fail(`timed out waiting for ${what}`);
}
