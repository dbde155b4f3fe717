/**
 * The polling wait of the unit tests that drive informers, controllers and the scheduler against the fake API
 * server: what they wait for happens in another async loop, so they look again every 5 ms. A thin wrapper
 * over the one polling helper of every tier (`src/machinery/testing/poll.ts`).
 */
import { poll } from '../../machinery/testing/poll.ts';

/**
 * Resolves with the first truthy value `get` returns, polling every 5 ms; fails the test with
 * "timed out waiting for <what>" after `maxPolls` intervals (1000 by default, some 5 s).
 */
export async function until<T>(get: () => T | undefined | null | false, what: string, maxPolls = 1000): Promise<T> {
  return poll(get, what, { intervalMs: 5, timeoutMs: maxPolls * 5 });
}
