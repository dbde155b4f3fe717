/**
 * EtcdStore: the Store contract on a real etcd cluster (v3 API through the `etcd3` package), for clusters and
 * for several API servers sharing one state. etcd already is this model (one global revision, per-key
 * create/mod revisions, compare-and-swap transactions, watch from a revision, compaction), so every method
 * is one etcd call, shaped like the apiserver's etcd3 store:
 *
 *   create  txn(mod_revision(key) = 0)         then put, else range
 *   update  txn(mod_revision(key) = expected)  then put (prev_kv), else range
 *   delete  txn(mod_revision(key) = expected)  then delete (prev_kv), else range
 *
 * `prefix` puts every key under a namespace (the apiserver's --etcd-prefix), so stores can share a cluster;
 * revisions stay cluster-wide. Watches always ask etcd for prev_kv, so delete events carry the last value.
 * etcd3 reconnects a broken watch stream from its last revision by itself; a watch etcd cancels (its start
 * revision was compacted) ends with 'Compacted'.
 */
import { Etcd3, type IKeyValue, type IResponseHeader } from 'etcd3';
import { Doorbell } from '../../machinery/index.ts';
import { StoreError, isStoreError } from '../errors.ts';
import type { CasResult, KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from '../store.ts';

export interface EtcdStoreConfig {
  /** Client URLs, e.g. ['http://127.0.0.1:2379']. */
  endpoints: string[];
  /** Namespace for every key (default none). */
  prefix?: string;
  /** Milliseconds to wait for a connection (default 5000). */
  dialTimeoutMs?: number;
  /** Undelivered events a slow watcher may hold before it is ended with 'Compacted'. */
  maxPendingEvents?: number;
}

export class EtcdStore implements Store {
  #client: Etcd3;
  #prefix: string;
  #maxPending: number;
  #closed = false;
  #watches = new Set<{ end: (err: StoreError) => void }>();

  constructor(config: EtcdStoreConfig) {
    if (config.endpoints.length === 0) throw new Error('EtcdStore needs at least one endpoint');
    this.#prefix = config.prefix ?? '';
    this.#maxPending = config.maxPendingEvents ?? 10_000;
    this.#client = new Etcd3({
      hosts: config.endpoints,
      dialTimeout: config.dialTimeoutMs ?? 5_000,
      grpcOptions: {
        // gRPC's 4 MiB default would fail a list of a few thousand pods; the apiserver lifts it the same way.
        'grpc.max_receive_message_length': -1,
        // HTTP/2 flow control: grpc-js keeps the 64 KiB window (grpc-go, upstream's client, grows its window
        // with the bandwidth-delay product). Every watch event crosses the one connection, and a window that
        // small needs a WINDOW_UPDATE from this busy event loop every ten pod events: under load the watch
        // caches fell seconds behind etcd (watch lag p50 5.5 s with a busy loop, 67 ms with 16 MiB).
        'grpc-node.flow_control_window': 16 * 1024 * 1024,
      },
    });
  }

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    const res = await this.#call(key, () =>
      this.#client.kv.range({ key: this.#key(key), revision: options.revision || undefined }),
    );
    return res.kvs[0] && this.#kv(res.kvs[0]);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const start = options.startAfter !== undefined && options.startAfter >= prefix ? `${options.startAfter}\0` : prefix;
    const res = await this.#call(prefix, () =>
      this.#client.kv.range({
        key: this.#key(start),
        range_end: this.#rangeEnd(prefix),
        revision: options.revision || undefined,
        limit: options.limit && options.limit > 0 ? options.limit : undefined,
      }),
    );
    return {
      kvs: res.kvs.map((kv) => this.#kv(kv)),
      revision: options.revision || Number(res.header.revision),
      more: res.more,
    };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.#call(prefix, () =>
      this.#client.kv.range({ key: this.#key(prefix), range_end: this.#rangeEnd(prefix), count_only: true }),
    );
    return Number(res.count);
  }

  async create(key: string, value: Uint8Array): Promise<CasResult> {
    if (key === '') throw new TypeError('store keys must not be empty');
    const k = this.#key(key);
    const res = await this.#call(key, () =>
      this.#client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }],
        success: [{ request_put: { key: k, value: Buffer.from(value) } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) return this.#lost(res.responses[0]?.response_range.kvs);
    const rev = Number(res.header.revision);
    return { ok: true, kv: { key, value, createRevision: rev, modRevision: rev } };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<CasResult> {
    // mod_revision 0 would match a missing key and turn the update into a create.
    if (!(expectedModRevision > 0)) return { ok: false, current: await this.get(key) };
    const k = this.#key(key);
    const res = await this.#call(key, () =>
      this.#client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
        success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) return this.#lost(res.responses[0]?.response_range.kvs);
    const prev = res.responses[0]!.response_put.prev_kv;
    const rev = Number(res.header.revision);
    return { ok: true, kv: { key, value, createRevision: Number(prev!.create_revision), modRevision: rev } };
  }

  async delete(key: string, expectedModRevision?: number): Promise<CasResult> {
    const k = this.#key(key);
    if (expectedModRevision !== undefined && !(expectedModRevision > 0))
      return { ok: false, current: await this.get(key) };
    const res = await this.#call(key, () =>
      this.#client.kv.txn({
        compare:
          expectedModRevision === undefined
            ? []
            : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) return this.#lost(res.responses[0]?.response_range.kvs);
    const prev = res.responses[0]!.response_delete_range.prev_kvs[0];
    if (!prev) return { ok: false, current: undefined };
    return { ok: true, kv: { ...this.#kv(prev), modRevision: Number(res.header.revision) } };
  }

  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent[]> {
    return this.#watch(prefix, options);
  }

  async currentRevision(): Promise<number> {
    const res = await this.#call('', () =>
      this.#client.kv.range({ key: this.#key(''), range_end: this.#rangeEnd(''), count_only: true }),
    );
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    // etcd refuses a future revision; the other backends compact to the newest one.
    const target = Math.min(revision, await this.currentRevision());
    try {
      await this.#call('', () => this.#client.kv.compact({ revision: target, physical: true }));
    } catch (err) {
      // Compacting to a revision at or below the last compaction is a no-op, as in the other backends.
      if (!isStoreError(err, 'Compacted')) throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#watches) w.end(new StoreError('Closed', ''));
    this.#watches.clear();
    this.#client.close();
  }

  async *#watch(prefix: string, { afterRevision, signal, prevKv = false }: WatchOptions): AsyncGenerator<WatchEvent[]> {
    if (this.#closed) throw new StoreError('Closed', prefix);
    if (signal.aborted) return;
    // etcd accepts a watch from the compacted revision itself; check first so every backend agrees.
    if (afterRevision > 0) {
      try {
        await this.#call(prefix, () =>
          this.#client.kv.range({ key: this.#key(prefix), revision: afterRevision, count_only: true }),
        );
      } catch (err) {
        if (isStoreError(err, 'Compacted') || isStoreError(err, 'Closed')) throw err;
        // A future revision is fine: the watch waits for it.
      }
    }
    if (this.#closed) throw new StoreError('Closed', prefix);
    const bell = new Doorbell();
    let pending: WatchEvent[] = [];
    let error: StoreError | undefined;
    const end = (err: StoreError) => {
      error ??= err;
      bell.ring();
    };
    const handle = { end };
    this.#watches.add(handle);
    const watcher = this.#client
      .watch()
      .prefix(this.#key(prefix))
      .startRevision(String(afterRevision + 1))
      .withPreviousKV()
      .watcher();
    watcher.on('data', (res) => {
      for (const e of res.events) {
        const prev = e.prev_kv ? this.#kv(e.prev_kv) : undefined;
        if (e.type === 'Delete') {
          const kv: KeyValue = {
            key: this.#unkey(e.kv.key),
            value: prev?.value ?? new Uint8Array(),
            createRevision: prev?.createRevision ?? 0,
            modRevision: Number(e.kv.mod_revision),
          };
          pending.push(prevKv ? { type: 'delete', kv, prevKv: prev } : { type: 'delete', kv });
        } else {
          const kv = this.#kv(e.kv);
          pending.push(prevKv && prev ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv });
        }
      }
      if (pending.length > this.#maxPending) {
        pending = [];
        end(
          new StoreError('Compacted', prefix, {
            message: `watch of ${JSON.stringify(prefix)} fell behind; list again`,
          }),
        );
      }
      bell.ring();
    });
    // etcd cancels a watch whose start revision was compacted meanwhile (etcd3 reports it as an error).
    watcher.on('error', (err) =>
      end(
        new StoreError('Compacted', prefix, {
          cause: err,
          message: `watch of ${JSON.stringify(prefix)} canceled by etcd: ${err.message}`,
        }),
      ),
    );
    try {
      for (;;) {
        if (signal.aborted) return;
        if (pending.length > 0) {
          const batch = pending;
          pending = [];
          yield batch;
          continue;
        }
        if (error) throw error;
        try {
          await bell.wait(signal);
        } catch {
          return;
        }
      }
    } finally {
      this.#watches.delete(handle);
      await watcher.cancel().catch(() => {});
    }
  }

  /** Runs one etcd call, turning its failures into StoreErrors. */
  async #call<T extends { header: IResponseHeader }>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError('Closed', key);
    try {
      return await fn();
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (/compacted/i.test(message)) throw new StoreError('Compacted', key, { cause: err, message });
      throw new StoreError(this.#closed ? 'Closed' : 'Unavailable', key, { cause: err, message: `etcd: ${message}` });
    }
  }

  #lost(kvs: IKeyValue[] | undefined): CasResult {
    return { ok: false, current: kvs?.[0] && this.#kv(kvs[0]) };
  }

  #kv(kv: IKeyValue): KeyValue {
    return {
      key: this.#unkey(kv.key),
      value: new Uint8Array(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  /** The etcd key; an empty one (the start of an unnamespaced range over everything) becomes "\0". */
  #key(key: string): Buffer {
    const k = this.#prefix + key;
    return k === '' ? Buffer.from([0]) : Buffer.from(k);
  }

  #unkey(key: Buffer): string {
    return key.toString('utf8').slice(this.#prefix.length);
  }

  /** The end of the range of keys starting with `prefix` (inside the namespace): etcd's prefix range_end. */
  #rangeEnd(prefix: string): Buffer {
    const start = Buffer.from(this.#prefix + prefix);
    for (let i = start.length - 1; i >= 0; i--) {
      if (start[i]! < 0xff) {
        const end = Buffer.from(start.subarray(0, i + 1));
        end[i] = start[i]! + 1;
        return end;
      }
    }
    return Buffer.from([0]); // every key: etcd reads "\0" as "no end"
  }
}
