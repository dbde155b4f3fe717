/**
 * Keyed exponential back-off with the kubelet's `flowcontrol.Backoff` semantics. Each key has a delay that
 * starts at `initialMs` and doubles on every `next()` up to `maxMs`. An entry that saw no `next()` for more
 * than 2 × maxMs counts as stable and starts again from `initialMs`. With 10 s and 5 min this is
 * CrashLoopBackOff: 10 s, 20 s, 40 s … 5 min, and back to 10 s once a container ran for 10 minutes.
 *
 *   next(k) ──▶ delay = initial (new or expired entry) | min(2·delay, max); lastUpdate = now
 *   isInBackOffSince(k, t) = entry live && now − t < delay
 */
import { realClock, type Clock } from './clock.ts';

export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
  /** Adds up to `factor × delay` of random extra to each step (0, the default, adds none). */
  jitterFactor?: number;
  clock?: Clock;
  random?: () => number;
}

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  #jitterFactor: number;
  #clock: Clock;
  #random: () => number;
  #entries = new Map<string, Entry>();

  constructor(config: BackoffConfig) {
    if (!(config.initialMs > 0)) throw new Error(`backoff initialMs must be > 0, got ${config.initialMs}`);
    if (!(config.maxMs >= config.initialMs))
      throw new Error(`backoff maxMs (${config.maxMs}) must be >= initialMs (${config.initialMs})`);
    this.initialMs = config.initialMs;
    this.maxMs = config.maxMs;
    this.#jitterFactor = config.jitterFactor ?? 0;
    this.#clock = config.clock ?? realClock;
    this.#random = config.random ?? Math.random;
  }

  /**
   * Records a failure of `key` at `eventTime` (default now) and returns its new delay. `eventTime` decides
   * whether the old entry expired (idle for more than 2 × max): then the delay starts again at initial.
   */
  next(key: string, eventTime: number = this.#clock.now()): number {
    const entry = this.#entries.get(key);
    let delayMs: number;
    if (!entry || this.#expired(entry, eventTime)) {
      delayMs = this.initialMs + this.#jitter(this.initialMs);
    } else {
      delayMs = Math.min(entry.delayMs * 2 + this.#jitter(entry.delayMs), this.maxMs);
    }
    this.#entries.set(key, { delayMs, lastUpdate: this.#clock.now() });
    return delayMs;
  }

  /** The current delay of `key` (0 when it has none). */
  get(key: string): number {
    return this.#entries.get(key)?.delayMs ?? 0;
  }

  /** True while less than the key's delay has passed since `eventTime` (e.g. the container's finish time). */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(entry, eventTime)) return false;
    return this.#clock.now() - eventTime < entry.delayMs;
  }

  /** True while `eventTime` is within the key's delay after its last `next()`. */
  isInBackOffSinceUpdate(key: string, eventTime: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(entry, eventTime)) return false;
    return eventTime - entry.lastUpdate < entry.delayMs;
  }

  /** Forgets `key`: its next failure starts from initial again. */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Drops entries idle for more than 2 × max, so keys of long-gone pods do not pile up. */
  gc(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) if (this.#expired(entry, now)) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #expired(entry: Entry, eventTime: number): boolean {
    // Stable if nothing failed for twice the maximum delay.
    return eventTime - entry.lastUpdate > 2 * this.maxMs;
  }

  #jitter(ms: number): number {
    return this.#jitterFactor > 0 ? this.#random() * this.#jitterFactor * ms : 0;
  }
}
