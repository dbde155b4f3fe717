/**
 * The controllers' unit tests' harness: run a controller while a test body runs, then stop it (abort) and
 * wait for its run to end, also when the body throws, so no informer or worker outlives the test.
 */

/** Anything with the controllers' `run(signal)`: resolves once the controller stopped after `signal` aborted. */
export interface Runnable {
  run(signal: AbortSignal): Promise<void>;
}

/** Runs `c` during `body` (which gets the controller and the run's signal), then stops it. */
export async function runDuring<C extends Runnable>(c: C, body: (c: C, signal: AbortSignal) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const running = c.run(ac.signal);
  try {
    await body(c, ac.signal);
  } finally {
    ac.abort();
    await running;
  }
}
