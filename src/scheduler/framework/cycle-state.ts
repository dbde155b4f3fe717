/**
 * Per-cycle scratch space: a PreFilter computes something once per pod (its requests, its host ports) and
 * the Filter and Score calls for every node read it. A new `CycleState` is made for each scheduling attempt.
 */
import type { FilterPlugin } from './interface.ts';

export class CycleState {
  #data = new Map<string, unknown>();
  /** The filters this cycle runs (the framework leaves out those whose PreFilter skipped); all when unset. */
  filters: readonly FilterPlugin[] | undefined;

  write(key: string, value: unknown): void {
    this.#data.set(key, value);
  }

  /** The value a PreFilter wrote; throws when it is missing (the PreFilter did not run: a framework bug). */
  read<T>(key: string): T {
    // Filters and scores read their state once per node: one lookup in the common case.
    const v = this.#data.get(key);
    if (v === undefined && !this.#data.has(key)) throw new Error(`cycle state: ${key} not found (did its PreFilter run?)`);
    return v as T;
  }

  has(key: string): boolean {
    return this.#data.has(key);
  }
}
