/**
 * One copy of each repeated string value in the watch cache's objects. JSON.parse makes a new string for
 * every value, so 10,000 pods held 37,000 copies of "busybox:1.35", 50,000 of "True" and 20,000 of the
 * service-account mount path: duplicates were 28 MiB of 47 MiB of strings (~2.8 KiB a pod). Each cached
 * object's short strings are swapped for the first instance seen of the same value; the table is bounded
 * and simply starts over when full (values that every object carries are back in it at once, and the old
 * instances stay shared by the objects that have them).
 */

/** Values longer than this are mostly unique (messages, annotations): not worth a table slot. */
const MAX_LENGTH = 64;

export class StringInterner {
  readonly #table = new Map<string, string>();
  readonly #capacity: number;
  readonly #maxLength: number;

  /** `maxLength`: longer strings are not shared (managed fields' texts are, in a table of their own). */
  constructor(capacity = 50_000, maxLength = MAX_LENGTH) {
    this.#capacity = capacity;
    this.#maxLength = maxLength;
  }

  /** How many values the table holds. */
  get size(): number {
    return this.#table.size;
  }

  /** The shared instance of `s`. */
  string(s: string): string {
    if (s.length > this.#maxLength) return s;
    const shared = this.#table.get(s);
    if (shared !== undefined) return shared;
    if (this.#table.size >= this.#capacity) this.#table.clear();
    this.#table.set(s, s);
    return s;
  }

  /** Swaps the string values in `value` (a JSON-like object not yet shared or frozen) for shared ones, in place. */
  values<T>(value: T): T {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === 'string') value[i] = this.string(v);
        else if (v !== null && typeof v === 'object') this.values(v);
      }
      return value;
    }
    const o = value as Record<string, unknown>;
    for (const k in o) {
      const v = o[k];
      if (typeof v === 'string') o[k] = this.string(v);
      else if (v !== null && typeof v === 'object') this.values(v);
    }
    return value;
  }
}
