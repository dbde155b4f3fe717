/**
 * kube-apiserver's max-in-flight filter (`--max-requests-inflight` 400, `--max-mutating-requests-inflight` 200;
 * what upstream runs with `--enable-priority-and-fairness=false`): two pools of slots, one for reads (get,
 * list) and one for writes. A request that finds its pool full is refused at once with 429 and `Retry-After: 1`
 * — never queued — unless its user is in `system:masters`, which upstream always serves. Long-running
 * requests (watches, logs, proxies, exec/attach/port-forward) do not take a slot. A limit of 0 means no limit.
 */

/** Verbs that only read (upstream's nonMutatingRequestVerbs). */
const NON_MUTATING = new Set(['get', 'list', 'watch']);

export const PRIVILEGED_GROUP = 'system:masters';

export interface MaxInFlightConfig {
  /** --max-requests-inflight (default 400). */
  nonMutating?: number;
  /** --max-mutating-requests-inflight (default 200). */
  mutating?: number;
}

export interface InFlightCounts {
  nonMutating: number;
  mutating: number;
}

export class MaxInFlightLimiter {
  readonly #limit: InFlightCounts;
  readonly #used: InFlightCounts = { nonMutating: 0, mutating: 0 };

  constructor(config: MaxInFlightConfig = {}) {
    this.#limit = { nonMutating: config.nonMutating ?? 400, mutating: config.mutating ?? 200 };
    for (const n of Object.values(this.#limit)) if (!Number.isInteger(n) || n < 0) throw new Error(`invalid in-flight limit ${n}`);
  }

  static isMutating(verb: string): boolean {
    return !NON_MUTATING.has(verb);
  }

  /**
   * Takes a slot for a request with `verb` by a user in `groups`: a release function (call it once, when the
   * request is done), or undefined when the pool is full and the request must be refused.
   */
  tryAcquire(verb: string, groups: readonly string[]): (() => void) | undefined {
    const pool: keyof InFlightCounts = MaxInFlightLimiter.isMutating(verb) ? 'mutating' : 'nonMutating';
    const limit = this.#limit[pool];
    if (limit === 0) return () => {};
    if (this.#used[pool] >= limit) {
      // A system:masters request is served anyway, outside the count, as upstream does.
      return groups.includes(PRIVILEGED_GROUP) ? () => {} : undefined;
    }
    this.#used[pool]++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used[pool]--;
    };
  }

  get inFlight(): InFlightCounts {
    return { ...this.#used };
  }
}
