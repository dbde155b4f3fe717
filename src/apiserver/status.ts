/**
 * Errors at the API edge. Inside the server, code throws `ApiError`s made by the constructors below (named after
 * apimachinery's `errors.NewNotFound`, `NewConflict`, ...) or lets `StoreError`s escape; `toStatus` is the ONLY
 * place any error becomes a Kubernetes `Status` object and an HTTP code. Messages match the real apiserver's
 * word for word, because kubectl prints them (`Error from server (NotFound): pods "x" not found`).
 */
import { isStoreError } from '../storage/index.ts';
import { DecodeError } from '../api/index.ts';

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'Gone'
  | 'Expired'
  | 'InternalError'
  | 'Forbidden'
  | 'Unauthorized'
  | 'RequestEntityTooLarge'
  | 'ServiceUnavailable'
  | 'TooManyRequests'
  | 'Timeout';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | string;
  details?: StatusDetails;
  code: number;
}

/** A field error in Kubernetes' shape (`field.Error`): `message` is its body, e.g. `Required value`. */
export interface FieldCause {
  type: string;
  field: string;
  message: string;
}

/** A resource name qualified by its group, printed as `pods` or `leases.coordination.k8s.io`. */
export interface QualifiedResource {
  group: string;
  resource: string;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

export function qualified(r: QualifiedResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

function detailsOf(r: QualifiedResource, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: r.resource };
  if (r.group) d.group = r.group;
  return d;
}

export function notFound(r: QualifiedResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, detailsOf(r, name));
}

export function alreadyExists(r: QualifiedResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, detailsOf(r, name));
}

export const MODIFIED_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** `Operation cannot be fulfilled on pods "x": <why>`. */
export function conflict(r: QualifiedResource, name: string, why: string = MODIFIED_MESSAGE): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, detailsOf(r, name));
}

/** 422 with one cause per field error; the message aggregates them like `field.ErrorList.ToAggregate()`. */
export function invalid(kind: string, group: string, name: string, errors: FieldCause[]): ApiError {
  const texts = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  const aggregate = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const details: StatusDetails = {
    name,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
  };
  if (group) details.group = group;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${aggregate}`, details);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(action: string, r: QualifiedResource): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualified(r)}"`, {
    kind: r.resource,
    ...(r.group ? { group: r.group } : {}),
  });
}

export function notAcceptable(message: string): ApiError {
  return new ApiError(406, 'NotAcceptable', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got ${JSON.stringify(contentType)})`);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Gone', message);
}

/** A watch or list from a resourceVersion whose history is gone (apimachinery's NewResourceExpired). */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function forbidden(r: QualifiedResource, name: string, why: string): ApiError {
  const subject = name ? `${qualified(r)} "${name}"` : qualified(r);
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, detailsOf(r, name));
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

export function internalError(err: unknown): ApiError {
  const text = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${text}`, { causes: [{ message: text }] }, { cause: err });
}

/**
 * The one conversion from anything thrown to a `Status`. `ref` names the object a StoreError was about (the
 * store only knows keys). Unknown errors become a 500 and are reported through `onInternal` for logging.
 */
export function toStatus(err: unknown, ref?: { resource: QualifiedResource; name: string }, onInternal?: (err: unknown) => void): Status {
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  // api's decoding check (a value of the wrong JSON type): the client's fault, as Go's decoder reports it.
  else if (err instanceof DecodeError) e = badRequest(err.message);
  else if (isStoreError(err) && ref) {
    switch (err.code) {
      case 'NotFound':
        e = notFound(ref.resource, ref.name);
        break;
      case 'AlreadyExists':
        e = alreadyExists(ref.resource, ref.name);
        break;
      case 'Conflict':
        e = conflict(ref.resource, ref.name);
        break;
      case 'Compacted':
        e = expired(`too old resource version: ${err.message}`);
        break;
      case 'Unavailable':
      case 'Closed':
        e = serviceUnavailable(`storage is unavailable: ${err.message}`);
        break;
      default:
        e = internalError(err);
    }
  } else {
    onInternal?.(err);
    e = internalError(err);
  }
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code };
  if (e.details) status.details = e.details;
  return status;
}

export function successStatus(details?: StatusDetails, code = 200): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
  if (details) s.details = details;
  return s;
}
