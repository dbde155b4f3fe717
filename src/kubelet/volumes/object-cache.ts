/**
 * Configmaps and secrets as the kubelet reads them for volumes and env, behind a short-lived cache (upstream's
 * `Cache` change-detection strategy: a TTL cache in front of GETs).
 *
 * Why: a pod start reads its namespace's kube-root-ca.crt two or three times (volume set-up, the remount on
 * its next sync, env). Thirty pods started together made ninety GETs, which spent the kubelet's API tokens
 * (QPS 50, burst 100) that its status writes then waited for: "Ready" reached the API seconds late. Here
 * concurrent reads of one object share one GET, and an answer is reused for `ttlMs` (default 1 s, far under
 * the minute upstream allows for a change to reach a running pod). Failures are not kept: a missing object
 * is asked for again next time, so one created later is seen at once.
 */
import { realClock, type Clock } from '../../machinery/index.ts';

export class ObjectCache<T> {
  #get: (namespace: string, name: string) => Promise<T>;
  #clock: Clock;
  #ttlMs: number;
  #entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(get: (namespace: string, name: string) => Promise<T>, options: { clock?: Clock; ttlMs?: number } = {}) {
    this.#get = get;
    this.#clock = options.clock ?? realClock;
    this.#ttlMs = options.ttlMs ?? 1000;
  }

  /** The object, from a GET started at most `ttlMs` ago or a new one; a copy the caller may change. */
  async get(namespace: string, name: string): Promise<T> {
    const key = `${namespace}/${name}`;
    const now = this.#clock.now();
    let e = this.#entries.get(key);
    if (!e || now - e.at >= this.#ttlMs) {
      const value = this.#get(namespace, name);
      const entry = { at: now, value };
      e = entry;
      this.#entries.set(key, entry);
      value.catch(() => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      });
      // Expired entries go when read again; this drops the ones nobody reads again.
      if (this.#entries.size > 1000) for (const [k, v] of this.#entries) if (now - v.at >= this.#ttlMs) this.#entries.delete(k);
    }
    return structuredClone(await e.value);
  }
}
