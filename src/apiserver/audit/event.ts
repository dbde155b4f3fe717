/**
 * The `audit.k8s.io/v1` `Event`, one JSON line per request stage, and the pure steps that fill it: the
 * object reference from the request's attributes (and, as upstream's LogRequestObject does, the name,
 * namespace, uid and resourceVersion the request body carries), the response status (the code, plus status,
 * reason, message and details when the answer is a `Status`), the request and response objects cut to what
 * the level allows, managedFields dropped when the policy says so. Fields are written in upstream's order.
 */
import { levelAtLeast, type Level, type Stage } from './policy.ts';

export interface AuditUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface ObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

export interface ResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: unknown;
  code: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: Level;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: AuditUser;
  impersonatedUser?: AuditUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: ObjectReference;
  responseStatus?: ResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** A meta/v1 MicroTime: RFC 3339 in UTC with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The user as the event records it (empty groups, uid and extra are left out, as Go's omitempty does). */
export function auditUser(u: { name: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } | undefined): AuditUser {
  if (!u || u.name === '') return { username: '' };
  const out: AuditUser = { username: u.name };
  if (u.uid) out.uid = u.uid;
  if (u.groups && u.groups.length > 0) out.groups = [...u.groups];
  if (u.extra && Object.keys(u.extra).length > 0) out.extra = u.extra;
  return out;
}

/** Drops empty fields of an object reference (Go's omitempty). */
export function compactRef(ref: ObjectReference): ObjectReference {
  const out: ObjectReference = {};
  for (const k of ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource'] as const) {
    if (ref[k]) out[k] = ref[k];
  }
  return out;
}

/** Fills what the URL left empty in the reference from the request object's metadata (creates name their object in the body). */
export function completeRef(ref: ObjectReference, requestObject: unknown): ObjectReference {
  const meta = metadataOf(requestObject);
  if (!meta) return ref;
  const out = { ...ref };
  if (!out.namespace && typeof meta.namespace === 'string') out.namespace = meta.namespace;
  if (!out.name && typeof meta.name === 'string') out.name = meta.name;
  if (!out.uid && typeof meta.uid === 'string') out.uid = meta.uid;
  if (!out.resourceVersion && typeof meta.resourceVersion === 'string') out.resourceVersion = meta.resourceVersion;
  return out;
}

function metadataOf(obj: unknown): Record<string, unknown> | undefined {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const m = (obj as { metadata?: unknown }).metadata;
  return m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as Record<string, unknown>) : undefined;
}

/** The response status: `{code}` for an object, or the Status's own fields when the answer is one. */
export function responseStatusOf(code: number, body: unknown): ResponseStatus {
  const status: ResponseStatus = { metadata: {}, code };
  if (body !== null && typeof body === 'object' && (body as { kind?: unknown }).kind === 'Status') {
    const s = body as Record<string, unknown>;
    if (typeof s.status === 'string' && s.status) status.status = s.status;
    if (typeof s.message === 'string' && s.message) status.message = s.message;
    if (typeof s.reason === 'string' && s.reason) status.reason = s.reason;
    if (s.details !== undefined) status.details = s.details;
    if (typeof s.code === 'number' && s.code) status.code = s.code;
  }
  // The status fields must come before the code, as upstream writes them.
  const { code: c, ...rest } = status;
  return { ...rest, code: c };
}

/** A copy without metadata.managedFields, on the object, each list item and each Table row's object. */
export function withoutManagedFields(obj: unknown): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const o = { ...(obj as Record<string, unknown>) };
  const meta = metadataOf(o);
  if (meta && 'managedFields' in meta) {
    const { managedFields: _dropped, ...rest } = meta;
    o.metadata = rest;
  }
  if (Array.isArray(o.items)) o.items = o.items.map(withoutManagedFields);
  if (Array.isArray(o.rows)) {
    o.rows = o.rows.map((row: unknown) => {
      if (row === null || typeof row !== 'object') return row;
      const r = row as Record<string, unknown>;
      return r.object === undefined ? r : { ...r, object: withoutManagedFields(r.object) };
    });
  }
  return o;
}

export interface EventParts {
  level: Level;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: AuditUser;
  impersonatedUser?: AuditUser;
  sourceIPs: string[];
  userAgent: string;
  objectRef?: ObjectReference;
  responseStatus?: ResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  omitManagedFields: boolean;
  requestReceivedAt: number;
  stageAt: number;
  annotations: Record<string, string>;
}

/** Builds one event: objects appear only at the levels that carry them (Request, RequestResponse). */
export function buildEvent(p: EventParts): AuditEvent {
  const e: AuditEvent = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: p.level,
    auditID: p.auditID,
    stage: p.stage,
    requestURI: p.requestURI,
    verb: p.verb,
    user: p.user,
    requestReceivedTimestamp: '',
    stageTimestamp: '',
  };
  if (p.impersonatedUser) e.impersonatedUser = p.impersonatedUser;
  if (p.sourceIPs.length > 0) e.sourceIPs = p.sourceIPs;
  if (p.userAgent) e.userAgent = p.userAgent;
  if (p.objectRef) e.objectRef = compactRef(p.objectRef);
  if (p.responseStatus) e.responseStatus = p.responseStatus;
  const strip = (o: unknown) => (p.omitManagedFields ? withoutManagedFields(o) : o);
  if (p.requestObject !== undefined && levelAtLeast(p.level, 'Request')) e.requestObject = strip(p.requestObject);
  if (p.responseObject !== undefined && levelAtLeast(p.level, 'RequestResponse')) e.responseObject = strip(p.responseObject);
  // Re-inserted so they follow the objects, in upstream's field order.
  delete (e as Partial<AuditEvent>).requestReceivedTimestamp;
  delete (e as Partial<AuditEvent>).stageTimestamp;
  e.requestReceivedTimestamp = microTime(p.requestReceivedAt);
  e.stageTimestamp = microTime(p.stageAt);
  if (Object.keys(p.annotations).length > 0) e.annotations = { ...p.annotations };
  return e;
}
