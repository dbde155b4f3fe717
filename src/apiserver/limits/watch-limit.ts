/**
 * A cap on the open watches of one user (`--max-watches-per-user`, default 1000; 0 = no cap). Upstream bounds
 * watches only through API Priority and Fairness' seats; without it one client could open watches until the
 * server runs out of memory and file descriptors, starving everyone else. Each user gets the same share: a
 * watch beyond the cap is refused with 429 and `Retry-After: 1` (client-go's reflectors back off and retry),
 * and the slot comes back when the watch ends. `system:masters` is not capped (the server's own components
 * run as it, as they are exempt upstream).
 */
import { PRIVILEGED_GROUP } from './max-in-flight.ts';

export interface WatchLimiterConfig {
  /** Open watches per user (default 1000; 0: unlimited). */
  maxPerUser?: number;
}

export const DEFAULT_MAX_WATCHES_PER_USER = 1000;

export class WatchLimiter {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(config: WatchLimiterConfig = {}) {
    this.#max = config.maxPerUser ?? DEFAULT_MAX_WATCHES_PER_USER;
    if (!Number.isInteger(this.#max) || this.#max < 0) throw new Error(`invalid watch limit ${this.#max}`);
  }

  get maxPerUser(): number {
    return this.#max;
  }

  /** A release function for one more watch of `user`, or undefined when the user is at the cap. */
  tryAcquire(user: string, groups: readonly string[]): (() => void) | undefined {
    if (this.#max === 0 || groups.includes(PRIVILEGED_GROUP)) return () => {};
    const n = this.#open.get(user) ?? 0;
    if (n >= this.#max) return undefined;
    this.#open.set(user, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(user) ?? 1) - 1;
      if (left <= 0) this.#open.delete(user);
      else this.#open.set(user, left);
    };
  }

  /** Open (counted) watches of `user`. */
  open(user: string): number {
    return this.#open.get(user) ?? 0;
  }
}
