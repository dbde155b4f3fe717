/**
 * A zone's queue of nodes waiting for a NoExecute taint, drained through a token bucket (upstream's
 * RateLimitedTimedQueue with a flowcontrol token bucket of burst 1). `add` keeps first-come order and ignores
 * nodes already queued; `drain` hands out nodes while tokens last. A rate of 0 hands out nothing. Time comes
 * from the caller, so tests drive it with a fake clock.
 */
export class TokenBucket {
  #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  get rate(): number {
    return this.#rate;
  }

  /** Changes the rate (a new bucket, full, as upstream swaps limiters; rate 0 never accepts). */
  setRate(rate: number, now: number): void {
    if (rate === this.#rate) return;
    this.#rate = rate;
    this.#tokens = rate > 0 ? this.#burst : 0;
    this.#last = now;
  }

  tryAccept(now: number): boolean {
    if (this.#rate <= 0) return false;
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    // Refills add up in small fractions (0.1 per 10 s at 0.01/s); allow for their rounding.
    if (this.#tokens < 1 - 1e-9) return false;
    this.#tokens -= 1;
    return true;
  }
}

export class RateLimitedQueue {
  readonly limiter: TokenBucket;
  readonly #items: string[] = [];

  constructor(rate: number, now: number) {
    this.limiter = new TokenBucket(rate, 1, now);
  }

  add(name: string): void {
    if (!this.#items.includes(name)) this.#items.push(name);
  }

  remove(name: string): boolean {
    const i = this.#items.indexOf(name);
    if (i >= 0) this.#items.splice(i, 1);
    return i >= 0;
  }

  has(name: string): boolean {
    return this.#items.includes(name);
  }

  clear(): void {
    this.#items.length = 0;
  }

  get length(): number {
    return this.#items.length;
  }

  /**
   * Hands the queued nodes, in order, to `process` while the bucket has tokens. `process` returns false to
   * keep a node queued (a failed write): the drain stops there and the node is tried again on the next one.
   */
  async drain(now: number, process: (name: string) => Promise<boolean>): Promise<void> {
    while (this.#items.length > 0) {
      if (!this.limiter.tryAccept(now)) return;
      const name = this.#items[0]!;
      const done = await process(name).catch(() => false);
      if (!done) return;
      this.remove(name);
    }
  }
}
