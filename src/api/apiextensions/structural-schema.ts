/**
 * What a CustomResourceDefinition's structural schema does to a custom object on every write, in upstream's
 * order: prune fields the schema does not declare (unless `x-kubernetes-preserve-unknown-fields`), fill in
 * `default`s, then validate types, `required`, `enum`, bounds, `pattern` and simple `format`s with the messages
 * kube-openapi's validator gives (`spec.replicas in body must be of type integer: "string"`). The CEL rules
 * (`x-kubernetes-validations`) are the apiserver's (they need the evaluator); `celRules` walks to them.
 */
import { invalid, notSupported, required, tooLong, tooMany, type FieldError } from '../field-error.ts';

export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  multipleOf?: number;
  pattern?: string;
  uniqueItems?: boolean;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
}

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

type Json = Record<string, unknown>;

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema of a map's values: `additionalProperties` when it is a schema. */
function valuesSchema(s: JSONSchemaProps): JSONSchemaProps | undefined {
  return isMap(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
}

/**
 * Removes, in place, every field the schema does not declare and returns their paths (`spec.foo`), for
 * fieldValidation's unknown-field report. apiVersion, kind and metadata at the root are kept (metadata is the
 * server's to check); an embedded resource keeps its own apiVersion, kind and metadata.
 */
export function prune(obj: Json, schema: JSONSchemaProps): string[] {
  const out: string[] = [];
  pruneValue(obj, schema, '', true, out);
  return out;
}

function pruneValue(value: unknown, s: JSONSchemaProps | undefined, path: string, root: boolean, out: string[]): void {
  if (!s) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => pruneValue(v, s.items, `${path}[${i}]`, false, out));
    return;
  }
  if (!isMap(value)) return;
  const keepMeta = root || s['x-kubernetes-embedded-resource'];
  const props = s.properties;
  const values = valuesSchema(s);
  for (const k of Object.keys(value)) {
    const p = path ? `${path}.${k}` : k;
    if (keepMeta && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
    const sub = props?.[k] ?? values;
    if (sub) {
      pruneValue(value[k], sub, p, false, out);
    } else if (!s['x-kubernetes-preserve-unknown-fields'] && s.additionalProperties !== true) {
      delete value[k];
      out.push(p);
    }
  }
}

/** Fills in `default`s, in place, top down (a defaulted object gets its own fields' defaults too). */
export function applySchemaDefaults(value: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(value)) {
    for (const v of value) applySchemaDefaults(v, s.items);
    return;
  }
  if (!isMap(value)) return;
  for (const [k, sub] of Object.entries(s.properties ?? {})) {
    if (value[k] === undefined && sub.default !== undefined) value[k] = structuredClone(sub.default);
    if (value[k] !== undefined) applySchemaDefaults(value[k], sub);
  }
  const values = valuesSchema(s);
  if (values) for (const k of Object.keys(value)) if (!s.properties?.[k]) applySchemaDefaults(value[k], values);
}

/** JSON type name of a value as kube-openapi reports it (`integer` for whole numbers). */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

function typeMatches(v: unknown, type: string): boolean {
  switch (type) {
    case 'object': return isMap(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    default: return true;
  }
}

/** Formats checked as upstream's strfmt registry does, for the common ones. */
const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  email: (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s),
  hostname: (s) => s.length <= 253 && /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uri: (s) => { try { return Boolean(new URL(s)); } catch { return false; } },
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
};

/** Validates a custom object against its version's schema; paths as upstream (`spec.replicas`, `spec.items[0]`). */
export function validateAgainstSchema(obj: unknown, schema: JSONSchemaProps, path = ''): FieldError[] {
  const errs: FieldError[] = [];
  validateValue(obj, schema, path, errs, path === '');
  return errs;
}

