/**
 * The generic registry (apiserver's `registry/generic/registry.Store`): create, get, list, update, patch and
 * delete of one resource's objects, kept as JSON in the Store under `/registry/<resource>/<namespace>/<name>`.
 * resourceVersion is the store's mod revision (never stored inside the JSON); writes are compare-and-swap on it,
 * so a stale resourceVersion is a 409 Conflict and a lost race on an unconditional write is retried.
 *
 * What differs per resource lives in its Strategy; admission runs between defaulting and validation, as in
 * the real request path: decode → default → mutating admission → prepare → validate → validating admission → store.
 */
import type { User } from '../auth/tokens.ts';
import { isDeepStrictEqual } from 'node:util';
import type { KeyValue, Store } from '../../storage/index.ts';
import type { DeleteOptions, KubeObject, ObjectMeta, ResourceInfo } from '../../api/index.ts';
import { applyDefaults, invalid as invalidField, setZeroTimes } from '../../api/index.ts';
import { newUid, realClock, type Clock } from '../../machinery/index.ts';
import type { Strategy } from './strategy.ts';
import type { AdmissionChain, Operation } from '../admission/chain.ts';
import { WatchCache } from '../watch-cache.ts';
import { stringifyCached } from '../managed-fields-text.ts';
import { RecentJson } from './recent-json.ts';
import { FieldManager } from '../field-manager.ts';
import type { FieldType } from '../../api/index.ts';
import { checkObjectSize } from '../limits/object-size.ts';
import { exceedsDepth, tooDeep } from '../limits/json-depth.ts';
import { finalizersOnDelete } from './gc-finalizers.ts';
import { ApiError, alreadyExists, badRequest, conflict, expired, invalid, notFound, qualified as qualifiedName, type FieldCause, type QualifiedResource } from '../status.ts';

export interface WriteOptions {
  dryRun?: boolean;
  /** Name of the subresource being written (`status`, `ephemeralcontainers`), '' for the object itself. */
  subresource?: string;
  /** The authenticated user, for admission. */
  user?: string;
  /** Where admission adds the request's warnings and audit annotations (the request context's). */
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  /** The same user with its groups (RBAC's escalation check); absent for the server's own writes. */
  userInfo?: User;
  /** The user's groups (NodeRestriction tells nodes by `system:nodes`; CSRs record them). */
  groups?: string[];
  /**
   * The field manager of a request's create, update or patch, tracked in metadata.managedFields as its
   * `Update`; absent for the server's own bookkeeping writes and for applies (whose handler sets managedFields).
   */
  fieldManager?: string;
}

export interface ListOptions {
  /** Keeps only objects that match (label and field selectors). */
  filter?: (obj: KubeObject) => boolean;
  limit?: number;
  continueToken?: string;
  /** '0': any recent state is fine (served from the watch cache). */
  resourceVersion?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
}

export interface RegistryConfig {
  strategy: Strategy;
  store: Store;
  admission: AdmissionChain;
  clock?: Clock;
  watchCacheCapacity?: number;
  /**
   * Serve lists without a resourceVersion (consistent reads) from the watch cache once it has caught up with
   * this registry's own last write, as Kubernetes' ConsistentListFromCache does. Sound only while this server
   * is the store's single writer (sqlite, memory); with a shared etcd upstream asks etcd for progress instead.
   * Default true.
   */
  consistentListFromCache?: boolean;
  /** Where a failed afterDelete hook is reported (logged by the server). */
  onHookError?: (err: unknown) => void;
  /**
   * The apiVersion objects are stored with when it is not the served one (a custom resource's non-storage
   * version: conversion None changes only apiVersion, on the way in and out).
   */
  storageApiVersion?: string;
  /** The type server-side apply tracks fields with; default the kind's (custom resources bring their schema's). */
  fieldType?: FieldType;
}

const RANDOM_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** utilrand.String(n): the suffix of generateName and the kube-api-access volume. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += RANDOM_ALPHABET[Math.floor(Math.random() * RANDOM_ALPHABET.length)];
  return s;
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function timestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Every write stamps a time or two, mostly in the same second as the last.
  if (second !== lastStamp.second) {
    lastStamp.second = second;
    lastStamp.text = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastStamp.text;
}

const lastStamp = { second: NaN, text: '' };

function clone<T>(v: T): T {
  return structuredClone(v);
}

function withoutVolatile(obj: KubeObject): KubeObject {
  const c = { ...obj, metadata: { ...obj.metadata } };
  delete c.metadata.resourceVersion;
  return c;
}

