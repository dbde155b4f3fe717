/**
 * A Swagger 2.0 document in gnostic's protobuf form (`openapi.v2.Document`, github.com/google/gnostic
 * openapiv2/OpenAPIv2.proto), which kubectl and client-go ask `/openapi/v2` for. Only what the document of
 * openapi-v2-document.ts holds is written: the field numbers below are gnostic's. Vendor extensions
 * (`x-kubernetes-*`) are `NamedAny`s whose `Any.yaml` holds the value (JSON is YAML), as kube-openapi writes them.
 */
import type { SwaggerSchema } from './openapi-v2-document.ts';

type Bytes = Buffer;

function varint(n: number): Bytes {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited field (string, bytes, embedded message). */
function ld(num: number, value: Bytes | string): Bytes {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((num << 3) | 2), varint(bytes.length), bytes]);
}

const str = (num: number, v: unknown): Bytes[] => (typeof v === 'string' && v !== '' ? [ld(num, v)] : []);
const strs = (num: number, v: unknown): Bytes[] => (Array.isArray(v) ? v.map((s) => ld(num, String(s))) : []);
const bool = (num: number, v: unknown): Bytes[] => (v === true ? [varint(num << 3), varint(1)] : []);
const msg = (num: number, parts: Bytes[]): Bytes => ld(num, Buffer.concat(parts));

/** `repeated NamedAny vendor_extension = num` for every `x-` key. */
function extensions(num: number, o: Record<string, unknown>): Bytes[] {
  return Object.entries(o)
    .filter(([k]) => k.startsWith('x-'))
    .map(([k, v]) => msg(num, [ld(1, k), msg(2, [ld(2, JSON.stringify(v))])]));
}

/** openapi.v2.Schema. */
function schema(s: SwaggerSchema): Bytes[] {
  const parts: Bytes[] = [...str(1, s['$ref']), ...str(2, s['format']), ...str(3, s['title']), ...str(4, s['description'])];
  parts.push(...strs(19, s['required']));
  const ap = s['additionalProperties'];
  if (typeof ap === 'boolean') parts.push(msg(21, [varint(2 << 3), varint(ap ? 1 : 0)]));
  else if (ap && typeof ap === 'object') parts.push(msg(21, [msg(1, schema(ap as SwaggerSchema))]));
  if (typeof s['type'] === 'string') parts.push(msg(22, [ld(1, s['type'])]));
  if (s['items'] && typeof s['items'] === 'object') parts.push(msg(23, [msg(1, schema(s['items'] as SwaggerSchema))]));
  for (const sub of (s['allOf'] as SwaggerSchema[] | undefined) ?? []) parts.push(msg(24, schema(sub)));
  const props = s['properties'] as Record<string, SwaggerSchema> | undefined;
  if (props) parts.push(msg(25, Object.entries(props).map(([k, v]) => msg(1, [ld(1, k), msg(2, schema(v))]))));
  parts.push(...extensions(31, s));
  return parts;
}

/** openapi.v2.ParametersItem { parameter = 1 { body_parameter = 1 | non_body_parameter = 2 } }. */
function parameter(p: Record<string, unknown>): Bytes {
  if (p['in'] === 'body') {
    const body = [...str(1, p['description']), ...str(2, p['name']), ...str(3, p['in']), ...bool(4, p['required'])];
    if (p['schema']) body.push(msg(5, schema(p['schema'] as SwaggerSchema)));
    return msg(1, [msg(1, body)]);
  }
  // QueryParameterSubSchema = 3 { required 1, in 2, description 3, name 4, type 6, unique_items 20 };
  // PathParameterSubSchema = 4 { required 1, in 2, description 3, name 4, type 5, unique_items 19 }.
  const isPath = p['in'] === 'path';
  const sub = [...bool(1, p['required']), ...str(2, p['in']), ...str(3, p['description']), ...str(4, p['name']), ...str(isPath ? 5 : 6, p['type']), ...bool(isPath ? 19 : 20, p['uniqueItems'])];
  return msg(1, [msg(2, [msg(isPath ? 4 : 3, sub)])]);
}

/** openapi.v2.Operation. */
function operation(o: Record<string, unknown>): Bytes[] {
  const parts: Bytes[] = [...strs(1, o['tags']), ...str(3, o['description']), ...str(5, o['operationId'])];
  parts.push(...strs(6, o['produces']), ...strs(7, o['consumes']));
  for (const p of (o['parameters'] as Record<string, unknown>[] | undefined) ?? []) parts.push(ld(8, parameter(p)));
  const responses = Object.entries((o['responses'] as Record<string, Record<string, unknown>> | undefined) ?? {}).map(([code, r]) => {
    const response = [...str(1, r['description'])];
    if (r['schema']) response.push(msg(2, [msg(1, schema(r['schema'] as SwaggerSchema))]));
    return msg(1, [ld(1, code), msg(2, [msg(1, response)])]);
  });
  parts.push(msg(9, responses), ...strs(10, o['schemes']), ...extensions(13, o));
  return parts;
}

const PATH_ITEM_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** openapi.v2.Document { swagger 1, info 2, paths 8, definitions 9 }. */
export function gnosticDocument(doc: SwaggerSchema): Buffer {
  const info = doc['info'] as Record<string, unknown>;
  const paths = Object.entries(doc['paths'] as Record<string, Record<string, unknown>>).map(([path, item]) => {
    const fields: Bytes[] = [];
    for (const [verb, num] of Object.entries(PATH_ITEM_FIELDS)) if (item[verb]) fields.push(msg(num, operation(item[verb] as Record<string, unknown>)));
    for (const p of (item['parameters'] as Record<string, unknown>[] | undefined) ?? []) fields.push(ld(9, parameter(p)));
    return msg(2, [ld(1, path), msg(2, fields)]);
  });
  const definitions = Object.entries(doc['definitions'] as Record<string, SwaggerSchema>).map(([name, s]) => msg(1, [ld(1, name), msg(2, schema(s))]));
  return Buffer.concat([
    ...str(1, doc['swagger']),
    msg(2, [...str(1, info['title']), ...str(2, info['version'])]),
    msg(8, paths),
    msg(9, definitions),
  ]);
}
