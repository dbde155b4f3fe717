/**
 * TransformingStore: a Store over another Store that transforms values on the way in and out (upstream's
 * etcd3 store with its `value.Transformer`): encryption at rest under every backend (sqlite, etcd, memory).
 * `transformerFor(key)` picks the transformer of the resource a key belongs to; keys it gives none are passed
 * through untouched. Reads, lists, compare-and-swap results and watch events all come back as the caller wrote
 * them, so the watch cache and lists see plaintext; a value read by any but the writing provider comes back
 * with `stale` set, so the registry rewrites it on update even when the object is unchanged (key rotation).
 * The store key is the transformer's authenticated data, as upstream uses the etcd key.
 *
 * A value no transformer can read is an error naming the key, never its bytes: upstream's
 * `unable to transform key "<key>": <reason>`.
 */
import type { Transformer } from './encrypt/index.ts';
import type { CasResult, KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from './store.ts';

export interface TransformingStoreConfig {
  store: Store;
  /** The transformer for a key, or undefined to keep its value as it is. */
  transformerFor: (key: string) => Transformer | undefined;
}

export class TransformingStore implements Store {
  readonly #store: Store;
  readonly #transformerFor: (key: string) => Transformer | undefined;

  constructor(config: TransformingStoreConfig) {
    this.#store = config.store;
    this.#transformerFor = config.transformerFor;
  }

  #in(key: string, value: Uint8Array): Uint8Array {
    const t = this.#transformerFor(key);
    return t ? t.toStorage(value, Buffer.from(key)) : value;
  }

  #out(kv: KeyValue): KeyValue;
  #out(kv: KeyValue | undefined): KeyValue | undefined;
  #out(kv: KeyValue | undefined): KeyValue | undefined {
    if (!kv) return kv;
    const t = this.#transformerFor(kv.key);
    if (!t) return kv;
    let result;
    try {
      result = t.fromStorage(kv.value, Buffer.from(kv.key));
    } catch (err) {
      throw new Error(`unable to transform key ${JSON.stringify(kv.key)}: ${(err as Error).message}`, { cause: err });
    }
    const out: KeyValue = { ...kv, value: result.data };
    if (result.stale) out.stale = true;
    return out;
  }

  #cas(r: CasResult): CasResult {
    return r.ok ? { ok: true, kv: this.#out(r.kv) } : { ok: false, current: this.#out(r.current) };
  }

  async get(key: string, options?: { revision?: number }): Promise<KeyValue | undefined> {
    return this.#out(await this.#store.get(key, options));
  }

  async list(prefix: string, options?: ListOptions): Promise<ListResult> {
    const r = await this.#store.list(prefix, options);
    return { ...r, kvs: r.kvs.map((kv) => this.#out(kv)) };
  }

  count(prefix: string): Promise<number> {
    return this.#store.count(prefix);
  }

  async create(key: string, value: Uint8Array): Promise<CasResult> {
    return this.#cas(await this.#store.create(key, this.#in(key, value)));
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<CasResult> {
    return this.#cas(await this.#store.update(key, this.#in(key, value), expectedModRevision));
  }

  async delete(key: string, expectedModRevision?: number): Promise<CasResult> {
    return this.#cas(await this.#store.delete(key, expectedModRevision));
  }

  async *watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent[]> {
    for await (const batch of this.#store.watch(prefix, options)) {
      yield batch.map((e) => {
        const ev: WatchEvent = { type: e.type, kv: this.#out(e.kv) };
        if (e.prevKv) ev.prevKv = this.#out(e.prevKv);
        return ev;
      });
    }
  }

  currentRevision(): Promise<number> {
    return this.#store.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.#store.compact(revision);
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
