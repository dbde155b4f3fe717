/**
 * The REST verbs on a resource (apiserver's `endpoints/handlers`): get, list, watch, create, update, patch,
 * delete and deletecollection, plus the `status` subresource and the shape of the answer the client asked
 * for (the object, a meta.k8s.io Table with `object` rows, or PartialObjectMetadata). Pod-only subresources
 * live in pod-subresources.ts.
 */
import type { DeleteOptions, KubeObject, ResourceInfo, Table } from '../api/index.ts';
import { compileSelectors, printTable } from './api-bridge.ts';
import { checkDeleteOptions } from './delete-options.ts';
import { negotiateObjectFormat, parseObjectBody, queryBool, queryInt, readBody, sendJson, type ObjectFormat } from './http.ts';
import { applyPatch, parsePatch, patchTypeOf } from './patch.ts';
import { checkUnknownFields, dryRunOf, fieldManagerOf, warningHeader, type RequestContext } from './request-context.ts';
import { prepareForFinalize } from './registry/index.ts';
import { ApiError, badRequest, methodNotAllowed, notFound, successStatus, type QualifiedResource } from './status.ts';
import { serveWatch } from './watch.ts';
import { objectListParts, partialListParts, tableParts } from './list-body.ts';
import { sendParts } from './response-writer.ts';
import type { ListOptions } from './registry/generic.ts';

export interface HandlerDeps {
  now: () => number;
  bookmarkIntervalMs: number;
}

function includeObjectOf(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  if (v === 'None' || v === 'Object') return v;
  return 'Metadata';
}

