/**
 * Small HTTP helpers for the handlers: reading request bodies (JSON or YAML, under the size and depth caps of limits/), writing JSON
 * responses and Status errors, and reading what the client accepts (a meta.k8s.io Table, aggregated discovery).
 * Responses are always JSON, whatever protobuf the Accept header lists first (kubectl falls back to JSON).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, unsupportedMediaType, type Status } from './status.ts';
import { decodeProtobuf, PROTOBUF_MEDIA_TYPE } from './protobuf/decode.ts';
import { MAX_REQUEST_BODY_BYTES, readLimitedBody } from './limits/request-body.ts';
import { exceedsDepth, tooDeep } from './limits/json-depth.ts';

export const MAX_BODY_BYTES = MAX_REQUEST_BODY_BYTES;

/** The request body, at most `limit` bytes (413 `Request entity too large: limit is N` beyond). */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return readLimitedBody(req, limit);
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a JSON, YAML or Kubernetes protobuf object body; a 400 when it does not decode, 415 for other types. */
export function parseObjectBody(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  const type = mediaType(contentType);
  if (type === PROTOBUF_MEDIA_TYPE) {
    let value: Record<string, unknown>;
    try {
      value = decodeProtobuf(body);
    } catch (err) {
      throw badRequest(`the request body could not be decoded as protobuf: ${(err as Error).message}`);
    }
    if (exceedsDepth(value)) throw tooDeep('the request body could not be decoded');
    return value;
  }
  if (type !== '' && type !== 'application/json' && !type.endsWith('yaml') && !type.endsWith('+json')) throw unsupportedMediaType(contentType ?? '');
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  let value: unknown;
  try {
    value = type.endsWith('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('the request body must be a JSON object');
  }
  if (exceedsDepth(value)) throw tooDeep('the request body could not be decoded');
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  // Encoded once: the length and the write use the same bytes.
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': bytes.length, ...headers });
  res.end(bytes);
}

export function sendStatus(res: ServerResponse, status: Status): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status.code, status);
}

export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [];
  return accept.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const eq = kv.indexOf('=');
      if (eq > 0) p[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim();
    }
    return { type: (type ?? '').toLowerCase(), params: p };
  });
}

export type ObjectFormat = { as: 'object' } | { as: 'Table'; version: 'v1' | 'v1beta1' } | { as: 'PartialObjectMetadata'; version: 'v1' | 'v1beta1' };

/** The first media range we can serve decides: a Table, PartialObjectMetadata, or the plain object. */
export function negotiateObjectFormat(accept: string | undefined): ObjectFormat {
  for (const m of parseAccept(accept)) {
    if (m.type !== 'application/json' && m.type !== '*/*' && m.type !== 'application/*') continue;
    const as = m.params['as'];
    if (!as) return { as: 'object' };
    if (m.params['g'] !== 'meta.k8s.io') continue;
    const v = m.params['v'];
    if (v !== 'v1' && v !== 'v1beta1') continue;
    if (as === 'Table') return { as: 'Table', version: v };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', version: v };
  }
  return { as: 'object' };
}

export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** A non-negative integer query parameter, or undefined; a 400 when it is not a number. */
export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return n;
}