function validateValue(v: unknown, s: JSONSchemaProps, path: string, errs: FieldError[], root = false): void {
  const at = path || '<nil>';
  if (v === null) {
    if (!s.nullable && s.type) errs.push(invalid(at, 'null', `${at} in body must be of type ${s.type}: "null"`));
    return;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) {
      errs.push(invalid(at, typeName(v), `${at} in body must be of type integer,string: ${JSON.stringify(typeName(v))}`));
      return;
    }
  } else if (s.type && !typeMatches(v, s.type)) {
    errs.push(invalid(at, typeName(v), `${at} in body must be of type ${s.type}: ${JSON.stringify(typeName(v))}`));
    return;
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push(notSupported(at, v, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof v === 'number') {
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      errs.push(invalid(at, v, `${at} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`));
    }
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      errs.push(invalid(at, v, `${at} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`));
    }
    if (s.multipleOf && v % s.multipleOf !== 0) errs.push(invalid(at, v, `${at} in body should be a multiple of ${s.multipleOf}`));
  }
  if (typeof v === 'string') {
    const length = [...v].length;
    if (s.maxLength !== undefined && length > s.maxLength) errs.push(tooLong(at, s.maxLength));
    if (s.minLength !== undefined && length < s.minLength) errs.push(invalid(at, v, `${at} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined && !safeRegExp(s.pattern)?.test(v)) errs.push(invalid(at, v, `${at} in body should match '${s.pattern}'`));
    const check = s.format ? FORMATS[s.format] : undefined;
    if (check && !check(v)) errs.push(invalid(at, v, `${at} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) errs.push(tooMany(at, v.length, s.maxItems));
    if (s.minItems !== undefined && v.length < s.minItems) errs.push(invalid(at, v.length, `${at} in body should have at least ${s.minItems} items`));
    if (s.items) v.forEach((x, i) => validateValue(x, s.items!, `${path}[${i}]`, errs));
  }
  if (isMap(v)) {
    const n = Object.keys(v).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) errs.push(tooMany(at, n, s.maxProperties));
    if (s.minProperties !== undefined && n < s.minProperties) errs.push(invalid(at, n, `${at} in body should have at least ${s.minProperties} properties`));
    for (const r of s.required ?? []) if (v[r] === undefined) errs.push(required(path ? `${path}.${r}` : r, ''));
    const values = valuesSchema(s);
    for (const [k, x] of Object.entries(v)) {
      if (root && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
      const sub = s.properties?.[k] ?? values;
      if (sub) validateValue(x, sub, path ? `${path}.${k}` : k, errs);
    }
  }
}

const regexps = new Map<string, RegExp | null>();

/** ECMA regexps stand in for Go's RE2 (the common syntax is shared); a pattern neither compiles never matches. */
function safeRegExp(pattern: string): RegExp | null {
  let r = regexps.get(pattern);
  if (r === undefined) {
    try {
      r = new RegExp(pattern, 'u');
    } catch {
      r = null;
    }
    regexps.set(pattern, r);
  }
  return r;
}

/** One CEL rule with the value it applies to (`self`) and the same place in the old object (`oldSelf`). */
export interface RuleSite {
  rule: ValidationRule;
  path: string;
  self: unknown;
  oldSelf: unknown;
  /** Whether the old object had a value here (transition rules run only then). */
  hasOld: boolean;
}

/** Every `x-kubernetes-validations` rule of the schema reached by a value present in `obj`, outermost first. */
export function celRules(obj: unknown, old: unknown, schema: JSONSchemaProps): RuleSite[] {
  const out: RuleSite[] = [];
  collect(obj, old, schema, '', out);
  return out;
}

function collect(v: unknown, old: unknown, s: JSONSchemaProps, path: string, out: RuleSite[]): void {
  if (v === undefined || v === null) return;
  for (const rule of s['x-kubernetes-validations'] ?? []) out.push({ rule, path, self: v, oldSelf: old, hasOld: old !== undefined && old !== null });
  if (Array.isArray(v) && s.items) {
    // Old list items pair up by position only for atomic lists; others run without oldSelf.
    v.forEach((x, i) => collect(x, undefined, s.items!, `${path}[${i}]`, out));
  } else if (isMap(v)) {
    const values = valuesSchema(s);
    for (const [k, x] of Object.entries(v)) {
      const sub = s.properties?.[k] ?? values;
      if (sub) collect(x, isMap(old) ? old[k] : undefined, sub, path ? `${path}.${k}` : k, out);
    }
  }
}
