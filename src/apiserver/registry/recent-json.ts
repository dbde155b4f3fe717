/**
 * The JSON of the objects a registry wrote or sent to watchers in the last few seconds, and of no others.
 *
 * A write's JSON is made once (spliced from its stored bytes) and serves the write's response, every watcher
 * of its event (one encoding per event for all of them, as upstream's cachingObject) and often the next update
 * of the object, which starts from a parse of it; all of that happens within moments of the write. Keeping the
 * JSON of every cached object for good cost ~3.6 KB a pod outside the V8 heap (a third of a cached pod, 360 MiB
 * at 100,000 pods) to spare lists a JSON.stringify per object, which upstream does on every list too. So the
 * JSON lives in two generations of weak maps: the young one turns old after `windowMs` or `maxEntries` entries,
 * whichever comes first (a burst of writes must not keep seconds of them), and the old one is then dropped; an
 * entry read while old moves back to the young generation. Whatever falls out is made again when asked for.
 * The objects themselves are held by nothing here.
 *
 *   generation:  ── n-1 ──┼── n ──┼── n+1 ──
 *   young:                │ set(o)│
 *   old:                  │       │ get(o) finds it (and moves it back to young)
 *   gone:                 │       │          when n+1 turns, unless read again
 */
import type { Clock } from '../../machinery/index.ts';
import type { KubeObject } from '../../api/index.ts';

export interface RecentJsonConfig {
  clock: Clock;
  /** How long a generation stays young at most. */
  windowMs?: number;
  /** How many entries a generation takes at most before it turns old. */
  maxEntries?: number;
}

export class RecentJson {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #maxEntries: number;
  #youngEntries = 0;
  #young = new WeakMap<KubeObject, Buffer>();
  #old = new WeakMap<KubeObject, Buffer>();
  #turnedAt: number;

  constructor(config: RecentJsonConfig) {
    this.#clock = config.clock;
    this.#windowMs = config.windowMs ?? 5_000;
    this.#maxEntries = config.maxEntries ?? 1_000;
    this.#turnedAt = this.#clock.now();
  }

  /** The object's JSON if it was kept or read within the last window or two. */
  get(obj: KubeObject): Buffer | undefined {
    this.#turn();
    const young = this.#young.get(obj);
    if (young !== undefined) return young;
    const old = this.#old.get(obj);
    if (old !== undefined) {
      this.#old.delete(obj);
      this.#add(obj, old);
    }
    return old;
  }

  set(obj: KubeObject, json: Buffer): void {
    this.#turn();
    this.#add(obj, json);
  }

  #add(obj: KubeObject, json: Buffer): void {
    if (this.#youngEntries >= this.#maxEntries) this.#turnOld(true);
    this.#young.set(obj, json);
    this.#youngEntries++;
  }

  has(obj: KubeObject): boolean {
    return this.get(obj) !== undefined;
  }

  #turn(): void {
    const elapsed = this.#clock.now() - this.#turnedAt;
    // After two windows without a call nothing is recent any more.
    if (elapsed >= this.#windowMs) this.#turnOld(elapsed < 2 * this.#windowMs);
  }

  #turnOld(keepYoung: boolean): void {
    this.#old = keepYoung ? this.#young : new WeakMap();
    this.#young = new WeakMap();
    this.#youngEntries = 0;
    this.#turnedAt = this.#clock.now();
  }
}
