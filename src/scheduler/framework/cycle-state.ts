/**
 * Per-cycle scratch space: a PreFilter computes something once per pod (its requests, its host ports) and
 * the Filter and Score calls for every node read it. A new `CycleState` is made for each scheduling attempt.
 */
export class CycleState {
  #data = new Map<string, unknown>();

  write(key: string, value: unknown): void {
    this.#data.set(key, value);
  }

  /** The value a PreFilter wrote; throws when it is missing (the PreFilter did not run: a framework bug). */
  read<T>(key: string): T {
    if (!this.#data.has(key)) throw new Error(`cycle state: ${key} not found (did its PreFilter run?)`);
    return this.#data.get(key) as T;
  }

  has(key: string): boolean {
    return this.#data.has(key);
  }
}
