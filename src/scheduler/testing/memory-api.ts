/**
 * `MemoryApi`: a Kubernetes API for the scheduler that lives in the same process, with no HTTP, TLS, storage,
 * admission or validation: objects in maps, a resourceVersion counter, list, watch (one JSON line per event,
 * as the API server streams them), get, create, delete, merge and strategic patches, and the `binding`
 * subresource (409 when the pod is bound already, as the API server answers). `client()` gives a real
 * `Client` whose requests it answers, so the scheduler runs unchanged: informers, bindings, events and status
 * writes all go through it. What comes out is a fresh copy (JSON), as a real client would decode it.
 *
 * It exists to measure the scheduler alone (bench/scheduler-cycle.ts) and for tests that need many nodes
 * quickly; it is not an API server (no field selectors, no paging, no compaction, no validation).
 */
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { applyMergePatch, applyStrategicMergePatch, resolveResource, type ResourceInfo } from '../../api/index.ts';
import { ApiError, Client, ResourceClient, type KubeObjectLike, type RequestOptions, type ResourceRef } from '../../client/index.ts';
// The client's HTTP layer, replaced here: not part of the client's public surface, as nothing else swaps it.
import { Transport } from '../../client/transport.ts';

type Obj = KubeObjectLike & { metadata: NonNullable<KubeObjectLike['metadata']>; spec?: Record<string, unknown>; [k: string]: unknown };

interface Watcher {
  plural: string;
  namespace: string | undefined;
  stream: PassThrough;
}

/** `/api/v1/namespaces/ns/pods/name/binding` → its parts. */
interface Target {
  plural: string;
  namespace: string | undefined;
  name: string | undefined;
  sub: string | undefined;
}

function parsePath(path: string): Target {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  // api/v1/... or apis/group/version/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return { plural: rest[0]!, namespace, name: rest[1], sub: rest[2] };
}

const failure = (code: number, reason: string, message: string) =>
  new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

const copy = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/** Answers the client's requests from the MemoryApi instead of sending them. */
class MemoryTransport extends Transport {
  readonly #api: MemoryApi;

  constructor(api: MemoryApi) {
    super({ server: 'http://memory.invalid' });
    this.#api = api;
  }

  override async request<R = unknown>(opts: RequestOptions): Promise<R> {
    // A real request never answers in the same tick: callers must not rely on that here either.
    await Promise.resolve();
    if (opts.signal?.aborted) throw opts.signal.reason;
    return this.#api.serve(opts) as R;
  }

  override async requestText(opts: RequestOptions): Promise<string> {
    return JSON.stringify(await this.request(opts));
  }

  override async stream(opts: RequestOptions): Promise<IncomingMessage> {
    await Promise.resolve();
    return this.#api.watch(opts) as unknown as IncomingMessage;
  }

  override close(): void {}
}

/** A Client whose every resource talks to the MemoryApi. */
class MemoryClient extends Client {
  readonly #transport: MemoryTransport;

  constructor(api: MemoryApi) {
    super({ server: 'http://memory.invalid', qps: 0 });
    this.#transport = new MemoryTransport(api);
  }

  override resource<T extends KubeObjectLike = KubeObjectLike>(resource: ResourceRef | ResourceInfo | string, namespace?: string): ResourceClient<T> {
    const ref = typeof resource === 'string' ? resolveResource(resource) : resource;
    if (!ref) throw new Error(`memory api: unknown resource ${String(resource)}`);
    return new ResourceClient<T>(this.#transport, ref, namespace);
  }

  override request<R = unknown>(opts: RequestOptions): Promise<R> {
    return this.#transport.request<R>(opts);
  }

  override with(): Client {
    return this;
  }
}

export class MemoryApi {
  /** plural → `ns/name` → object. */
  readonly #objects = new Map<string, Map<string, Obj>>();
  readonly #watchers = new Set<Watcher>();
  #rv = 1;
  #uid = 0;
  /** Counts of what was asked, by `METHOD plural[/sub]`: what a benchmark reports as API calls. */
  readonly calls = new Map<string, number>();
  /** Told of every binding the API accepted (pod, node). */
  onBind: ((pod: Obj, nodeName: string) => void) | undefined;

  client(): Client {
    return new MemoryClient(this);
  }

