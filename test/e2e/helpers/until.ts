/**
 * The polling wait of end-to-end tests that watch the cluster converge through the API (controllers and the
 * scheduler run in the server, so what a test waits for happens on their schedule, not the test's). A thin
 * wrapper over the one polling helper of every tier (`src/machinery/testing/poll.ts`).
 */
import { poll, type PollOptions } from '../../../src/machinery/testing/poll.ts';

/**
 * Resolves with the first truthy value `get` resolves to, asking every 200 ms. A rejected `get` counts as
 * "not yet" (an object may not exist yet); after `timeoutMs` the test fails naming `what` and the last error.
 */
export async function until<T>(get: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  return poll(get, what, { intervalMs: 200, timeoutMs, retryErrors: true });
}

/** `until` with every option of the shared helper (interval, timeout, retryErrors, detail), e2e defaults. */
export async function untilWith<T>(
  get: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  options: PollOptions,
): Promise<T> {
  return poll(get, what, { intervalMs: 200, retryErrors: true, ...options });
}
