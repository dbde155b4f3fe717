/**
 * fieldValidation=Strict: the JSON paths of fields an object carries that its kind does not define
 * (`spec.containers[0].imagee`). The apiserver reports each as
 * `strict decoding error: unknown field "<path>"` (400 BadRequest), or as a warning for
 * fieldValidation=Warn. `decodeError` finds what Go's JSON decoder would refuse outright (a string
 * where an int32 belongs, a malformed quantity). The schema comes from kubernetes-models (see generate.ts).
 */
import { SCHEMA_ROOTS, SCHEMA_TYPES } from './schema.generated.ts';
import { tryParseQuantity, QUANTITY_FORMAT_ERROR } from '../quantity.ts';

const SCALARS = new Set(['str', 'num', 'bool', 'ios', 'qty', 's']);

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The schema root for a kind (`Pod`, or `apps/v1/Deployment`); the object's apiVersion disambiguates `Event`. */
function rootFor(kind: string, obj: unknown): string | undefined {
  if (SCHEMA_ROOTS[kind]) return SCHEMA_ROOTS[kind];
  const apiVersion = isMap(obj) && typeof obj.apiVersion === 'string' ? obj.apiVersion : undefined;
  if (apiVersion && SCHEMA_ROOTS[`${apiVersion}/${kind}`]) return SCHEMA_ROOTS[`${apiVersion}/${kind}`];
  const matches = Object.entries(SCHEMA_ROOTS).filter(([k]) => k.endsWith(`/${kind}`));
  return (matches.find(([k]) => k === `v1/${kind}`) ?? matches[0])?.[1];
}

/** Whether unknownFields can check this kind at all. */
export function hasSchema(kind: string, obj?: unknown): boolean {
  return rootFor(kind, obj) !== undefined;
}

/** Paths of unknown fields in `obj` of `kind`, in document order; [] when the kind has no schema. */
export function unknownFields(kind: string, obj: unknown): string[] {
  const root = rootFor(kind, obj);
  if (!root) return [];
  const out: string[] = [];
  walk(obj, root, '', out);
  return out;
}

function walk(value: unknown, ref: string, path: string, out: string[]): void {
  if (value === null || value === undefined || ref === '*' || SCALARS.has(ref)) return;
  if (ref.startsWith('[]')) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, ref.slice(2), `${path}[${i}]`, out));
    return;
  }
  if (ref.startsWith('{}')) {
    if (isMap(value)) for (const [k, v] of Object.entries(value)) walk(v, ref.slice(2), path ? `${path}.${k}` : k, out);
    return;
  }
  const fields = SCHEMA_TYPES[ref];
  if (!fields || !isMap(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    const fref = fields[k];
    if (fref === undefined) out.push(p);
    else walk(v, fref, p, out);
  }
}

/** The apiserver's 400 message for fieldValidation=Strict (duplicates, then unknown fields). */
export function strictDecodingError(unknown: readonly string[], duplicates: readonly string[] = []): string {
  const parts = [...duplicates.map((p) => `duplicate field ${JSON.stringify(p)}`), ...unknown.map((p) => `unknown field ${JSON.stringify(p)}`)];
  return `strict decoding error: ${parts.join(', ')}`;
}

/** Integer fields Kubernetes declares as int64 (the rest of the schema's numbers are int32). */
const INT64_FIELDS = new Set([
  'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'deletionGracePeriodSeconds', 'generation', 'observedGeneration',
  'runAsUser', 'runAsGroup', 'fsGroup', 'supplementalGroups', 'expirationSeconds', 'tolerationSeconds',
]);

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

function goTypeOf(ref: string, field: string): string {
  if (ref === 'str') return 'string';
  if (ref === 'bool') return 'bool';
  if (ref === 'num') return INT64_FIELDS.has(field) ? 'int64' : 'int32';
  if (ref === 'ios') return 'intstr.IntOrString';
  if (ref === 'qty') return 'resource.Quantity';
  if (ref.startsWith('[]')) return `[]${goTypeOf(ref.slice(2), field)}`;
  if (ref.startsWith('{}')) return `map[string]${goTypeOf(ref.slice(2), field)}`;
  const last = ref.split('.');
  return `v1.${last[last.length - 1]}`;
}

class DecodeFailure extends Error {}

/**
 * Thrown by applyDefaults for an object Go's decoder would refuse. The apiserver answers it with
 * 400 BadRequest and `message` (`Pod in version "v1" cannot be handled as a Pod: json: cannot ...`).
 */
export class DecodeError extends Error {
  readonly kind: string;
  readonly version: string;
  /** The decoder's own text (`json: cannot unmarshal ...`, the quantity format error, ...). */
  readonly detail: string;