  /** The stored objects of a resource (not copies: read only). */
  list(plural: string): Obj[] {
    return [...(this.#objects.get(plural)?.values() ?? [])];
  }

  get(plural: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.#objects.get(plural)?.get(`${namespace ?? ''}/${name}`);
  }

  /** Creates or replaces an object as the API server would store it (uid, resourceVersion), and tells watchers. */
  put<T extends KubeObjectLike>(plural: string, obj: T): T {
    const o = copy(obj) as unknown as Obj;
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    let coll = this.#objects.get(plural);
    if (!coll) this.#objects.set(plural, (coll = new Map()));
    const existing = coll.get(key);
    o.metadata.uid ??= existing?.metadata.uid ?? `uid-${++this.#uid}`;
    o.metadata.creationTimestamp ??= existing?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    o.metadata.resourceVersion = String(++this.#rv);
    coll.set(key, o);
    this.#emit(plural, existing ? 'MODIFIED' : 'ADDED', o);
    return o as unknown as T;
  }

  remove(plural: string, namespace: string | undefined, name: string): Obj | undefined {
    const key = `${namespace ?? ''}/${name}`;
    const o = this.#objects.get(plural)?.get(key);
    if (!o) return undefined;
    this.#objects.get(plural)!.delete(key);
    o.metadata.resourceVersion = String(++this.#rv);
    this.#emit(plural, 'DELETED', o);
    return o;
  }

  /** Ends every watch (the informers' loops see their streams end; stop them with their signals first). */
  close(): void {
    for (const w of this.#watchers) w.stream.end();
    this.#watchers.clear();
  }

  #emit(plural: string, type: string, o: Obj): void {
    let line: string | undefined;
    for (const w of this.#watchers) {
      if (w.plural !== plural || (w.namespace && w.namespace !== o.metadata.namespace)) continue;
      line ??= `${JSON.stringify({ type, object: o })}\n`;
      w.stream.write(line);
    }
  }

  #count(method: string, t: Target): void {
    const k = `${method} ${t.plural}${t.sub ? `/${t.sub}` : ''}`;
    this.calls.set(k, (this.calls.get(k) ?? 0) + 1);
  }

  /** A watch from now (informers watch from the resourceVersion of the list they just made, which is now here). */
  watch(opts: RequestOptions): PassThrough {
    const t = parsePath(opts.path);
    const stream = new PassThrough();
    const w: Watcher = { plural: t.plural, namespace: t.namespace, stream };
    this.#watchers.add(w);
    const stop = () => {
      this.#watchers.delete(w);
      stream.end();
    };
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
    return stream;
  }

  serve(opts: RequestOptions): unknown {
    const t = parsePath(opts.path);
    const method = opts.method.toUpperCase();
    this.#count(method, t);
    const info = resolveResource(t.plural);
    if (method === 'GET' && !t.name) {
      const items = this.list(t.plural).filter((o) => !t.namespace || o.metadata.namespace === t.namespace);
      return copy({ apiVersion: info ? (info.group ? `${info.group}/${info.version}` : info.version) : 'v1', kind: `${info?.kind ?? 'Object'}List`, metadata: { resourceVersion: String(this.#rv) }, items });
    }
    if (method === 'POST' && !t.name) {
      const body = opts.body as Obj;
      const name = body.metadata.name ?? `${body.metadata.generateName ?? 'obj-'}${++this.#uid}`;
      if (this.get(t.plural, t.namespace, name)) throw failure(409, 'AlreadyExists', `${t.plural} "${name}" already exists`);
      return copy(this.put(t.plural, { ...body, metadata: { ...body.metadata, name, namespace: t.namespace } }));
    }
    const current = this.get(t.plural, t.namespace, t.name!);
    if (!current) throw failure(404, 'NotFound', `${t.plural} "${t.name}" not found`);
    if (method === 'GET') return copy(current);
    if (method === 'POST' && t.plural === 'pods' && t.sub === 'binding') {
      const target = (opts.body as { target: { name: string } }).target.name;
      const spec = current.spec ?? {};
      if (spec.nodeName) throw failure(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${t.name}": pod ${t.name} is already assigned to node "${String(spec.nodeName)}"`);
      const bound = this.put(t.plural, { ...current, spec: { ...spec, nodeName: target } });
      this.onBind?.(bound, target);
      return { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 };
    }
    if (method === 'PATCH') {
      const strategic = opts.contentType === 'application/strategic-merge-patch+json';
      const next = strategic ? applyStrategicMergePatch(current, opts.body, info?.kind) : applyMergePatch(current, opts.body);
      return copy(this.put(t.plural, next));
    }
    if (method === 'DELETE') return copy(this.remove(t.plural, t.namespace, t.name!));
    throw failure(405, 'MethodNotAllowed', `${method} ${opts.path} is not supported by the memory API`);
  }
}
