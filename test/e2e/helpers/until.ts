/**
 * The polling wait of end-to-end tests that watch the cluster converge through the API (controllers and the
 * scheduler run in the server, so what a test waits for happens on their schedule, not the test's).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves with the first truthy value `get` resolves to, asking every 200 ms. A rejected `get` counts as
 * "not yet" (an object may not exist yet); after `timeoutMs` the test fails naming `what` and the last error.
 */
export async function until<T>(get: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await get().catch((e: unknown) => ((last = e), undefined));
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await sleep(200);
  }
}