  constructor(kind: string, version: string, detail: string) {
    super(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${detail}`);
    this.name = 'DecodeError';
    this.kind = kind;
    this.version = version;
    this.detail = detail;
  }
}

/**
 * The error Go's decoder reports for the first value of the wrong JSON type, e.g.
 * `json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`,
 * or the quantity format error; undefined when the object decodes. The apiserver answers 400 with
 * `<Kind> in version "<version>" cannot be handled as a <Kind>: <this>`.
 */
export function decodeError(kind: string, obj: unknown): string | undefined {
  const root = rootFor(kind, obj);
  if (!root) return undefined;
  try {
    // Every write decodes its object: the fast pass answers almost all of them; check finds the message.
    if (!typesOk(obj, root)) check(obj, root, '', '', '');
    // []byte fields (secret data, configmap binaryData) must be standard base64.
    if (isMap(obj) && (obj.kind === 'Secret' || obj.kind === 'ConfigMap' || kind === 'Secret' || kind === 'ConfigMap')) {
      for (const field of ['data', 'binaryData']) {
        if (field === 'data' && (obj.kind ?? kind) === 'ConfigMap') continue;
        const m = obj[field];
        if (!isMap(m)) continue;
        for (const v of Object.values(m)) {
          const bad = typeof v === 'string' ? base64ErrorOffset(v) : -1;
          if (bad >= 0) throw new DecodeFailure(`illegal base64 data at input byte ${bad}`);
        }
      }
    }
    return undefined;
  } catch (e) {
    if (e instanceof DecodeFailure) return e.message;
    throw e;
  }
}

/** The Go zero value of a schema type (null where Go's would be a nil pointer or an empty interface). */
function zeroValue(ref: string): unknown {
  if (SCHEMA_TYPES[ref]) return {};
  switch (ref) {
    case 'str': return '';
    case 'num': return 0;
    case 'bool': return false;
    default: return null;
  }
}

/** The item type of a list or map reference (`[]v1.Container` → `v1.Container`), sliced once. */
const innerRefs = new Map<string, string>();
function inner(ref: string): string {
  let r = innerRefs.get(ref);
  if (r === undefined) innerRefs.set(ref, (r = ref.slice(2)));
  return r;
}

/**
 * check's fast pass: whether Go's decoder takes `value` as `ref`, without the paths and type names a message
 * needs. Turns null list and map items into their zero values exactly as check does, so check may run after it.
 */
function typesOk(value: unknown, ref: string): boolean {
  if (value === null || value === undefined || ref === '*') return true;
  switch (ref) {
    case 'str': return typeof value === 'string';
    case 'bool': return typeof value === 'boolean';
    case 'num': return typeof value === 'number' && Number.isInteger(value);
    case 'ios': return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
    case 'qty': return tryParseQuantity(value) !== undefined;
    case 's': return true;
  }
  if (ref.charCodeAt(0) === 0x5b /* [ */ && ref.charCodeAt(1) === 0x5d /* ] */) {
    if (!Array.isArray(value)) return false;
    const item = inner(ref);
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null) value[i] = zeroValue(item);
      if (!typesOk(value[i], item)) return false;
    }
    return true;
  }
  if (ref.charCodeAt(0) === 0x7b /* { */ && ref.charCodeAt(1) === 0x7d /* } */) {
    if (!isMap(value)) return false;
    const item = inner(ref);
    for (const k in value) {
      if (value[k] === null) value[k] = zeroValue(item);
      if (!typesOk(value[k], item)) return false;
    }
    return true;
  }
  const fields = SCHEMA_TYPES[ref];
  if (!fields) return true;
  if (!isMap(value)) return false;
  for (const k in value) {
    const fref = fields[k];
    if (fref !== undefined && !typesOk(value[k], fref)) return false;
  }
  return true;
}

/** `structName` and `dotted` track the Go struct that holds the field and the index-free path. */
function check(value: unknown, ref: string, structName: string, dotted: string, field: string): void {
  if (value === null || value === undefined || ref === '*') return;
  const fail = () => {
    const what = jsonKind(value) === 'number' && ref === 'num' ? `number ${String(value)}` : jsonKind(value);
    throw new DecodeFailure(`json: cannot unmarshal ${what} into Go struct field ${structName}.${dotted} of type ${goTypeOf(ref, field)}`);
  };
  switch (ref) {
    case 'str': if (typeof value !== 'string') fail(); return;
    case 'bool': if (typeof value !== 'boolean') fail(); return;
    case 'num': if (typeof value !== 'number' || !Number.isInteger(value)) fail(); return;
    case 'ios': if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) fail(); return;
    case 'qty':
      if (!tryParseQuantity(value)) throw new DecodeFailure(QUANTITY_FORMAT_ERROR);
      return;
    case 's': return;
  }
  if (ref.startsWith('[]')) {
    if (!Array.isArray(value)) fail();
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      // Go decodes a null list item into the item type's zero value (`[null]` is `[{}]` for a list of structs).
      if (items[i] === null) items[i] = zeroValue(ref.slice(2));
      check(items[i], ref.slice(2), structName, dotted, field);
    }
    return;
  }
  if (ref.startsWith('{}')) {
    if (!isMap(value)) fail();
    const entries = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(entries)) {
      if (v === null) entries[k] = zeroValue(ref.slice(2));
      check(entries[k], ref.slice(2), structName, dotted, field);
    }
    return;
  }
  const fields = SCHEMA_TYPES[ref];
  if (!fields) return;
  if (!isMap(value)) fail();
  const name = ref.split('.').at(-1)!;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const fref = fields[k];
    if (fref !== undefined) check(v, fref, name, dotted ? `${dotted}.${k}` : k, k);
  }
}

/** Offset of the first byte Go's base64.StdEncoding rejects (as its CorruptInputError reports), or -1. */
export function base64ErrorOffset(text: string): number {
  const s = text.replace(/[\r\n]/g, '');
  const n = s.length;
  const alphabet = /[A-Za-z0-9+/]/;
  let si = 0;
  while (si < n) {
    for (let j = 0; j < 4; j++) {
      if (si === n) return j === 0 ? -1 : si - j;
      const c = s[si++]!;
      if (alphabet.test(c)) continue;
      if (c !== '=') return si - 1;
      if (j < 2) return si - 1;
      if (j === 2) {
        if (si === n) return n;
        if (s[si] !== '=') return si - 1;
        si++;
      }
      return si < n ? si : -1;
    }
  }
  return -1;
}
