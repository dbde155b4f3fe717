/**
 * A small in-memory Kubernetes API server over HTTPS for unit tests of the client, informers, the event
 * recorder and the scheduler: get/list/create/update/patch (merge, and strategic through api's
 * applyStrategicMergePatch)/delete, the `status` and `binding` subresources, equality label and field selectors, and watch streams from
 * a resourceVersion with `410 Gone` below a compaction point. It records every request. It is a fake of the
 * API for our own tests, not a second API server: anything beyond these verbs answers 405.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMergePatch, applyStrategicMergePatch } from '../../api/index.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

// Objects here are untyped JSON that tests reach into freely (spec.nodeName, involvedObject.name, ...).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = { apiVersion?: string; kind?: string; metadata: Record<string, any>; [k: string]: any };

interface StoredEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  collection: string;
  obj: Obj;
}

interface Watcher {
  collection: string;
  namespace?: string;
  filter: (o: Obj) => boolean;
  res: ServerResponse;
}

let certCache: { cert: string; key: string } | undefined;

/** A self-signed certificate for 127.0.0.1/localhost (made once per process with openssl). */
export function testCertificate(): { cert: string; key: string } {
  if (certCache) return certCache;
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeling-client-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    certCache = { cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), key: readFileSync(path.join(dir, 'key.pem'), 'utf8') };
    return certCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kinds: Record<string, string> = { pods: 'Pod', nodes: 'Node', events: 'Event', namespaces: 'Namespace', configmaps: 'ConfigMap', replicasets: 'ReplicaSet', deployments: 'Deployment',
  jobs: 'Job', cronjobs: 'CronJob', daemonsets: 'DaemonSet', controllerrevisions: 'ControllerRevision', replicationcontrollers: 'ReplicationController' };

export class FakeApiServer {
  readonly token = 'test-token';
  readonly requests: RecordedRequest[] = [];
  readonly objects = new Map<string, Obj>();
  #server: https.Server;
  #rv = 100;
  #compactedRv = 0;
  #generated = 0;
  #log: StoredEvent[] = [];
  #watchers = new Set<Watcher>();
  /** Status code to answer the next matching request with instead of serving it (tests of error paths). */
  failNext: { method: string; pathIncludes: string; code: number; reason: string; message?: string }[] = [];
  url = '';
  ca = '';
  /** What `pods/log` answers, by `ns/name/container`. */
  readonly logs = new Map<string, string>();