function partial(obj: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

/** Renders one object (a GET) in the negotiated form: a one-row Table, PartialObjectMetadata, or the object. */
function render(ctx: RequestContext, deps: HandlerDeps, format: ObjectFormat, obj: KubeObject): unknown {
  const r = ctx.registry.info;
  if (format.as === 'Table') {
    const table = printTable(r, [obj], { now: deps.now(), includeObject: includeObjectOf(ctx.query) }) as Table & { apiVersion: string };
    table.apiVersion = `meta.k8s.io/${format.version}` as Table['apiVersion'];
    table.metadata = { ...table.metadata, resourceVersion: obj.metadata?.resourceVersion ?? '' };
    return table;
  }
  if (format.as === 'PartialObjectMetadata') return partial(obj, format.version);
  return obj;
}

function send(ctx: RequestContext, code: number, body: unknown): void {
  sendJson(ctx.res, code, body);
}

/** Sends a written object (with any warnings) as the registry's JSON of it, made once per write. */
function sendWithWarnings(ctx: RequestContext, code: number, obj: KubeObject): void {
  if (ctx.warnings.length) ctx.res.setHeader('Warning', warningHeader(ctx.warnings));
  const json = ctx.registry.objectJson(obj);
  const body = typeof json === 'string' ? Buffer.from(json) : json;
  ctx.res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  ctx.res.end(body);
}

/**
 * The list/watch filter from labelSelector and fieldSelector. Unsupported field labels only show when a
 * selector is evaluated, so it is tried once on an empty object here and refused with the real message.
 */
export function selectorFilter(r: ResourceInfo, ls: string, fs: string): ((o: KubeObject) => boolean) | undefined {
  const refuse = (err: unknown) =>
    badRequest(`Unable to find "${r.group}/${r.version}, Resource=${r.plural}" that match label selector "${ls}", field selector "${fs}": ${(err as Error).message}`);
  let filter: ((o: KubeObject) => boolean) | undefined;
  try {
    filter = compileSelectors(r, ls, fs);
    filter?.({ apiVersion: r.groupVersion, kind: r.kind, metadata: { name: '', namespace: '' } });
  } catch (err) {
    throw refuse(err);
  }
  return filter;
}

function filterOf(ctx: RequestContext): ((o: KubeObject) => boolean) | undefined {
  return selectorFilter(ctx.registry.info, ctx.query.get('labelSelector') ?? '', ctx.query.get('fieldSelector') ?? '');
}

function resourceOf(ctx: RequestContext): QualifiedResource {
  return ctx.registry.qualified;
}

export async function handleGet(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  const format = negotiateObjectFormat(ctx.req.headers.accept);
  if (format.as === 'object') {
    // The stored bytes with the resourceVersion spliced in: no parse, no stringify.
    const body = await ctx.registry.getJson(ctx.info.namespace, ctx.info.name);
    ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    ctx.res.end(body);
    return;
  }
  const obj = await ctx.registry.get(ctx.info.namespace, ctx.info.name);
  send(ctx, 200, render(ctx, deps, format, obj));
}

/**
 * Sends a list in the negotiated form, each object's JSON made once by the registry and spliced (list-body.ts),
 * gzipped for clients that accept it past upstream's threshold (response-writer.ts).
 */
async function sendList(ctx: RequestContext, deps: HandlerDeps, format: ObjectFormat, items: readonly KubeObject[] | undefined, rawItems: readonly Buffer[] | undefined, meta: Record<string, string>): Promise<void> {
  const r = ctx.registry;
  // Made per list, not kept (registry listJson): the recent objects' JSON is reused.
  const objectJson = (o: KubeObject) => r.listJson(o);
  let parts: Iterable<Buffer>;
  if (format.as === 'Table') {
    parts = tableParts({ info: r.info, version: format.version, listMeta: meta, objects: items ?? [], now: deps.now(), includeObject: tableIncludeObjectOf(ctx.query), objectJson });
  } else if (format.as === 'PartialObjectMetadata') {
    parts = partialListParts(format.version, meta, items ?? []);
  } else {
    // Each item's JSON made as the response takes it, so a large list never holds all of them at once.
    parts = objectListParts(r.info.listKind, r.info.groupVersion, meta, rawItems ?? (function* () {
      for (const o of items ?? []) yield objectJson(o);
    })());
  }
  await sendParts(ctx.res, 200, parts);
}

/** TableOptions.includeObject; upstream's asTable refuses a value it does not know. */
function tableIncludeObjectOf(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject') ?? '';
  if (v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: ${JSON.stringify(v)}`);
}

export async function handleList(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  const format = negotiateObjectFormat(ctx.req.headers.accept);
  const r = ctx.registry;
  if (format.as === 'Table') tableIncludeObjectOf(ctx.query);
  const options: ListOptions = {
    filter: filterOf(ctx),
    limit: queryInt(ctx.query, 'limit'),
    continueToken: ctx.query.get('continue') ?? undefined,
    resourceVersion: ctx.query.get('resourceVersion') ?? undefined,
  };
  let result = await r.listFromCache(ctx.info.namespace, options);
  if (!result && format.as === 'object' && !options.filter) {
    // An unfiltered page from the store: items spliced from the stored bytes, never parsed.
    const raw = await r.listRaw(ctx.info.namespace, { limit: options.limit, continueToken: options.continueToken });
    const meta: Record<string, string> = { resourceVersion: raw.resourceVersion };
    if (raw.continueToken) meta.continue = raw.continueToken;
    return sendList(ctx, deps, format, undefined, raw.items, meta);
  }
  result ??= await r.list(ctx.info.namespace, options);
  const meta: Record<string, string> = { resourceVersion: result.resourceVersion };
  if (result.continueToken) meta.continue = result.continueToken;
  return sendList(ctx, deps, format, result.items, undefined, meta);
}

export async function handleWatch(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  let filter = filterOf(ctx);
  if (ctx.info.name) {
    // GET .../pods/x?watch=true watches that one object.
    const name = ctx.info.name;
    const inner = filter;
    filter = (o) => o.metadata?.name === name && (!inner || inner(o));
  }
  const rvText = ctx.query.get('resourceVersion') ?? '';
  const fromRv = rvText === '' ? 0 : Number(rvText);
  if (!Number.isInteger(fromRv) || fromRv < 0) throw badRequest(`invalid resource version: ${JSON.stringify(rvText)}`);
  const timeoutSeconds = queryInt(ctx.query, 'timeoutSeconds');
  // Without timeoutSeconds the real apiserver picks 30–60 min (min-request-timeout × [1, 2)).
  // Node's timers hold at most 2^31-1 ms (~24.8 days); a longer one would fire at once.
  const timeoutMs = Math.min(timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000, 2 ** 31 - 1);
  const format = negotiateObjectFormat(ctx.req.headers.accept);
  const info = ctx.registry.info;
  const toTable = format.as === 'Table'
    ? (o: KubeObject) => {
      const t = printTable(info, [o], { now: deps.now(), includeObject: includeObjectOf(ctx.query) }) as Table & { apiVersion: string };
      t.apiVersion = `meta.k8s.io/${format.version}` as Table['apiVersion'];
      t.metadata = { ...t.metadata, resourceVersion: o.metadata?.resourceVersion ?? '' };
      return t;
    }
    : format.as === 'PartialObjectMetadata'
      ? (o: KubeObject) => partial(o, format.version)
      : undefined;
  await serveWatch(ctx.req, ctx.res, {
    info,
    cache: ctx.registry.cache,
    namespace: ctx.info.namespace,
    filter,
    fromRv,
    bookmarks: queryBool(ctx.query, 'allowWatchBookmarks'),
    timeoutMs,
    bookmarkIntervalMs: deps.bookmarkIntervalMs,
    toTable,
    objectJson: (o) => ctx.registry.objectJson(o),
  });
}

export async function handleCreate(ctx: RequestContext): Promise<void> {
  const raw = await readBody(ctx.req);
  const body = parseObjectBody(raw, ctx.req.headers['content-type']) as KubeObject;
  checkKind(ctx, body);
  checkUnknownFields(ctx, body, raw);
  const fieldManager = fieldManagerOf(ctx, { kind: 'CreateOptions' });
  const created = await ctx.registry.create(ctx.info.namespace, body, { dryRun: dryRunOf(ctx.query), user: ctx.user.name, warnings: ctx.warnings, auditAnnotations: ctx.auditAnnotations, userInfo: ctx.user, groups: ctx.user.groups, fieldManager });
  sendWithWarnings(ctx, 201, created);
}

function checkKind(ctx: RequestContext, body: KubeObject): void {
  const r = ctx.registry.info;
  if (body.apiVersion && body.apiVersion !== r.groupVersion) {
    throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${r.groupVersion})`);
  }
  if (body.kind && body.kind !== r.kind) {
    throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${r.kind})`);
  }
}

const WRITABLE_SUBRESOURCES = new Set(['', 'status', 'finalize', 'approval']);

export async function handleUpdate(ctx: RequestContext): Promise<void> {
  const sub = ctx.info.subresource;
  if (!WRITABLE_SUBRESOURCES.has(sub)) throw methodNotAllowed('update', resourceOf(ctx));
  const raw = await readBody(ctx.req);
  const body = parseObjectBody(raw, ctx.req.headers['content-type']) as KubeObject;
  checkKind(ctx, body);
  checkUnknownFields(ctx, body, raw);
  const fieldManager = fieldManagerOf(ctx, { kind: 'UpdateOptions' });
  const write = { dryRun: dryRunOf(ctx.query), subresource: sub, user: ctx.user.name, warnings: ctx.warnings, auditAnnotations: ctx.auditAnnotations, userInfo: ctx.user, groups: ctx.user.groups, fieldManager };
  let result;
  if (sub === 'finalize') {
    result = await ctx.registry.guaranteedUpdate(ctx.info.namespace, ctx.info.name, write, (current) => {
      const next = structuredClone(body);
      prepareForFinalize(next, current!);
      return next;
    }, body.metadata?.resourceVersion);
  } else {
    result = await ctx.registry.update(ctx.info.namespace, ctx.info.name, body, write);
  }
  sendWithWarnings(ctx, result.created ? 201 : 200, result.object);
}

export async function handlePatch(ctx: RequestContext): Promise<void> {
  const sub = ctx.info.subresource;
  if (!WRITABLE_SUBRESOURCES.has(sub) || sub === 'finalize') throw methodNotAllowed('patch', resourceOf(ctx));
  const type = patchTypeOf(ctx.req.headers['content-type']);
  // Custom resources have no patch strategies to merge lists by, so upstream refuses strategic merge for them.
  if (type === 'strategic' && ctx.registry.info.custom) {
    throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  }
  const patch = parsePatch(type, await readBody(ctx.req));
  const dryRun = dryRunOf(ctx.query);
  const r = ctx.registry;
  const ns = ctx.info.namespace;
  const name = ctx.info.name;
  const apply = type === 'apply';
  const fieldManager = fieldManagerOf(ctx, { kind: 'PatchOptions', apply });
  const force = apply && queryBool(ctx.query, 'force');
  if (apply) {
    checkKind(ctx, patch as KubeObject);
    // An applied configuration states fields, not ownership.
    if ((patch as KubeObject).metadata?.managedFields != null) throw badRequest('metadata.managedFields must be nil');
    if (!sub) {
      const existing = await r.tryGet(ns, name);
      if (!existing) {
        // Server-side apply of an absent object creates it: the applier owns what it applied.
        checkUnknownFields(ctx, patch as KubeObject);
        const obj = r.fieldManager.apply(undefined, patch as KubeObject, fieldManager, force, '');
        obj.metadata = { ...obj.metadata, name };
        const created = await r.create(ns, obj, { dryRun, user: ctx.user.name, warnings: ctx.warnings, auditAnnotations: ctx.auditAnnotations, userInfo: ctx.user, groups: ctx.user.groups });
        sendWithWarnings(ctx, 201, created);
        return;
      }
    }
  }
  const expectedRv = type === 'json' ? undefined : (patch as KubeObject).metadata?.resourceVersion;
  const write = { dryRun, subresource: sub, user: ctx.user.name, warnings: ctx.warnings, auditAnnotations: ctx.auditAnnotations, userInfo: ctx.user, groups: ctx.user.groups, ...(apply ? {} : { fieldManager }) };
  const result = await r.guaranteedUpdate(ns, name, write, (current) => {
    if (!current) throw notFound(r.qualified, name);
    const patched = apply ? r.fieldManager.apply(current, patch as KubeObject, fieldManager, force, sub) : applyPatch(type, current, patch, r.info.kind);
    checkUnknownFields(ctx, patched);
    // The patch may not move the object: identity comes from the URL.
    return patched;
  }, expectedRv);
  sendWithWarnings(ctx, 200, result.object);
}

/** DeleteOptions from the body (kubectl sends JSON) and the query (`?gracePeriodSeconds=0`). */
export async function deleteOptionsOf(ctx: RequestContext): Promise<DeleteOptions> {
  const raw = await readBody(ctx.req);
  let options: DeleteOptions = {};
  if (raw.length && raw.toString('utf8').trim() !== '') {
    const body = parseObjectBody(raw, ctx.req.headers['content-type']);
    checkDeleteOptions(body);
    options = body as DeleteOptions;
  }
  const grace = queryInt(ctx.query, 'gracePeriodSeconds');
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = ctx.query.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy;
  if (options.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)) {
    throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(options.propagationPolicy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  return options;
}

export async function handleDelete(ctx: RequestContext): Promise<void> {
  if (ctx.info.subresource) throw methodNotAllowed('delete', resourceOf(ctx));
  const options = await deleteOptionsOf(ctx);
  const dryRun = dryRunOf(ctx.query) || (options.dryRun?.includes('All') ?? false);
  const { object, deleted } = await ctx.registry.delete(ctx.info.namespace, ctx.info.name, options, { dryRun, user: ctx.user.name, userInfo: ctx.user, groups: ctx.user.groups });
  if (deleted && ctx.registry.info.plural !== 'pods') {
    const r = ctx.registry.info;
    send(ctx, 200, successStatus({ name: object.metadata?.name, ...(r.group ? { group: r.group } : {}), kind: r.plural, uid: object.metadata?.uid }));
    return;
  }
  // Upstream answers 202 for an object left in place only when the (deprecated) orphanDependents: false asked
  // for cascading deletion; 200 otherwise, to keep older clients working.
  send(ctx, !deleted && options.orphanDependents === false ? 202 : 200, object);
}

export async function handleDeleteCollection(ctx: RequestContext): Promise<void> {
  if (!ctx.registry.info.verbs.includes('deletecollection')) throw methodNotAllowed('deletecollection', resourceOf(ctx));
  const options = await deleteOptionsOf(ctx);
  const dryRun = dryRunOf(ctx.query);
  const items = await ctx.registry.deleteCollection(ctx.info.namespace, { filter: filterOf(ctx) }, options, { dryRun, user: ctx.user.name, userInfo: ctx.user, groups: ctx.user.groups });
  const r = ctx.registry.info;
  send(ctx, 200, { kind: r.listKind, apiVersion: r.groupVersion, metadata: {}, items });
}

