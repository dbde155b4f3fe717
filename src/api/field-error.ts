/**
 * Field errors, as apimachinery's `validation/field` package reports them: a type, a JSON path such
 * as `spec.containers[0].image`, and a message body (`Required value`, `Invalid value: "x": detail`).
 * The apiserver turns a list of them into a 422 `Invalid` Status with one cause per error, using
 * `invalidMessage` for the top-level text (`Pod "x" is invalid: spec.containers[0].image: Required value`).
 */

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueNotSupported'
  | 'FieldValueNotFound'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** JSON path of the field, Kubernetes style: `metadata.labels`, `spec.containers[0].ports[1].containerPort`. */
  field: string;
  /** Go's `ErrorBody()`: `Required value`, `Invalid value: "Bad": a lowercase RFC 1123 ...`. */
  message: string;
}

/** Marks "no value to print", like field.omitValue. */
const OMIT = Symbol('omit');

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueNotFound: 'Not found',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  InternalError: 'Internal error',
};

/** A bad value Go prints with %#v where JSON would read differently: `[]string{"a", "b"}`, `[]string(nil)`. */
export class GoLiteral {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** A `[]string` as Go's %#v prints it (a nil or empty list as `[]string(nil)`, as a dropped field decodes). */
export function goStringSlice(values: readonly string[] | undefined): GoLiteral {
  return new GoLiteral(values?.length ? `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}` : '[]string(nil)');
}

/** Go-ish rendering of a bad value: strings %q, numbers/bools %v, GoLiterals as given, everything else as JSON. */
export function formatValue(value: unknown): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function make(type: FieldErrorType, field: string, value: unknown, detail: string): FieldError {
  let message = TYPE_TEXT[type];
  const valueless = type === 'FieldValueRequired' || type === 'FieldValueForbidden' || type === 'FieldValueTooLong' || type === 'InternalError';
  if (!valueless && value !== OMIT) message += `: ${formatValue(value)}`;
  if (detail) message += `: ${detail}`;
  return { type, field, message };
}

export function required(field: string, detail = ''): FieldError {
  return make('FieldValueRequired', field, OMIT, detail);
}
export function invalid(field: string, value: unknown, detail = ''): FieldError {
  return make('FieldValueInvalid', field, value, detail);
}
/** Invalid without printing the value (Go passes field.OmitValueType{}). */
export function invalidNoValue(field: string, detail: string): FieldError {
  return make('FieldValueInvalid', field, OMIT, detail);
}
export function duplicate(field: string, value: unknown): FieldError {
  return make('FieldValueDuplicate', field, value, '');
}
export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return make('FieldValueNotSupported', field, value, detail);
}
export function notFound(field: string, value: unknown): FieldError {
  return make('FieldValueNotFound', field, value, '');
}
export function forbidden(field: string, detail: string): FieldError {
  return make('FieldValueForbidden', field, OMIT, detail);
}
export function tooLong(field: string, maxLength: number): FieldError {
  return make('FieldValueTooLong', field, OMIT, maxLength >= 0 ? `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}` : 'value is too long');
}
export function tooMany(field: string, actual: number, max: number): FieldError {
  return make('FieldValueTooMany', field, actual, max >= 0 ? `must have at most ${max} items` : 'has too many items');
}
export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return make('FieldValueTypeInvalid', field, value, detail);
}

/** Internal error (Go's field.InternalError): detail is the error text. */
export function internalError(field: string, detail: string): FieldError {
  return make('InternalError', field, OMIT, detail);
}

/** `field: body`, as field.Error.Error() prints one error. */
export function fieldErrorText(e: FieldError): string {
  return e.field ? `${e.field}: ${e.message}` : e.message;
}

/**
 * The top-level message of a 422 Invalid Status, as apierrors.NewInvalid builds it:
 * `Pod "x" is invalid: <err>` for one error, `... is invalid: [<e1>, <e2>]` for several
 * (duplicates collapsed). `kind` is the qualified kind: `Pod`, `Deployment.apps`.
 */
export function invalidMessage(kind: string, name: string, errs: readonly FieldError[]): string {
  const texts = [...new Set(errs.map(fieldErrorText))];
  const agg = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return `${kind} ${JSON.stringify(name)} is invalid: ${agg}`;
}
