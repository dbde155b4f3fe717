/**
 * A size-1 notification, like Go's `make(chan struct{}, 1)`: `ring()` never blocks and rings coalesce; one
 * `wait()` consumes one ring. The status manager and pod workers use it to say "there is work" to their
 * single owning loop, which then reads the shared state itself (the ring carries no data).
 */
export class Doorbell {
  #rung = false;
  #waiters: { resolve: () => void; reject: (e: unknown) => void; cleanup: () => void }[] = [];

  /** Wakes one waiter, or leaves the bell rung for the next `wait()`. Rings while rung are merged. */
  ring(): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.cleanup();
      waiter.resolve();
    } else {
      this.#rung = true;
    }
  }

  /** Resolves at once if rung (and clears it), else at the next ring; rejects with the signal's reason. */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#rung) {
      this.#rung = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      };
      const waiter = { resolve, reject, cleanup: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** True when a ring is pending (no waiter took it yet). */
  get rung(): boolean {
    return this.#rung;
  }
}
