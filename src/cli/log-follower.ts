/**
 * Follows container logs through the API (`GET pods/{name}/log?follow=true&container=c`), printing each line
 * with a `[pod/container]` prefix. One stream per container start: when a container restarts, its next run is
 * followed anew (the previous stream ends when the container exits).
 */
import type { Pod } from '../api/index.ts';
import type { Client } from '../client/index.ts';

export class LogFollower {
  readonly #client: Client;
  readonly #write: (line: string) => void;
  readonly #signal: AbortSignal;
  readonly #started = new Set<string>();
  readonly #streams = new Set<Promise<void>>();

  constructor(client: Client, write: (line: string) => void, signal: AbortSignal) {
    this.#client = client;
    this.#write = write;
    this.#signal = signal;
  }

  /** Starts following every container of `pod` that has started and is not followed yet. */
  observe(pod: Pod): void {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const cs of statuses) {
      const started = cs.state?.running ?? cs.state?.terminated;
      if (!started) continue;
      const key = `${pod.metadata?.uid}/${cs.name}/${cs.restartCount ?? 0}`;
      if (this.#started.has(key)) continue;
      this.#started.add(key);
      const p = this.#follow(pod, cs.name).finally(() => this.#streams.delete(p));
      this.#streams.add(p);
    }
  }

  /** Resolves when every stream ended (they end when their containers exit or the signal aborts). */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#streams]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  async #follow(pod: Pod, container: string): Promise<void> {
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const prefix = `[${name}/${container}] `;
    try {
      const res = await this.#client.resource('pods', ns).subresource('log').stream(name, { query: { container, follow: true }, signal: this.#signal });
      res.setEncoding('utf8');
      let buffered = '';
      for await (const chunk of res) {
        buffered += chunk as string;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          this.#write(prefix + buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      }
      if (buffered) this.#write(prefix + buffered);
    } catch (err) {
      if (this.#signal.aborted) return;
      this.#write(`${prefix}(logs unavailable: ${(err as Error).message})`);
    }
  }
}
