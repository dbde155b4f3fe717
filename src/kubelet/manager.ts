/**
 * A node is a composition of managers (pod workers, PLEG, probes, status, volumes, the server, node status,
 * housekeeping, …), each started and stopped on its own, as upstream's `kubelet.Run` starts its managers.
 * `ManagerGroup` starts them in the order it is given, holding back the next step until the managers before
 * it say they are ready (readiness promises, never sleeps), and stops them all together:
 *
 *   start(a, b) ─▶ a.run(signal), b.run(signal) ─▶ await a.ready, b.ready ─▶ start(c) ─▶ …
 *   stop()      ─▶ abort the group's signal ─▶ Promise.allSettled(every run) (bounded) ─▶ close() in reverse
 *                  start order
 *
 * A run that fails is logged with its manager's name (not when it ended because the group stopped); one that
 * ends before it was ready fails the `start` waiting for it, so the composition stops instead of waiting for
 * ever.
 */
import { realClock, type Logger } from '../machinery/index.ts';

export interface Manager {
  /** Used in logs: "<name> stopped". */
  readonly name: string;
  /**
   * Runs until `signal` aborts, then resolves. Called once. Rejecting means the manager failed; the others
   * keep running.
   */
  run(signal: AbortSignal): Promise<unknown>;
  /**
   * Resolves when the managers started after this one may start (default: as soon as it runs). Asked once,
   * right after run() was called.
   */
  ready?(): Promise<unknown>;
  /**
   * Releases what the manager holds once every manager's run has settled (the server stops listening, the
   * event recorder flushes), in reverse start order. Errors are logged with the name.
   */
  close?(): Promise<void>;
}

export interface ManagerGroupConfig {
  /** Stops the group when it aborts (stop() is still to be awaited). */
  signal: AbortSignal;
  logger: Logger;
  /**
   * How long stop() waits for the runs to settle before it gives up on them (default 15 s): a loop stuck in
   * a runtime call must not keep the process from stopping. Real time, whatever clock the managers use.
   */
  stopTimeoutMs?: number;
}

/** One line per manager: a plain `run` loop with a name (and optionally readiness and a close). */
export function manager(
  name: string,
  run: (signal: AbortSignal) => Promise<unknown>,
  extra: { ready?: () => Promise<unknown>; close?: () => Promise<void> } = {},
): Manager {
  return { name, run, ...extra };
}

/** Resolves when `signal` aborts (at once when it has): the body of a manager that only waits to be closed. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export class ManagerGroup {
  readonly #log: Logger;
  readonly #stopTimeoutMs: number;
  readonly #ac = new AbortController();
  readonly #started: Manager[] = [];
  readonly #runs: Promise<unknown>[] = [];

  constructor(config: ManagerGroupConfig) {
    this.#log = config.logger;
    this.#stopTimeoutMs = config.stopTimeoutMs ?? 15_000;
    const outer = config.signal;
    if (outer.aborted) this.#ac.abort(outer.reason);
    else outer.addEventListener('abort', () => this.#ac.abort(outer.reason), { once: true });
  }

  /** The signal every manager runs with: aborted by the outer signal or by stop(). */
  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  /**
   * Starts `managers` (in the order given), then waits until each is ready. Resolves true once all are,
   * false when the group stops first; rejects when one of them stops (or fails) before it was ready.
   */
  async start(...managers: Manager[]): Promise<boolean> {
    const signal = this.#ac.signal;
    const waits: Promise<unknown>[] = [];
    for (const m of managers) {
      this.#started.push(m);
      let running: Promise<unknown>;
      try {
        running = m.run(signal);
      } catch (err) {
        running = Promise.reject(err);
      }
      const outcome = running.then(
        () => ({ ok: true as const }),
        (err: unknown) => {
          if (!signal.aborted) this.#log.error({ err }, `${m.name} stopped`);
          return { ok: false as const, err };
        },
      );
      this.#runs.push(outcome);
      if (m.ready) {
        const endedFirst = outcome.then((o) => {
          throw o.ok ? new Error(`${m.name} stopped before it was ready`) : o.err;
        });
        waits.push(Promise.race([m.ready(), endedFirst]));
      }
    }
    if (waits.length === 0) return !signal.aborted;
    let onAbort!: () => void;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      if (signal.aborted) resolve(false);
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([Promise.all(waits).then(() => true), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Stops every manager: aborts their signal, waits for their runs (at most stopTimeoutMs), then closes them
   * in reverse start order. Resolves false when some run did not settle in time.
   */
  async stop(reason?: unknown): Promise<boolean> {
    if (!this.#ac.signal.aborted) this.#ac.abort(reason ?? new Error('kubelet stopping'));
    const giveUp = new AbortController();
    const stopped = await Promise.race([
      Promise.allSettled(this.#runs).then(() => true),
      realClock.sleep(this.#stopTimeoutMs, giveUp.signal).then(
        () => false,
        () => false,
      ),
    ]);
    giveUp.abort();
    for (const m of [...this.#started].reverse()) {
      if (!m.close) continue;
      try {
        await m.close();
      } catch (err) {
        this.#log.warn({ err }, `${m.name}: close failed`);
      }
    }
    return stopped;
  }
}
