/**
 * `TokenBucket`: the client-side rate limiter every request of a `Client` waits on, as client-go's
 * `flowcontrol.NewTokenBucketRateLimiter(qps, burst)` (default QPS 50, burst 100 here; 0 QPS = unlimited).
 * The bucket holds up to `burst` tokens and refills at `qps` per second. A request that finds the bucket empty
 * reserves the next token (the count goes negative) and sleeps until it is due, so waiters are served in the
 * order they came without a queue of their own (golang.org/x/time/rate's reservations). An aborted wait gives
 * its token back.
 */
import { realClock, type Clock } from '../machinery/index.ts';

export interface RateLimiterConfig {
  /** Requests per second on average; 0 turns limiting off. */
  qps: number;
  /** How many requests may go at once after a quiet spell (at least 1 when qps > 0). */
  burst: number;
  clock?: Clock;
}

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(config: RateLimiterConfig) {
    if (!(config.qps >= 0) || !Number.isFinite(config.qps))
      throw new Error(`client: qps must be a number >= 0, got ${config.qps}`);
    if (config.qps > 0 && !(Number.isInteger(config.burst) && config.burst >= 1)) {
      throw new Error(`client: burst must be an integer >= 1 when qps > 0, got ${config.burst}`);
    }
    this.qps = config.qps;
    this.burst = config.burst;
    this.#clock = config.clock ?? realClock;
    this.#tokens = config.burst;
    this.#last = this.#clock.now();
  }

  /** Resolves when the caller may send its request; rejects with the signal's reason if it aborts first. */
  async wait(signal?: AbortSignal): Promise<void> {
    if (this.qps === 0) return;
    if (signal?.aborted) throw signal.reason;
    const now = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const delayMs = Math.ceil((-this.#tokens * 1000) / this.qps);
    try {
      await this.#clock.sleep(delayMs, signal);
    } catch (err) {
      this.#tokens += 1;
      throw err;
    }
  }
}
