/**
 * `ResourceClient<T>`: the verbs of one resource (in one namespace, or across all), mapped onto Kubernetes'
 * REST paths: get, list, create, update, patch, delete, watch, the `status` subresource and named
 * subresources (`binding`, `eviction`, `ephemeralcontainers`, ...).
 */
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import type { IListMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ListMeta';
import type { IncomingMessage } from 'node:http';
import type { Transport } from './transport.ts';
import type { InProcessReads } from './in-process.ts';
import type { Status } from './errors.ts';
import { watchStream, type WatchEvent, type WatchOptions } from './watch.ts';

/** What the client needs to know about a resource; api's `ResourceInfo` has these fields (and more). */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  kind?: string;
}

/** Any Kubernetes object as the client sees it. */
export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: IObjectMeta;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: IListMeta;
  items: T[];
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const patchContentType: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface CallOptions {
  signal?: AbortSignal;
}

export interface WriteOptions extends CallOptions {
  /** `dryRun=All`. */
  dryRun?: boolean;
  fieldManager?: string;
  /** `Strict` | `Warn` | `Ignore`. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take fields owned by other managers. */
  force?: boolean;
}

export interface ListOptions extends CallOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface DeleteOptions extends CallOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  dryRun?: boolean;
}

export interface SubresourceCallOptions extends CallOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
}

export interface SubresourceClient {
  get<R = unknown>(name: string, opts?: SubresourceCallOptions): Promise<R>;
  /** GET answered as text (`pods/log`). */
  getText(name: string, opts?: SubresourceCallOptions): Promise<string>;
  /** GET read as a stream (`pods/log?follow=true`); the caller reads the body, `signal` ends it. */
  stream(name: string, opts?: SubresourceCallOptions): Promise<IncomingMessage>;
  create<R = unknown>(name: string, body: unknown, opts?: WriteOptions): Promise<R>;
  update<R = unknown>(name: string, body: unknown, opts?: WriteOptions): Promise<R>;
  patch<R = unknown>(name: string, patch: unknown, type?: PatchType, opts?: PatchOptions): Promise<R>;
}

export class ResourceClient<T extends KubeObjectLike = KubeObjectLike> {
  readonly resource: ResourceRef;
  /** The namespace this client is bound to; `undefined` means all namespaces for list/watch. */
  readonly namespace: string | undefined;
  readonly #transport: Transport;

  constructor(transport: Transport, resource: ResourceRef, namespace?: string) {
    this.#transport = transport;
    this.resource = resource;
    this.namespace = resource.namespaced ? namespace : undefined;
  }

  /** Reads answered by the API server of this process (informers use them), when the client has them. */
  get inProcess(): InProcessReads | undefined {
    return this.#transport.inProcess;
  }

