/**
 * The one polling wait of every test tier (unit, integration, e2e): what a test waits for happens in another
 * loop (an informer, a controller, the kubelet, a container), so the test asks again until it holds instead of
 * sleeping a fixed time. The tiers differ only in how often they ask and how long they wait: the unit tests
 * poll an in-process fake every few milliseconds, the e2e tests ask a server through kubectl every 200 ms.
 * The tier wrappers (`src/client/testing/until.ts`, `test/e2e/helpers/until.ts`, `pollUntil` in
 * `test/integration/oci-helpers.ts`) only pick those options.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** Pause between two asks, in ms (default 50). */
  intervalMs?: number;
  /** Give up after this long, in ms (default 30 000); the last ask starts before the deadline. */
  timeoutMs?: number;
  /** When true, a `get` that throws or rejects counts as "not yet" (the object may not exist yet); default false. */
  retryErrors?: boolean;
  /** Extra words for the failure message, computed at the time of failure (the last state seen, a log tail). */
  detail?: () => string;
}

/** The error a poll fails with: "timed out waiting for <what>", plus the last error and the detail. */
export class PollTimeout extends Error {
  override name = 'PollTimeout';
}

/**
 * Resolves with the first truthy value `get` returns or resolves to. A thrown or rejected `get` fails at once
 * unless `retryErrors` is set. After `timeoutMs` it rejects with a `PollTimeout` naming `what` (and, with
 * `retryErrors`, the last error), which fails the test that awaits it.
 */
export async function poll<T>(
  get: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  options: PollOptions = {},
): Promise<T> {
  const { intervalMs = 50, timeoutMs = 30_000, retryErrors = false } = options;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await get();
      if (v) return v;
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = err;
    }
    if (performance.now() >= deadline) {
      const last = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      const detail = options.detail ? `\n${options.detail()}` : '';
      throw new PollTimeout(`timed out waiting for ${what}${last}${detail}`);
    }
    await sleep(intervalMs);
  }
}
