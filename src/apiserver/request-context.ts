/**
 * What every resource handler gets: the parsed request, its registry, the authenticated user, and the
 * options kubectl sends on writes (dryRun, fieldValidation), decoded once with the right errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/index.ts';
import type { GenericRegistry } from './registry/generic.ts';
import type { ResourceRequest } from './request-info.ts';
import type { User } from './auth/tokens.ts';
import { decodeError, duplicateFields, strictDecodingError, unknownFields } from './api-bridge.ts';
import { ApiError, badRequest } from './status.ts';
import { managerFromUserAgent } from './field-manager.ts';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  query: URLSearchParams;
  info: ResourceRequest;
  registry: GenericRegistry;
  user: User;
  /** `Warning` headers to send with the response (fieldValidation=Warn, admission plugins). */
  warnings: string[];
  /**
   * Annotations for this request's audit event (e.g. `pod-security.kubernetes.io/enforce-policy`): set a key
   * and it appears on the ResponseComplete event. Always present; dropped when auditing is off.
   */
  auditAnnotations: Record<string, string>;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dry run value: ${JSON.stringify(v)}; the only supported value is "All"`);
  return values.length > 0;
}

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}`);
}

/**
 * Refuses values of the wrong type (400, Go's decoder message), then applies fieldValidation to a decoded object (and, for duplicate keys, its raw JSON): Strict refuses unknown
 * or duplicate fields with the decoder's message, Warn adds one warning per field, Ignore says nothing.
 */
export function checkUnknownFields(ctx: RequestContext, obj: KubeObject, rawJson?: Buffer): void {
  // Values of the wrong JSON type are refused whatever fieldValidation says, as Go's decoder does.
  const wrongType = ctx.registry.info.custom ? undefined : decodeError(ctx.registry.info.kind, obj);
  if (wrongType) throw badRequest(`${ctx.registry.info.kind} in version ${JSON.stringify(ctx.registry.info.version)} cannot be handled as a ${ctx.registry.info.kind}: ${wrongType}`);
  const mode = fieldValidationOf(ctx.query);
  if (mode === 'Ignore') return;
  const kind = ctx.registry.info.kind;
  const unknown = ctx.registry.strategy.unknownFields?.(obj) ?? unknownFields(kind, obj);
  let duplicates: string[] = [];
  if (rawJson && rawJson[0] === 0x7b /* { */) {
    try {
      duplicates = duplicateFields(rawJson.toString('utf8'));
    } catch {
      duplicates = [];
    }
  }
  if (unknown.length === 0 && duplicates.length === 0) return;
  if (mode === 'Strict') {
    throw badRequest(`${kind} in version ${JSON.stringify(ctx.registry.info.version)} cannot be handled as a ${kind}: ${strictDecodingError(unknown, duplicates)}`);
  }
  ctx.warnings.push(...duplicates.map((f) => `duplicate field ${JSON.stringify(f)}`), ...unknown.map((f) => `unknown field ${JSON.stringify(f)}`));
}

/** How many bytes of warnings one response carries; the rest are dropped (client header limits are small). */
const MAX_WARNING_BYTES = 4096;

/**
 * `Warning: 299 - "text"` header values, as the real apiserver formats them. The text is quoted (control
 * characters and lone surrogates escaped), sent as UTF-8 bytes (Node writes header strings byte per char), and
 * the list is cut at 4 KiB; a field name full of odd characters must not turn a response into a 500.
 */
export function warningHeader(warnings: string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (const w of warnings) {
    const quoted = `299 - ${JSON.stringify(w.length > 1024 ? `${w.slice(0, 1024)}...` : w).replace(/\x7f/g, '\\u007f')}`;
    const bytes = Buffer.from(quoted, 'utf8');
    if (total + bytes.length > MAX_WARNING_BYTES) break;
    total += bytes.length;
    out.push(bytes.toString('latin1'));
  }
  return out;
}

/** `PatchOptions.meta.k8s.io "" is invalid: ...` (and Create/Update), as upstream's options validation says it. */
function invalidOptions(kind: string, cause: { type: string; field: string; message: string }): ApiError {
  return new ApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${cause.field}: ${cause.message}`, {
    group: 'meta.k8s.io', kind, name: '', causes: [{ reason: cause.type, message: cause.message, field: cause.field }],
  });
}

/**
 * The field manager a write is tracked under: the `fieldManager` parameter, else the user agent up to its
 * first `/` (`kubectl`). An apply must name one; `force` belongs to applies only; at most 128 bytes.
 */
export function fieldManagerOf(ctx: RequestContext, options: { kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'; apply?: boolean }): string {
  const given = ctx.query.get('fieldManager') ?? '';
  if (options.kind === 'PatchOptions') {
    if (options.apply && given === '') throw invalidOptions('PatchOptions', { type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
    if (!options.apply && ctx.query.has('force')) throw invalidOptions('PatchOptions', { type: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' });
  }
  if (Buffer.byteLength(given) > 128) throw invalidOptions(options.kind, { type: 'FieldValueTooLong', field: 'fieldManager', message: 'Too long: may not be more than 128 bytes' });
  return given || managerFromUserAgent(ctx.req.headers['user-agent']);
}