  /** The collection path (`/api/v1/namespaces/ns/pods`) or, with a name, the object's path. */
  path(name?: string, subresource?: string, namespace = this.namespace): string {
    const r = this.resource;
    let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${r.plural}`;
    if (name !== undefined) {
      if (!name) throw new Error(`client: ${r.plural}: empty name`);
      if (r.namespaced && !namespace) throw new Error(`client: ${r.plural} ${name}: a namespace is required`);
      p += `/${encodeURIComponent(name)}`;
    }
    if (subresource) p += `/${subresource}`;
    return p;
  }

  async get(name: string, opts: CallOptions = {}): Promise<T> {
    return this.#transport.request<T>({ method: 'GET', path: this.path(name), signal: opts.signal });
  }

  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const list = await this.#transport.request<ObjectList<T>>({
      method: 'GET',
      path: this.path(),
      query: {
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
    });
    // Items in a list carry no kind; fill it in so objects from list and watch look alike (event recorders,
    // owner references and printers need it).
    const kind = list.kind?.replace(/List$/, '');
    list.items ??= [];
    list.metadata ??= {};
    for (const item of list.items) {
      item.apiVersion ??= list.apiVersion;
      if (kind) item.kind ??= kind;
    }
    return list;
  }

  /** Lists every page (following `continue`) and returns one list with the last page's metadata. */
  async listAll(opts: Omit<ListOptions, 'continue'> = {}): Promise<ObjectList<T>> {
    const first = await this.list(opts);
    let page = first;
    while (page.metadata.continue) {
      page = await this.list({ ...opts, continue: page.metadata.continue });
      first.items.push(...page.items);
    }
    first.metadata = { ...page.metadata, continue: undefined };
    return first;
  }

  async create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#transport.request<T>({
      method: 'POST',
      path: this.path(undefined, undefined, this.#nsOf(obj)),
      query: writeQuery(opts),
      body: obj,
      signal: opts.signal,
    });
  }

  async update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#transport.request<T>({
      method: 'PUT',
      path: this.path(this.#nameOf(obj), undefined, this.#nsOf(obj)),
      query: writeQuery(opts),
      body: obj,
      signal: opts.signal,
    });
  }

  async updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#transport.request<T>({
      method: 'PUT',
      path: this.path(this.#nameOf(obj), 'status', this.#nsOf(obj)),
      query: writeQuery(opts),
      body: obj,
      signal: opts.signal,
    });
  }

  async patch(name: string, patch: unknown, type: PatchType = 'merge', opts: PatchOptions = {}): Promise<T> {
    return this.#patch(this.path(name), patch, type, opts);
  }

  async patchStatus(name: string, patch: unknown, type: PatchType = 'merge', opts: PatchOptions = {}): Promise<T> {
    return this.#patch(this.path(name, 'status'), patch, type, opts);
  }

  /** Deletes; resolves with what the server answers (the object while it terminates gracefully, or a Status). */
  async delete(name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.dryRun) body.dryRun = ['All'];
    return this.#transport.request<T | Status>({ method: 'DELETE', path: this.path(name), body, signal: opts.signal });
  }

  /**
   * Watches the collection: an async iterable of `{ type, object }`, one per line of the server's stream. It
   * ends when `signal` aborts or the server closes the stream; an `ERROR` event throws its Status as
   * `ApiError` (410 → `isGone`, the caller lists again).
   */
  watch(opts: WatchOptions = {}, signal?: AbortSignal): AsyncIterable<WatchEvent<T>> {
    return watchStream<T>(this.#transport, this.path(), opts, signal);
  }

  /** A named subresource of objects of this resource: `pods.subresource('binding').create('web', binding)`. */
  subresource(sub: string): SubresourceClient {
    const t = this.#transport;
    return {
      get: async <R>(name: string, opts: SubresourceCallOptions = {}) =>
        t.request<R>({ method: 'GET', path: this.path(name, sub), query: opts.query, signal: opts.signal }),
      getText: async (name: string, opts: SubresourceCallOptions = {}) =>
        t.requestText({ method: 'GET', path: this.path(name, sub), query: opts.query, signal: opts.signal }),
      stream: async (name: string, opts: SubresourceCallOptions = {}) =>
        t.stream({ method: 'GET', path: this.path(name, sub), query: opts.query, signal: opts.signal }, '*/*'),
      create: async <R>(name: string, body: unknown, opts: WriteOptions = {}) =>
        t.request<R>({ method: 'POST', path: this.path(name, sub), query: writeQuery(opts), body, signal: opts.signal }),
      update: async <R>(name: string, body: unknown, opts: WriteOptions = {}) =>
        t.request<R>({ method: 'PUT', path: this.path(name, sub), query: writeQuery(opts), body, signal: opts.signal }),
      patch: async <R>(name: string, patch: unknown, type: PatchType = 'merge', opts: PatchOptions = {}) =>
        this.#patch(this.path(name, sub), patch, type, opts) as unknown as Promise<R>,
    };
  }

  async #patch(path: string, patch: unknown, type: PatchType, opts: PatchOptions): Promise<T> {
    if (type === 'apply' && !opts.fieldManager) throw new Error('client: apply patches need a fieldManager');
    return this.#transport.request<T>({
      method: 'PATCH',
      path,
      query: { ...writeQuery(opts), force: opts.force ? 'true' : undefined },
      body: patch,
      contentType: patchContentType[type],
      signal: opts.signal,
    });
  }

  #nsOf(obj: T): string | undefined {
    if (!this.resource.namespaced) return undefined;
    const ns = this.namespace ?? obj.metadata?.namespace;
    if (!ns) throw new Error(`client: ${this.resource.plural}: a namespace is required (client or metadata.namespace)`);
    return ns;
  }

  #nameOf(obj: T): string {
    const name = obj.metadata?.name;
    if (!name) throw new Error(`client: ${this.resource.plural}: object has no metadata.name`);
    return name;
  }
}

function writeQuery(opts: WriteOptions): Record<string, string | undefined> {
  return {
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    fieldValidation: opts.fieldValidation,
  };
}