  constructor() {
    const { cert, key } = testCertificate();
    this.ca = cert;
    this.#server = https.createServer({ cert, key }, (req, res) => {
      this.#handle(req, res).catch((err) => {
        if (!res.headersSent) this.#status(res, 500, 'InternalError', String(err));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const addr = this.#server.address() as { port: number };
    this.url = `https://127.0.0.1:${addr.port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /** Forgets history up to now: watches from an older RV get 410. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#log = [];
  }

  /** Ends every open watch stream (like a server-side timeout). */
  closeWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  /** How many watch streams are open (on `collection`, in `namespace` when given). */
  watcherCount(collection?: string, namespace?: string): number {
    return [...this.#watchers].filter((w) => (!collection || w.collection === collection) && (!namespace || w.namespace === namespace)).length;
  }

  /** Puts an object in place directly (as another client would), notifying watchers. */
  put(collection: string, object: object): Obj {
    const obj = object as Obj;
    const key = this.#key(collection, obj.metadata.namespace, obj.metadata.name);
    const exists = this.objects.has(key);
    return this.#write(collection, key, obj, exists ? 'MODIFIED' : 'ADDED');
  }

  remove(collection: string, namespace: string | undefined, name: string): void {
    const key = this.#key(collection, namespace, name);
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    this.#emit(collection, 'DELETED', { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } });
  }

  list(collection: string): Obj[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${collection}|`)).map(([, o]) => o);
  }

  #key(collection: string, ns: string | undefined, name: string): string {
    return `${collection}|${ns ?? ''}|${name}`;
  }

  #write(collection: string, key: string, obj: Obj, type: 'ADDED' | 'MODIFIED'): Obj {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.#rv);
    stored.metadata.uid ??= `uid-${this.#rv}`;
    stored.metadata.creationTimestamp ??= '2026-01-01T00:00:00Z';
    stored.kind ??= kinds[collection.split('/').pop()!];
    stored.apiVersion ??= collection.includes('/') ? `${collection.split('/')[0]}/v1` : 'v1';
    this.objects.set(key, stored);
    this.#emit(collection, type, stored);
    return stored;
  }

  #emit(collection: string, type: StoredEvent['type'], obj: Obj): void {
    const ev = { rv: Number(obj.metadata.resourceVersion), type, collection, obj: structuredClone(obj) };
    this.#log.push(ev);
    for (const w of this.#watchers) this.#send(w, ev);
  }

  #send(w: Watcher, ev: StoredEvent): void {
    if (ev.collection !== w.collection) return;
    if (w.namespace && ev.obj.metadata.namespace !== w.namespace) return;
    if (!w.filter(ev.obj)) return;
    w.res.write(`${JSON.stringify({ type: ev.type, object: ev.obj })}\n`);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'https://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    this.requests.push({ method: req.method!, path: url.pathname, query: url.searchParams, headers: req.headers, body });
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.#status(res, 401, 'Unauthorized', 'Unauthorized');
    const fail = this.failNext.findIndex((f) => f.method === req.method && url.pathname.includes(f.pathIncludes));
    if (fail >= 0) {
      const f = this.failNext.splice(fail, 1)[0]!;
      return this.#status(res, f.code, f.reason, f.message ?? f.reason);
    }

    // /api/v1/... or /apis/g/v/...
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let rest = segs[0] === 'api' ? segs.slice(2) : segs.slice(3);
    const group = segs[0] === 'api' ? '' : segs[1];
    let ns: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      ns = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest;
    const collection = group ? `${group}/${plural}` : plural!;
    const q = url.searchParams;
    const filter = selectorFilter(q.get('labelSelector') ?? '', q.get('fieldSelector') ?? '');

    if (req.method === 'GET' && !name && q.get('watch') === 'true') return this.#watch(res, collection, ns, q.get('resourceVersion') ?? '', filter);
    if (req.method === 'GET' && !name) {
      const items = this.list(collection).filter((o) => (!ns || o.metadata.namespace === ns) && filter(o));
      return this.#json(res, 200, { kind: `${kinds[plural!] ?? 'Object'}List`, apiVersion: group ? `${group}/v1` : 'v1', metadata: { resourceVersion: String(this.#rv) }, items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...o }) => o) });
    }
    if (req.method === 'POST' && !name && body?.metadata && !body.metadata.name && body.metadata.generateName) {
      body.metadata.name = `${body.metadata.generateName}${(++this.#generated).toString(36).padStart(5, 'x')}`;
    }
    const key = this.#key(collection, ns, name ?? body?.metadata?.name);
    const current = this.objects.get(key);
    if (req.method === 'POST' && !name) {
      if (current) return this.#status(res, 409, 'AlreadyExists', `${plural} "${body.metadata.name}" already exists`);
      body.metadata.namespace = ns;
      return this.#json(res, 201, this.#write(collection, key, body, 'ADDED'));
    }
    if (!current) return this.#status(res, 404, 'NotFound', `${plural} "${name}" not found`);
    if (req.method === 'GET' && !sub) return this.#json(res, 200, current);
    if (req.method === 'GET' && sub === 'log') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(this.logs.get(`${ns}/${name}/${q.get('container') ?? ''}`) ?? '');
      return;
    }
    if (req.method === 'POST' && sub === 'binding') {
      if (current.spec?.nodeName) return this.#status(res, 409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${current.spec.nodeName}"`);
      const next = structuredClone(current);
      next.spec.nodeName = body.target.name;
      this.#write(collection, key, next, 'MODIFIED');
      return this.#json(res, 201, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
    }
    if (req.method === 'PUT') {
      if (body.metadata.resourceVersion && body.metadata.resourceVersion !== current.metadata.resourceVersion) {
        return this.#status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      const next = sub === 'status' ? { ...structuredClone(current), status: body.status } : { ...body, status: current.status };
      next.metadata = { ...current.metadata, ...body.metadata };
      return this.#json(res, 200, this.#write(collection, key, next, 'MODIFIED'));
    }
    if (req.method === 'PATCH') {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return this.#status(res, 400, 'BadRequest', 'the fake API server takes only merge and strategic merge patches of an object');
      }
      // The uid cannot change (BeforeUpdate's immutability check): a uid in the patch acts as a precondition.
      const uid = (body.metadata as { uid?: string } | null | undefined)?.uid;
      if (uid && uid !== current.metadata.uid) {
        return this.#status(res, 422, 'Invalid', `${kinds[plural!] ?? plural} "${name}" is invalid: metadata.uid: Invalid value: "${uid}": field is immutable`);
      }
      const strategic = req.headers['content-type'] === 'application/strategic-merge-patch+json';
      const patched = (strategic ? applyStrategicMergePatch(current, body, current.kind) : applyMergePatch(current, body)) as Obj;
      // The status subresource changes only status; identity and bookkeeping always come from the stored object.
      const next: Obj = sub === 'status' ? { ...structuredClone(current), status: patched.status } : patched;
      next.metadata = { ...(sub === 'status' ? current.metadata : (patched.metadata ?? {})), name: current.metadata.name, namespace: current.metadata.namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
      if (next.status === undefined) delete next.status;
      return this.#json(res, 200, this.#write(collection, key, next, 'MODIFIED'));
    }
    if (req.method === 'DELETE') {
      const pre = body?.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) return this.#status(res, 409, 'Conflict', 'Precondition failed: UID in precondition');
      this.remove(collection, ns, name!);
      return this.#json(res, 200, current);
    }
    return this.#status(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  #watch(res: ServerResponse, collection: string, namespace: string | undefined, rv: string, filter: (o: Obj) => boolean): void {
    if (rv && Number(rv) < this.#compactedRv) {
      return this.#status(res, 410, 'Expired', `too old resource version: ${rv} (${this.#compactedRv})`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = { collection, namespace, filter, res };
    if (!rv) {
      for (const obj of this.list(collection)) this.#send(w, { rv: 0, type: 'ADDED', collection, obj });
    } else {
      for (const ev of this.#log) if (ev.rv > Number(rv)) this.#send(w, ev);
    }
    this.#watchers.add(w);
    res.on('close', () => this.#watchers.delete(w));
  }

  #json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.#json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }
}

function lookup(obj: Obj, dotted: string): string {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur === undefined || cur === null ? '' : String(cur);
}

/** Equality-based selectors only (`a=b`, `a==b`, `a!=b`, comma-joined); enough for these tests. */
function selectorFilter(labels: string, fields: string): (o: Obj) => boolean {
  const terms = (text: string, get: (o: Obj, k: string) => string) =>
    text.split(',').filter(Boolean).map((t) => {
      const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(t.trim());
      if (!m) throw new Error(`bad selector ${t}`);
      const [, k, op, v] = m;
      return (o: Obj) => (get(o, k!) === v) === (op !== '!=');
    });
  const all = [
    ...terms(labels, (o, k) => o.metadata.labels?.[k] ?? ''),
    ...terms(fields, (o, k) => lookup(o, k)),
  ];
  return (o) => all.every((f) => f(o));
}