function specOf(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** What an update starts from: the object now, a copy of it for mutate, its revision. */
interface UpdateState {
  /** Never mutated (the watch cache's object is shared). */
  old: KubeObject;
  copy: () => KubeObject;
  rev: number;
  /** Read by another than the writing encryption provider: written again even when unchanged. */
  stale: boolean;
  /** From the watch cache, which may be behind the store. */
  cached: boolean;
  /** What a try from the cache's state decided that only the store's state can confirm. */
  decided?: 'conflict' | 'unchanged';
  /** Set once the try hands its write to the store. */
  writing?: boolean;
}

interface ContinueToken {
  rv: number;
  start: string;
}

/**
 * `b` in memory of its own. Small Buffers are slices of shared slabs (Buffer.poolSize), and a slab lives as long
 * as any slice of it: JSON kept for a while pinned whole slabs of short-lived request bytes (133 MiB of slabs
 * with 5,000 pods when every cached object kept its JSON; still ~40 MiB for the recent ones alone).
 */
function unpooled(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}

/**
 * `obj`, or a copy of it the registry may change. The watch cache's objects are shared and frozen once an
 * in-process reader has them, and a caller in this process may build what it writes from one (`{ ...cached,
 * status }`): the registry sets metadata, defaults and the like on what it writes, so it takes a copy then.
 */
function writable(obj: KubeObject): KubeObject {
  if (Object.isFrozen(obj) || Object.values(obj).some((v) => typeof v === 'object' && v !== null && Object.isFrozen(v))) return structuredClone(obj);
  return obj;
}

export class GenericRegistry {
  readonly info: ResourceInfo;
  readonly strategy: Strategy;
  readonly cache: WatchCache;
  readonly qualified: QualifiedResource;
  /** metadata.managedFields for this resource's writes (server-side apply). */
  readonly fieldManager: FieldManager;
  readonly #store: Store;
  readonly #admission: AdmissionChain;
  readonly #clock: Clock;
  readonly #prefix: string;

  constructor(config: RegistryConfig) {
    this.strategy = config.strategy;
    this.info = config.strategy.info;
    this.qualified = { group: this.info.group, resource: this.info.plural };
    this.#store = config.store;
    this.#admission = config.admission;
    this.#clock = config.clock ?? realClock;
    const clock = this.#clock;
    this.#json = new RecentJson({ clock });
    this.fieldManager = new FieldManager({ info: this.info, hasStatusSubresource: this.strategy.hasStatusSubresource, now: () => clock.now(), ...(config.fieldType ? { type: config.fieldType } : {}) });
    this.#prefix = this.info.group ? `/registry/${this.info.group}/${this.info.plural}/` : `/registry/${this.info.plural}/`;
    this.#consistentFromCache = config.consistentListFromCache ?? true;
    this.#onHookError = config.onHookError;
    this.#storageApiVersion = config.storageApiVersion ?? this.info.groupVersion;
    this.cache = new WatchCache({
      store: this.#store,
      prefix: this.#prefix,
      decode: (kv) => this.#written(kv) ?? this.decode(kv),
      capacity: config.watchCacheCapacity,
    });
  }

  readonly #consistentFromCache: boolean;
  readonly #onHookError: ((err: unknown) => void) | undefined;
  readonly #storageApiVersion: string;
  /** The revision of this registry's newest store write: a consistent read must see at least this. */
  #lastWrite = 0;

  #wrote(kv: KeyValue): KeyValue {
    if (kv.modRevision > this.#lastWrite) this.#lastWrite = kv.modRevision;
    return kv;
  }

  /** The JSON of objects written or watched in the last seconds (recent-json.ts). */
  readonly #json: RecentJson;

  /** The JSON of an object just written: its stored bytes with the new resourceVersion (one stringify per write). */
  #keepJson(obj: KubeObject, kv: KeyValue, bytes: Uint8Array): void {
    // A watcher may have asked for it already (the cache can take the object before the write resolves).
    if (!this.#json.has(obj)) this.#json.set(obj, unpooled(this.rawJson({ ...kv, value: bytes })));
  }

  /**
   * A cached or written object's JSON, as the write that made it and watches send it: made once and shared
   * while the object is recent (its write's response, every watcher of its event, the update that follows),
   * then let go. Objects the registry and cache hand out are never mutated, so the bytes stay right.
   */
  objectJson(obj: KubeObject): Buffer {
    let j = this.#json.get(obj);
    if (j === undefined) {
      const text = stringifyCached(obj);
      j = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
      j.write(text);
      this.#json.set(obj, j);
    }
    return j;
  }

  /**
   * An object's JSON for a list or a read: the recent one when there is one, else made for this response
   * alone (a list of every pod keeps nothing, as upstream encodes every list).
   */
  listJson(obj: KubeObject): Buffer | string {
    return this.#json.get(obj) ?? stringifyCached(obj);
  }

  /**
   * Whether a list without a resourceVersion may come from the watch cache: it must have seen this
   * registry's last write (waits briefly for the cache to catch up).
   */
  async #cacheIsConsistent(): Promise<boolean> {
    if (!this.#consistentFromCache || !this.cache.isReady) return false;
    const want = this.#lastWrite;
    await this.cache.waitFor(want, 3000);
    return this.cache.revision >= want;
  }

  /**
   * Objects this registry is writing, by the bytes it hands the store, so the watch cache takes each object
   * instead of parsing the same bytes again. The memory and sqlite stores give a watch the very bytes they
   * were given (a transformer or etcd gives new ones: those are parsed). The event usually arrives before
   * the write's own caller resumes, so the object is registered before the write, without a resourceVersion;
   * whichever comes first sets it. Objects handed out by the registry and the cache are never mutated after.
   */
  readonly #writing = new WeakMap<Uint8Array, KubeObject>();

  #remember(kv: KeyValue, obj: KubeObject): KubeObject {
    // The cache may have taken (and set) it already, and handed it out frozen to an in-process reader.
    const rv = String(kv.modRevision);
    if (obj.metadata!.resourceVersion !== rv) obj.metadata!.resourceVersion = rv;
    return obj;
  }

  /** The object written as `kv` (a put of bytes this registry wrote), with its resourceVersion; else undefined. */
  #written(kv: KeyValue): KubeObject | undefined {
    const obj = this.#writing.get(kv.value);
    if (!obj) return undefined;
    this.#writing.delete(kv.value);
    const meta = obj.metadata!;
    const rv = String(kv.modRevision);
    // A delete event carries the last value's bytes: its object is no longer the one written.
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== rv) return undefined;
    meta.resourceVersion = rv;
    return obj;
  }

  get prefix(): string {
    return this.#prefix;
  }

  key(namespace: string, name: string): string {
    return this.info.namespaced ? `${this.#prefix}${namespace}/${name}` : `${this.#prefix}${name}`;
  }

  /** Where a namespace's objects (or, with '', all objects) live. */
  listPrefix(namespace: string): string {
    return this.info.namespaced && namespace ? `${this.#prefix}${namespace}/` : this.#prefix;
  }

  decode(kv: KeyValue): KubeObject {
    // A view of the bytes, not a copy of them.
    let obj = JSON.parse(Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString('utf8')) as KubeObject;
    if (this.strategy.conversion) obj = this.strategy.conversion.fromStorage(obj);
    obj.apiVersion = this.info.groupVersion;
    obj.kind = this.info.kind;
    (obj.metadata ??= {}).resourceVersion = String(kv.modRevision);
    return obj;
  }

  /**
   * Stored form: JSON with apiVersion, kind and metadata first and no resourceVersion, so `rawJson` can put
   * the revision back by splicing bytes instead of parsing (lists of thousands of objects).
   */
  encode(obj: KubeObject): Uint8Array {
    const conversion = this.strategy.conversion;
    const { apiVersion: _a, kind: _k, metadata, ...rest } = conversion ? conversion.toStorage(obj) : obj;
    const { resourceVersion: _rv, ...meta } = metadata ?? {};
    const apiVersion = conversion?.storageVersion ?? this.#storageApiVersion;
    return Buffer.from(JSON.stringify({ apiVersion, kind: this.info.kind, metadata: meta, ...rest }));
  }

  /**
   * The bytes to write under `key`, within the limits every backend shares: nesting (a patch can deepen an
   * object) and etcd's request size (413 `etcdserver: request is too large`).
   */
  #storable(key: string, obj: KubeObject): Uint8Array {
    if (exceedsDepth(obj)) throw tooDeep(`${qualifiedName(this.qualified)} "${obj.metadata?.name ?? ''}" could not be stored`);
    const bytes = this.encode(obj);
    checkObjectSize(key, bytes);
    // The write's revision is its resourceVersion, set by whichever of the write and its watch event comes first.
    delete obj.metadata!.resourceVersion;
    this.#writing.set(bytes, obj);
    return bytes;
  }

  /** The object's JSON with its resourceVersion, straight from the stored bytes when they have our layout. */
  rawJson(kv: KeyValue): Buffer {
    const value = Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength);
    const prefix = this.#rawPrefix;
    if (value.length > prefix.length + 1 && value.subarray(0, prefix.length).equals(prefix) && value[prefix.length] !== 0x7d /* } */) {
      return Buffer.concat([prefix, Buffer.from(`"resourceVersion":"${kv.modRevision}",`), value.subarray(prefix.length)]);
    }
    return Buffer.from(JSON.stringify(this.decode(kv)));
  }

  get #rawPrefix(): Buffer {
    return (this.#prefixBytes ??= Buffer.from(`{"apiVersion":${JSON.stringify(this.info.groupVersion)},"kind":${JSON.stringify(this.info.kind)},"metadata":{`));
  }

  #prefixBytes: Buffer | undefined;

  /**
   * An unfiltered page of the store as JSON items (no parsing): what informers and `kubectl get -o json` ask
   * for most. Same paging and continue tokens as `list`.
   */
  async listRaw(namespace: string, options: Pick<ListOptions, 'limit' | 'continueToken'> = {}): Promise<{ items: Buffer[]; resourceVersion: string; continueToken?: string }> {
    const prefix = this.listPrefix(namespace);
    const { revision, start } = listStart(prefix, options.continueToken);
    const page = await this.#storePage(prefix, revision, options.limit && options.limit > 0 ? options.limit : 0, start);
    const result: { items: Buffer[]; resourceVersion: string; continueToken?: string } = { items: page.kvs.map((kv) => this.rawJson(kv)), resourceVersion: String(page.revision) };
    const last = page.kvs[page.kvs.length - 1];
    if (page.more && last) result.continueToken = encodeContinue({ rv: page.revision, start: last.key.slice(prefix.length) });
    return result;
  }

  /** One page of the store at `revision` (0: now); a compacted revision is the 410 of an expired continue token. */
  async #storePage(prefix: string, revision: number, limit: number, startAfter: string | undefined) {
    try {
      return await this.#store.list(prefix, { revision, limit, startAfter });
    } catch (err) {
      if ((err as { code?: string }).code === 'Compacted') {
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      throw err;
    }
  }

  #invalid(obj: KubeObject, errors: FieldCause[]): ApiError {
    return invalid(this.info.kind, this.info.group, obj.metadata?.name ?? '', errors);
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    const kv = await this.#store.get(this.key(namespace, name));
    if (!kv) throw notFound(this.qualified, name);
    return this.decode(kv);
  }

  /** An object's JSON straight from the store (spliced, never parsed): a plain GET. */
  async getJson(namespace: string, name: string): Promise<Buffer> {
    const kv = await this.#store.get(this.key(namespace, name));
    if (!kv) throw notFound(this.qualified, name);
    return this.rawJson(kv);
  }

  async tryGet(namespace: string, name: string): Promise<KubeObject | undefined> {
    const kv = await this.#store.get(this.key(namespace, name));
    return kv ? this.decode(kv) : undefined;
  }

  async list(namespace: string, options: ListOptions = {}): Promise<ListResult> {
    const filter = options.filter ?? (() => true);
    const prefix = this.listPrefix(namespace);
    const cached = await this.listFromCache(namespace, options);
    if (cached) return cached;
    let { revision, start } = listStart(prefix, options.continueToken);
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let more = false;
    for (;;) {
      const page = await this.#storePage(prefix, revision, limit ? Math.max(limit - items.length, 100) : 0, start);
      revision = page.revision;
      let i = 0;
      for (; i < page.kvs.length && (!limit || items.length < limit); i++) {
        const kv = page.kvs[i]!;
        lastKey = kv.key;
        const obj = this.decode(kv);
        if (filter(obj)) items.push(obj);
      }
      const leftOnPage = i < page.kvs.length;
      if (limit && items.length >= limit) {
        more = leftOnPage || page.more;
        break;
      }
      if (!page.more) break;
      start = page.kvs[page.kvs.length - 1]!.key;
    }
    const result: ListResult = { items, resourceVersion: String(revision) };
    if (more && lastKey) result.continueToken = encodeContinue({ rv: revision, start: lastKey.slice(prefix.length) });
    return result;
  }

  /**
   * Lists from the watch cache where the real apiserver answers from its cache: resourceVersion=0 without a
   * continue token (any recent state; the limit is ignored, as upstream does), and a consistent read (no
   * resourceVersion) once the cache has caught up with this registry's writes (ConsistentListFromCache).
   * Paged consistent reads (`limit`, then `continue`) come from the cache too while it still holds the state
   * of the first page's revision (no change since): the same snapshot the store would read at that revision
   * (upstream 1.32 reads them from etcd; 1.33's ListFromCacheSnapshot from the cache), without decoding every
   * object again (`kubectl get` pages by 500). Other lists, and pages whose revision the cache has moved past,
   * read the store. Returns undefined when the store must answer.
   */
  async listFromCache(namespace: string, options: ListOptions = {}): Promise<ListResult | undefined> {
    if (!this.cache.isReady) return undefined;
    const prefix = this.listPrefix(namespace);
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    const rv = options.resourceVersion ?? '';
    if (options.continueToken) {
      if (rv !== '') return undefined;
      const token = decodeContinue(options.continueToken);
      if (this.cache.lastChange > token.rv || this.cache.revision < token.rv) return undefined;
      return this.#cachePage(prefix, prefix + token.start, limit, token.rv, options.filter);
    }
    if (rv === '0') {
      // Cached objects are shared and never mutated, so they are served without copying.
      const { items, revision } = this.cache.listSorted(prefix);
      return { items: options.filter ? items.filter(options.filter) : items, resourceVersion: String(revision) };
    }
    if (rv !== '' || !(await this.#cacheIsConsistent())) return undefined;
    if (limit) return this.#cachePage(prefix, undefined, limit, this.cache.revision, options.filter);
    const { items, revision } = this.cache.listSorted(prefix);
    return { items: options.filter ? items.filter(options.filter) : items, resourceVersion: String(revision) };
  }

  /** A page of the cache as the list at `revision`, with the continue token for the next one. */
  #cachePage(prefix: string, startAfter: string | undefined, limit: number, revision: number, filter: ListOptions['filter']): ListResult {
    const page = this.cache.page(prefix, startAfter, limit || Infinity, filter);
    const result: ListResult = { items: page.items, resourceVersion: String(revision) };
    if (page.more && page.lastKey) result.continueToken = encodeContinue({ rv: revision, start: page.lastKey.slice(prefix.length) });
    return result;
  }

  /** Stamps a new object's metadata (BeforeCreate): name from generateName, uid, creationTimestamp, generation. */
  #prepareMetadata(obj: KubeObject, namespace: string): void {
    const meta = (obj.metadata ??= {}) as ObjectMeta & Record<string, unknown>;
    if (this.info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace || meta.namespace;
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    meta.uid = newUid();
    meta.creationTimestamp = timestamp(this.#clock.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (this.strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
  }

  /** Creates an object; takes ownership of `obj` (callers pass a freshly decoded or built object). */
  async create(namespace: string, input: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const obj = writable(input);
    obj.apiVersion = this.info.groupVersion;
    obj.kind = this.info.kind;
    // Admission names a generated object by its generateName, as upstream's errors do (`pods "web-7d4b9-" is
    // forbidden: ...`): there the name is made after admission.
    const admissionName = obj.metadata?.name || obj.metadata?.generateName;
    this.#prepareMetadata(obj, namespace);
    const name = obj.metadata!.name ?? '';
    if (!name) {
      throw this.#invalid(obj, [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    }
    applyDefaults(this.info, obj);
    this.strategy.decode?.(obj);
    // Zero timestamps are null from here on, as in upstream's decoded Go object (managedFields list them too).
    setZeroTimes(this.info, obj);
    // Upstream tracks the decoded, defaulted object before admission: what admission adds is nobody's.
    if (options.fieldManager !== undefined) this.fieldManager.update(undefined, obj, options.fieldManager, options.subresource ?? '');
    await this.#admission.admit(this.#attrs('CREATE', obj, undefined, namespace, options, admissionName));
    this.strategy.prepareForCreate(obj);
    // And in what admission and prepareForCreate added (a gated pod's PodScheduled condition).
    setZeroTimes(this.info, obj);
    const errors = this.strategy.validate(obj);
    if (errors.length) throw this.#invalid(obj, errors);
    await this.#admission.validate(this.#attrs('CREATE', obj, undefined, namespace, options, admissionName));
    if (this.strategy.beginCreate && (await this.tryGet(namespace, name))) throw alreadyExists(this.qualified, name);
    const finish = await this.strategy.beginCreate?.(obj, options.dryRun ?? false);
    if (options.dryRun) {
      await finish?.(true);
      return obj;
    }
    let r: Awaited<ReturnType<Store['create']>>;
    let bytes: Uint8Array;
    try {
      const key = this.key(namespace, name);
      bytes = this.#storable(key, obj);
      r = await this.#store.create(key, bytes);
    } catch (err) {
      await finish?.(false);
      throw err;
    }
    await finish?.(r.ok);
    if (!r.ok) throw alreadyExists(this.qualified, name);
    this.#wrote(r.kv);
    this.#keepJson(obj, r.kv, bytes);
    return this.#remember(r.kv, obj);
  }

  #attrs(operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined, namespace: string, options: WriteOptions, name?: string) {
    return {
      operation,
      resource: this.info,
      subresource: options.subresource ?? '',
      namespace: this.info.namespaced ? namespace : '',
      name: name ?? (object ?? oldObject)?.metadata?.name ?? '',
      object,
      oldObject,
      dryRun: options.dryRun ?? false,
      user: options.user ?? '',
      warnings: options.warnings,
      auditAnnotations: options.auditAnnotations,
      ...(options.userInfo ? { userInfo: options.userInfo } : {}),
      groups: options.groups ?? [],
    };
  }

  /**
   * Replaces an object (PUT), or the part a subresource owns. `input.metadata.resourceVersion`, when set, must
   * be current (409 otherwise); when unset the write is unconditional and retried on a lost race.
   */
  async update(namespace: string, name: string, input: KubeObject, options: WriteOptions = {}): Promise<{ object: KubeObject; created: boolean }> {
    const inputMeta = input.metadata ?? {};
    if (inputMeta.name && inputMeta.name !== name) {
      throw badRequest(`the name of the object (${inputMeta.name}) does not match the name on the URL (${name})`);
    }
    if (this.info.namespaced && inputMeta.namespace && namespace && inputMeta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return this.guaranteedUpdate(namespace, name, options, () => input, inputMeta.resourceVersion);
  }

  /**
   * Read-modify-write with compare-and-swap: `mutate` gets the current object (a copy) and returns the desired
   * one. With `expectedRv` set, a mismatch is a 409; otherwise a lost race re-reads and calls `mutate` again.
   *
   * The first try starts from the watch cache's copy of the object, as upstream's cacher hands GuaranteedUpdate
   * its cached object: no store read and no parse of the old object. The cache may be behind the store; the
   * compare-and-swap on the cached resourceVersion then fails and the next try reads the store. What the cached
   * state alone decides (a resourceVersion mismatch, a failure in mutate, admission or validation, a no-op
   * write) is answered only once the store confirms that state is its newest; else the store's state decides.
   */
  async guaranteedUpdate(
    namespace: string,
    name: string,
    options: WriteOptions,
    mutate: (current: KubeObject | undefined) => KubeObject | Promise<KubeObject>,
    expectedRv?: string,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cached = attempt === 0 && !options.dryRun ? this.#cachedState(key) : undefined;
      if (!cached) {
        const result = await this.#tryUpdate(key, await this.#storedState(key), namespace, name, options, mutate, expectedRv);
        if (result) return result;
        if (expectedRv !== undefined && expectedRv !== '') throw conflict(this.qualified, name);
        if (attempt > 50) throw conflict(this.qualified, name);
        continue;
      }
      let result: { object: KubeObject; created: boolean } | undefined;
      try {
        result = await this.#tryUpdate(key, cached, namespace, name, options, mutate, expectedRv);
      } catch (err) {
        // A failure decided on the cache's state stands if that state is the store's; else the store's decides.
        // A failure once the write went to the store is the write's own.
        if (cached.writing || (await this.#isCurrent(key, cached))) throw err;
        continue;
      }
      if (result) return result;
      if (cached.decided && (await this.#isCurrent(key, cached))) {
        // A conflict or no-op decided on the cache's state, which is the store's.
        if (cached.decided === 'conflict') throw conflict(this.qualified, name);
        return { object: cached.old, created: false };
      }
    }
  }

  /** Whether the store's newest state of `key` is `state`'s (and not stale: that must be written again). */
  async #isCurrent(key: string, state: UpdateState): Promise<boolean> {
    const kv = await this.#store.get(key);
    return kv !== undefined && kv.modRevision === state.rev && !kv.stale;
  }

  /** The watch cache's object under `key` as the state to update from, when the cache is running. */
  #cachedState(key: string): UpdateState | undefined {
    if (!this.cache.isReady) return undefined;
    const obj = this.cache.get(key);
    if (!obj) return undefined;
    return {
      old: obj,
      // The cached object is shared: mutate gets a parse of its JSON (usually still there from its write and
      // watch events).
      copy: () => {
        const json = this.listJson(obj);
        return JSON.parse(typeof json === 'string' ? json : json.toString('utf8')) as KubeObject;
      },
      rev: Number(obj.metadata?.resourceVersion ?? 0),
      stale: false,
      cached: true,
    };
  }

  async #storedState(key: string): Promise<UpdateState | undefined> {
    const kv = await this.#store.get(key);
    if (!kv) return undefined;
    // mutate gets its own copy of the stored object and returns the desired object, which is ours to change.
    // A second parse of the bytes is that copy, at about a third of structuredClone's cost.
    return { old: this.decode(kv), copy: () => this.decode(kv), rev: kv.modRevision, stale: Boolean(kv.stale), cached: false };
  }

  /**
   * One try of guaranteedUpdate from `state`: the result, or undefined when the compare-and-swap lost (or, from
   * the cache, when the store must confirm the decision).
   */
  async #tryUpdate(
    key: string,
    state: UpdateState | undefined,
    namespace: string,
    name: string,
    options: WriteOptions,
    mutate: (current: KubeObject | undefined) => KubeObject | Promise<KubeObject>,
    expectedRv: string | undefined,
  ): Promise<{ object: KubeObject; created: boolean } | undefined> {
    if (!state) {
      if (!this.strategy.allowCreateOnUpdate || options.subresource) throw notFound(this.qualified, name);
      const desired = await mutate(undefined);
      const created = await this.create(namespace, { ...desired, metadata: { ...desired.metadata, name } }, options);
      return { object: created, created: true };
    }
    const old = state.old;
    if (expectedRv !== undefined && expectedRv !== '' && expectedRv !== String(state.rev)) {
      if (!state.cached) throw conflict(this.qualified, name);
      state.decided = 'conflict';
      return undefined;
    }
    const obj = writable(await mutate(state.copy()));
    obj.apiVersion = this.info.groupVersion;
    obj.kind = this.info.kind;
    const metaErrors = this.#keepMetadata(obj, old, namespace, name);
    if (metaErrors.length) throw this.#invalid(obj, metaErrors);
    const sub = options.subresource ?? '';
    let errors: FieldCause[];
    if (sub === 'status') {
      // An apply to status brings its own managedFields (the field manager made them); the rest of metadata is the stored one.
      const applied = options.fieldManager === undefined ? obj.metadata?.managedFields : undefined;
      this.strategy.prepareForStatusUpdate(obj, old);
      if (applied) obj.metadata!.managedFields = applied;
      applyDefaults(this.info, obj);
      this.strategy.decode?.(obj);
      // Zero timestamps are null, as in create (a status patch's `lastProbeTime: null` deleted the field).
      setZeroTimes(this.info, obj);
      if (options.fieldManager !== undefined) this.fieldManager.update(old, obj, options.fieldManager, sub);
      await this.#admission.admit(this.#attrs('UPDATE', obj, old, namespace, options));
      setZeroTimes(this.info, obj);
      errors = this.strategy.validateStatusUpdate(obj, old);
    } else {
      applyDefaults(this.info, obj);
      this.strategy.decode?.(obj);
      if (!sub) this.strategy.prepareForUpdate(obj, old);
      else this.strategy.prepareForSubresourceUpdate?.(sub, obj, old);
      setZeroTimes(this.info, obj);
      if (options.fieldManager !== undefined) this.fieldManager.update(old, obj, options.fieldManager, sub);
      await this.#admission.admit(this.#attrs('UPDATE', obj, old, namespace, options));
      setZeroTimes(this.info, obj);
      // Other subresources (binding, ephemeralcontainers, finalize) change one field, which their handler
      // checked with the rule for that subresource; the main update's immutability rules do not apply.
      errors = sub ? (this.strategy.validateSubresourceUpdate?.(sub, obj, old) ?? []) : this.strategy.validateUpdate(obj, old);
    }
    if (errors.length) throw this.#invalid(obj, errors);
    await this.#admission.validate(this.#attrs('UPDATE', obj, old, namespace, options));
    if (this.strategy.tracksGeneration && !isDeepStrictEqual(specOf(obj), specOf(old))) {
      obj.metadata!.generation = (old.metadata?.generation ?? 0) + 1;
    }
    // Removing the last finalizer of an object being deleted finishes the deletion.
    const finishing = Boolean(obj.metadata?.deletionTimestamp) && !this.strategy.finalizing(obj) && this.#finishesOnEmptyFinalizers(obj);
    // A stale value (read with an old key or before encryption) is written again even when unchanged, as
    // upstream's GuaranteedUpdate does: that is how `kubectl replace` re-encrypts with the current key. A
    // no-op decided on the cache's state is confirmed on the store's (which also knows staleness).
    if (isDeepStrictEqual(withoutVolatile(obj), withoutVolatile(old)) && !finishing && !state.stale) {
      if (!state.cached) return { object: old, created: false };
      state.decided = 'unchanged';
      return undefined;
    }
    const finish = !sub && !finishing ? await this.strategy.beginUpdate?.(obj, old, options.dryRun ?? false) : undefined;
    if (options.dryRun) {
      await finish?.(true);
      return { object: obj, created: false };
    }
    if (finishing) {
      state.writing = true;
      const d = await this.#store.delete(key, state.rev);
      if (!d.ok) return undefined;
      await this.#afterDelete(old);
      return { object: this.decode(this.#wrote(d.kv)), created: false };
    }
    let r: Awaited<ReturnType<Store['update']>>;
    let bytes: Uint8Array;
    try {
      bytes = this.#storable(key, obj);
      state.writing = true;
      r = await this.#store.update(key, bytes, state.rev);
    } catch (err) {
      await finish?.(false);
      throw err;
    }
    await finish?.(r.ok);
    if (!r.ok) return undefined;
    this.#keepJson(obj, this.#wrote(r.kv), bytes);
    return { object: this.#remember(r.kv, obj), created: false };
  }

  /** The strategy's afterDelete; a failure only leaks what the repair pass frees later, so the DELETE stands. */
  async #afterDelete(obj: KubeObject): Promise<void> {
    try {
      await this.strategy.afterDelete?.(obj);
    } catch (err) {
      this.#onHookError?.(err);
    }
  }

  #finishesOnEmptyFinalizers(obj: KubeObject): boolean {
    // A pod waiting for its kubelet (grace period > 0) stays until the kubelet deletes it.
    const grace = obj.metadata?.deletionGracePeriodSeconds ?? 0;
    return grace === 0 || this.info.plural !== 'pods' || !(obj.spec as { nodeName?: string } | undefined)?.nodeName;
  }

  /**
   * BeforeUpdate's metadata rules: identity and creation data come from the stored object. A body that names
   * another object is refused rather than silently retargeted (a status patch carrying a deleted pod's uid must
   * not land on the pod that now has its name): another name or namespace is checkName's 400 (update() checks
   * the same for PUT bodies before reading), another uid ValidateObjectMetaUpdate's 422, returned as causes.
   * An empty uid keeps the stored one; creationTimestamp is taken from the stored object as BeforeUpdate does.
   */
  #keepMetadata(obj: KubeObject, old: KubeObject, namespace: string, name: string): FieldCause[] {
    const meta = (obj.metadata ??= {});
    const oldMeta = old.metadata!;
    if (meta.name && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (this.info.namespaced && meta.namespace && namespace && meta.namespace !== namespace) {
      throw badRequest(`the namespace of the object (${meta.namespace}) does not match the namespace on the URL (${namespace})`);
    }
    const errors: FieldCause[] = [];
    if (meta.uid && meta.uid !== oldMeta.uid) errors.push(invalidField('metadata.uid', meta.uid, 'field is immutable'));
    meta.name = name;
    if (this.info.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    meta.uid = oldMeta.uid;
    meta.creationTimestamp = oldMeta.creationTimestamp;
    if (oldMeta.deletionTimestamp) meta.deletionTimestamp = oldMeta.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (oldMeta.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
    else delete meta.generation;
    delete meta.generateName;
    if (oldMeta.generateName) meta.generateName = oldMeta.generateName;
    meta.resourceVersion = oldMeta.resourceVersion;
    return errors;
  }

  /**
   * DELETE: checks preconditions, then either removes the object or, for a graceful delete or an object with
   * finalizers, marks it with deletionTimestamp and leaves it. Returns the object as stored (or last stored).
   */
  async delete(namespace: string, name: string, options: DeleteOptions = {}, write: WriteOptions = {}): Promise<{ object: KubeObject; deleted: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.#store.get(key);
      if (!kv) throw notFound(this.qualified, name);
      const old = this.decode(kv);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== old.metadata?.uid) {
        throw conflict(this.qualified, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata?.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== old.metadata?.resourceVersion) {
        throw conflict(this.qualified, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata?.resourceVersion ?? ''}`);
      }
      await this.#admission.validate(this.#attrs('DELETE', undefined, old, namespace, write));
      const grace = this.strategy.gracePeriodSeconds(old, options);
      const meta = old.metadata!;
      // The garbage collector's finalizers (orphan, foregroundDeletion) as the options ask, before deciding
      // whether the object can go now.
      const gc = finalizersOnDelete(meta.finalizers, options, this.strategy.defaultGarbageCollectionPolicy);
      const updated = clone(old);
      if (gc.finalizers.length) updated.metadata!.finalizers = gc.finalizers;
      else delete updated.metadata!.finalizers;
      if (grace > 0 || this.strategy.finalizing(updated)) {
        // Graceful: mark (or shorten an existing mark) and leave the object to its owner.
        const now = this.#clock.now();
        const currentGrace = meta.deletionGracePeriodSeconds;
        const keepMark = Boolean(meta.deletionTimestamp) && (currentGrace === undefined || currentGrace <= grace);
        if (keepMark && !gc.changed) return { object: old, deleted: false };
        if (!keepMark) {
          updated.metadata!.deletionTimestamp = timestamp(now + grace * 1000);
          updated.metadata!.deletionGracePeriodSeconds = grace;
          this.strategy.markDeleting(updated);
        }
        if (write.dryRun) return { object: updated, deleted: false };
        const r = await this.#store.update(key, this.#storable(key, updated), kv.modRevision);
        if (r.ok) return { object: this.decode(this.#wrote(r.kv)), deleted: false };
        continue;
      }
      if (write.dryRun) return { object: old, deleted: true };
      const r = await this.#store.delete(key, kv.modRevision);
      if (r.ok) {
        await this.#afterDelete(old);
        return { object: this.decode(this.#wrote(r.kv)), deleted: true };
      }
      if (pre?.resourceVersion) throw conflict(this.qualified, name);
      if (attempt > 50) throw conflict(this.qualified, name);
    }
  }

  /** DELETE on the collection: deletes (gracefully where the strategy says so) every object that matches. */
  async deleteCollection(namespace: string, list: ListOptions, options: DeleteOptions = {}, write: WriteOptions = {}): Promise<KubeObject[]> {
    const { items } = await this.list(namespace, { filter: list.filter });
    const out: KubeObject[] = [];
    for (const item of items) {
      try {
        const r = await this.delete(item.metadata!.namespace ?? '', item.metadata!.name!, options, write);
        out.push(r.object);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
    }
    return out;
  }

  async count(namespace: string): Promise<number> {
    return this.#store.count(this.listPrefix(namespace));
  }
}

/** Where a list starts: at the continue token's revision, after its key; without a token, now from the start. */
function listStart(prefix: string, continueToken: string | undefined): { revision: number; start: string | undefined } {
  if (!continueToken) return { revision: 0, start: undefined };
  const token = decodeContinue(continueToken);
  return { revision: token.rv, start: prefix + token.start };
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: unknown; start: unknown };
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token');
    return { rv: t.rv, start: t.start };
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data or incorrect encoding');
  }
}
