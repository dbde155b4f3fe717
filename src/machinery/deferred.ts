/**
 * A promise with its resolve and reject in hand. Start order comes from these readiness promises, not sleeps
 * (k3s's ETCDReady → APIServerReady).
 */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;
  #settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (v) => {
        this.#settled = true;
        resolve(v);
      };
      this.reject = (e) => {
        this.#settled = true;
        reject(e);
      };
    });
    // A readiness promise nobody awaited yet must not crash the process when it rejects.
    this.promise.catch(() => {});
  }

  get settled(): boolean {
    return this.#settled;
  }
}
